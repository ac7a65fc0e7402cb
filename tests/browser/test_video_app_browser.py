"""The Video app in a real browser: type a prompt, make a clip, watch it play, find the GIF.

Every check is Playwright's `expect` on what the person sees (the clip decoded at its size, the
GIF offered, the recipe and seed shown, a plain message for a mistake)."""

from __future__ import annotations

import re

import pytest
from app_helpers import MODEL_TIMEOUT_MS, app_server, browser, expect_message, page, screenshot_path, set_number  # noqa: F401  (pytest fixtures)
from playwright.sync_api import expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

video_app = app_server("video")

CLIP_PX = 128  # the tiny video profile's size


def test_make_a_clip_and_watch_it(video_app, page, tmp_path):
    page.goto(video_app.url)
    page.get_by_label("Prompt", exact=True).fill("a yellow star moving right on a black background")
    page.get_by_label("Seed", exact=True).fill("7")
    set_number(page, "frames", 4)
    set_number(page, "steps", 2)
    page.get_by_label("Loop back and forth (ping-pong)").check()
    page.get_by_role("button", name="Make the clip").click()

    clip = page.locator("#clip video")
    expect(clip).to_have_js_property("videoWidth", CLIP_PX, timeout=MODEL_TIMEOUT_MS)  # the browser decoded the H.264 MP4
    expect(clip).to_have_js_property("readyState", 4)  # enough of it to play
    expect(clip).to_have_attribute("src", re.compile(r"\.mp4$"))
    expect(page.locator("#gif")).to_contain_text(re.compile(r"\.gif"))
    recipe = page.locator("#recipe textarea")
    expect(recipe).to_have_value(re.compile(r"^a yellow star moving right on a black background\n"))
    expect(recipe).to_have_value(re.compile(r"Frames: 4,.*Loop: ping-pong", re.S))
    expect(page.locator("#seed-used input")).to_have_value("7")
    page.screenshot(path=str(screenshot_path(tmp_path, "video.png")), full_page=True)


def test_empty_prompt_shows_a_plain_message(video_app, page, tmp_path):
    page.goto(video_app.url)
    page.get_by_role("button", name="Make the clip").click()
    expect_message(page, "Write a prompt first")
    page.screenshot(path=str(screenshot_path(tmp_path, "video-error.png")))
    expect(page.locator("#clip video")).to_have_count(0)
    expect(page.locator("#recipe textarea")).to_have_value("")
