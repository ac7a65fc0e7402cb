"""The facts lesson 2 (notebooks/02_prompt_craft.ipynb) states, checked against what makes them.

* a negative prompt acts only through classifier-free guidance: no effect at guidance <= 1, an
  effect above 1; sd-turbo's default guidance (assets/models.toml) is at or below 1;
* the tiny model's adherence figures the lesson prints come from docs/tiny-eval/adherence.json,
  the report `genlab tiny evaluate` writes; the lesson's text types none of them.
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from genlab import settings

LESSON = settings.NOTEBOOKS_DIR / "02_prompt_craft.ipynb"
REPORT = settings.REPO_ROOT / "docs" / "tiny-eval" / "adherence.json"


@pytest.mark.parametrize("guidance, changes", [(0.0, False), (1.0, False), (7.0, True)])
def test_a_negative_prompt_acts_only_above_guidance_1(guidance, changes):
    import genlab
    from genlab.lessons import lesson

    plain = "a green square on a white background"
    without = genlab.generate(plain, seed=8, steps=6, guidance=guidance, profile="tiny")
    with_negative = genlab.generate(plain, seed=8, steps=6, guidance=guidance, negative_prompt="striped, dotted, outlined",
                                    profile="tiny")
    assert lesson.same_pixels(without, with_negative) is not changes


def test_sd_turbo_default_guidance_switches_negative_prompts_off():
    """Lesson 2 says so: sd-turbo's default guidance is 0."""
    import genlab

    assert genlab.get_profile("sd-turbo").defaults["guidance"] == 0.0


def test_the_adherence_report_holds_what_the_lesson_prints():
    report = json.loads(REPORT.read_text())
    assert {"n", "steps", "guidance"} <= set(report["settings"])
    rows = {(r["group"], r["attribute"]): r["rate"] for r in report["bars"]}
    for key in [("seen", "colour"), ("position", "position"), ("style", "style"), ("size", "size")]:
        assert 0.0 <= rows[key] <= 1.0
    # the Markdown report next to it shows the same rates
    md = REPORT.with_suffix(".md").read_text()
    for (group, attribute), rate in rows.items():
        assert f"| {group} | {attribute} | {rate:.1%} |" in md


def test_the_lesson_reads_the_figures_instead_of_typing_them():
    nb = nbformat.read(LESSON, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert '"tiny-eval" / "adherence.json"' in code
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not re.search(r"\d+\s*%|out of (two|three|four)|times out of|often swaps|often mixes up|ignores position", text)
