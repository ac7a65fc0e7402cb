"""The Video app in a real browser: type a prompt, make a clip, watch it play, find the GIF."""

from __future__ import annotations

import pytest
from app_helpers import app_server, browser, page, screenshot_path  # noqa: F401  (pytest fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

video_app = app_server("video")

CLIP_PLAYS = """() => {
    const v = document.querySelector('#clip video');
    return v !== null && v.readyState >= 2 && v.videoWidth === 128;
}"""


def set_number(page, elem_id: str, value: int):
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def test_make_a_clip_and_watch_it(video_app, page, tmp_path):
    page.goto(video_app.url)
    page.get_by_label("Prompt", exact=True).fill("a yellow star moving right on a black background")
    set_number(page, "frames", 4)
    set_number(page, "steps", 2)
    page.get_by_label("Loop back and forth (ping-pong)").check()
    page.get_by_role("button", name="Make the clip").click()
    page.wait_for_function(CLIP_PLAYS, timeout=120_000)  # the browser decodes the H.264 MP4
    page.locator("#gif a, #gif .file-name, #gif td").first.wait_for(state="visible", timeout=30_000)
    assert ".gif" in page.locator("#gif").inner_text()
    recipe = page.locator("#recipe textarea").input_value()
    assert "Frames: 4" in recipe and "Loop: ping-pong" in recipe
    page.screenshot(path=str(screenshot_path(tmp_path, "video.png")), full_page=True)


def test_empty_prompt_shows_a_plain_message(video_app, page):
    page.goto(video_app.url)
    page.get_by_role("button", name="Make the clip").click()
    page.get_by_text("Write a prompt first").first.wait_for(state="visible", timeout=30_000)
