"""Facts lesson 9 and exercise 09 rely on: the tiny model's prompt adherence is read from the
measurement in docs/tiny-eval/adherence.json (which agrees with genlab.tiny.scorecard's own
counting), never typed; the evaluator the lesson uses reads a correct picture as correct; the
checklist check asks for this submission's facts (licence names read through genlab)."""

from __future__ import annotations

import json

from genlab import settings
from genlab.lessons import responsible
from genlab.tiny import scorecard, world

LESSON = settings.NOTEBOOKS_DIR / "09_capstone.ipynb"
EXERCISE = settings.COURSE_DIR / "source" / "09_capstone" / "09_capstone.ipynb"
MEASURED = settings.REPO_ROOT / "docs" / "tiny-eval" / "adherence.json"


def _text(path) -> str:
    return "\n".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"])


def test_the_measurement_the_lesson_reads_is_scorecards_own_counting():
    measured = json.loads(MEASURED.read_text(encoding="utf-8"))
    for group in measured["groups"].values():
        for cell in group.values():
            assert cell["rate"] == round(cell["correct"] / cell["n"], 4)
    assert measured["bars"] == scorecard.check_bars(measured["groups"])
    rates = {(b["group"], b["attribute"]): b["rate"] for b in measured["bars"]}
    # What the old text claimed ("often swaps colours", "ignores position", style "2 in 3") is not
    # what was measured:
    assert rates[("seen", "colour")] >= 0.95 and rates[("position", "position")] >= 0.8
    assert rates[("style", "style")] > 2 / 3


def test_lesson_and_exercise_read_the_figures_instead_of_typing_them():
    lesson, exercise = _text(LESSON), _text(EXERCISE)
    assert '"docs" / "tiny-eval" / "adherence.json"' in lesson
    for claim in ("often swaps", "often swapped", "2 in 3", "ignores position", "ignored position", "one clip in\nten"):
        assert claim not in lesson and claim not in exercise, claim
    assert "evaluator.adherence(" in lesson and "docs/tiny-eval/adherence.json" in exercise


def test_the_evaluator_reads_a_correct_picture_of_the_hero_prompt_as_correct():
    from genlab.tiny import evaluator

    prompt = "a large yellow circle on a blue background"
    for scene in responsible.world_scenes(prompt, 3, seed=4):
        result = evaluator.adherence(prompt, world.render(scene))
        assert set(result) == {"shape", "colour", "background", "size"} and all(result.values()), result


def test_the_checklist_check_names_the_licences_genlab_reads():
    """The licence note must name each profile's licence as genlab reads it: the short names the
    check derives (text before " (") are real licence names for every profile."""
    for name, facts in responsible.licences().items():
        for part in facts.parts:
            short = part.split(" (")[0].strip()
            assert short and short in facts.licence, name
    assert "responsible.licence_facts(p).parts" in _text(EXERCISE)
