"""Lessons: every notebooks/*.ipynb runs headless on the tiny profile, and is committed clean.

* fast: each committed notebook has no outputs, a `parameters` cell that sets `profile`, the
  lesson grammar (Questions, Objectives, Key points), and passes `profile=profile` to generate();
* slow: each notebook, rendered in Spanish as `genlab lab --lang es` writes it, is executed with
  papermill (cwd = its lessons folder, GENLAB_LANG=es, `profile="tiny"` injected, a kernel that
  runs *this* interpreter); it must not error, must show its figures, the PNGs it saves must exist
  and carry recipes, and what it prints must read as Spanish. The first lessons (ENGLISH_RUNS) also
  execute as written, in English, from notebooks/;
* the `genlab.lesson` helpers the notebooks use.

New lessons are picked up automatically (at least one figure each); MIN_FIGURES and MIN_SAVED hold
what each lesson shows and saves, so a lesson that silently stops drawing fails.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from genlab import settings
from genlab.core.generation import Generation
from genlab.core.recipe import Recipe, read_recipe, save_png
from genlab.core.translations import english_in_notebook, english_sentences
from genlab.lessons import lesson
from genlab.lessons.languages import render_lessons

NOTEBOOKS_DIR = settings.NOTEBOOKS_DIR
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
# image/png outputs each executed lesson shows (counted on the tiny profile) ...
MIN_FIGURES = {
    "00_welcome": 1, "01_first_images": 8, "02_prompt_craft": 5, "03_under_the_hood": 7, "04_editing": 6,
    "05_brand_lora": 5, "06_video": 5, "07_production": 2, "08_responsible_use": 3, "09_capstone": 3,
}
# ... and the PNGs (with recipes) it saves
MIN_SAVED = {
    "00_welcome": 1, "01_first_images": 5, "02_prompt_craft": 11, "03_under_the_hood": 4, "04_editing": 2,
    "05_brand_lora": 1, "07_production": 5, "08_responsible_use": 1, "09_capstone": 2,
}
DEFAULT_MIN_FIGURES = 1
KERNEL_NAME = "genlab-test-python"
# Every lesson executes in Spanish, as a Spanish-reading learner runs it (test_notebook_runs_in_spanish:
# the same figures and files, and nothing printed in English). Its code is the English lesson's,
# token for token (tests/unit/test_translations.py), so running every lesson a second time in
# English would double the lessons' share of CI (about 15-30 min on 2 cores) to check nothing new.
# These lessons run in English too: the first two a learner meets, where `_()` gives back the
# English source and genlab's helpers answer in English.
ENGLISH_RUNS = ["00_welcome", "01_first_images"]


def _ids(p: Path) -> str:
    return p.stem


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


# ---- fast: the committed notebooks -------------------------------------------------------------
def test_there_are_lessons():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOKS_DIR}"
    assert set(ENGLISH_RUNS) <= {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=_ids)
def test_committed_without_outputs(nb_path):
    nb = _read(nb_path)
    nbformat.validate(nb)
    for i, cell in enumerate(_code(nb)):
        assert cell.outputs == [], f"{nb_path.name}: code cell {i} has outputs; run tools/strip_notebooks.py"
        assert cell.execution_count is None, f"{nb_path.name}: code cell {i} has an execution count"
    assert "papermill" not in nb.metadata
    # the stripper agrees that there is nothing left to strip
    out = subprocess.run(
        [sys.executable, str(settings.REPO_ROOT / "tools" / "strip_notebooks.py"), "--check", str(nb_path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=_ids)
def test_parameters_cell_sets_profile(nb_path):
    nb = _read(nb_path)
    tagged = [c for c in _code(nb) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{nb_path.name}: needs exactly one code cell tagged 'parameters'"
    assigned = {
        t.id: node.value
        for node in ast.parse(tagged[0].source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    assert "profile" in assigned, f"{nb_path.name}: the parameters cell must set `profile`"
    assert isinstance(assigned["profile"], ast.Constant) and assigned["profile"].value == "tiny"
    # the parameters cell comes before any cell that uses the profile
    first_use = next((i for i, c in enumerate(_code(nb)) if "profile=profile" in c.source), len(_code(nb)))
    assert _code(nb).index(tagged[0]) < first_use


def _calls(source: str, name: str) -> list[ast.Call]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            f = node.func
            callee = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if callee == name:
                found.append(node)
    return found


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=_ids)
def test_generate_calls_use_the_profile_parameter(nb_path):
    """So the same lesson runs unchanged on a real model: every generate() gets profile=profile
    and no fixed size (sizes belong to the profile)."""
    nb = _read(nb_path)
    sources = [c.source for c in _code(nb)]
    # code in solutions (markdown fences) must follow the same rule
    sources += re.findall(r"```python\n(.*?)```", _markdown(nb), flags=re.S)
    calls = [call for s in sources for call in _calls(s, "generate")]
    for call in calls:
        kw = {k.arg: k.value for k in call.keywords}
        src = ast.unparse(call)
        assert "profile" in kw and isinstance(kw["profile"], ast.Name) and kw["profile"].id == "profile", src
        assert "width" not in kw and "height" not in kw, f"fixed size in {src}"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=_ids)
def test_lesson_grammar(nb_path):
    nb = _read(nb_path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "a lesson starts with its title"
    text = _markdown(nb)
    for part in ("**Questions**", "**Objectives**", "Teaching:", "Exercises:", "## Key points", "Instructor note"):
        assert part in text, f"{nb_path.name}: missing '{part}'"
    challenges = re.findall(r"^### Challenge", text, flags=re.M)
    solutions = re.findall(r"<details>\s*<summary>Solution</summary>", text)
    assert challenges and len(solutions) == len(challenges), "each challenge has a collapsible solution"
    assert text.count("<details>") == text.count("</details>")
    for src in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        ast.parse(src)  # solution code is valid Python


# ---- slow: execute each lesson ----------------------------------------------------------------
@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory):
    """A kernelspec that starts *this* interpreter, found first on JUPYTER_PATH (a user-level
    'python3' kernel pointing at another Python cannot shadow it)."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "genlab tests",
                "language": "python",
            }
        )
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(root))
        yield KERNEL_NAME


def _png_outputs(nb) -> list[bytes]:
    import base64

    return [
        base64.b64decode(out["data"]["image/png"])
        for cell in _code(nb)
        for out in cell.outputs
        if out.get("output_type") in ("display_data", "execute_result") and "image/png" in out.get("data", {})
    ]


def _printed_pngs(nb) -> list[str]:
    text = "".join(
        out.get("text", "") for cell in _code(nb) for out in cell.outputs if out.get("output_type") == "stream"
    )
    return re.findall(r"^(\S.*?\.png)\s*$", text, flags=re.M)


def _execute(source: Path, executed: Path, cwd: Path, kernel_name: str) -> nbformat.NotebookNode:
    import papermill as pm

    pm.execute_notebook(
        str(source),
        str(executed),
        parameters={"profile": "tiny"},
        kernel_name=kernel_name,
        cwd=str(cwd),
        progress_bar=False,
        execution_timeout=600,
    )
    return _read(executed)


def _assert_lesson_ran(nb, stem: str, outputs: Path) -> None:
    """No error; the figures it shows and the PNGs (with tiny recipes) it saves under `outputs`."""
    errors = [o for c in _code(nb) for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, "\n".join(f"{e['ename']}: {e['evalue']}" for e in errors)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)

    # the figures it shows are real pictures
    pngs = _png_outputs(nb)
    need = MIN_FIGURES.get(stem, DEFAULT_MIN_FIGURES)
    assert len(pngs) >= need, f"{stem} showed {len(pngs)} figures, expected at least {need}"
    import io

    for data in pngs:
        with Image.open(io.BytesIO(data)) as im:
            assert im.width >= 128 and im.height >= 128

    # what it saves exists, under the outputs folder, with a tiny recipe inside
    saved = sorted(outputs.rglob("*.png"))
    assert len(saved) >= MIN_SAVED.get(stem, 0), f"{stem} saved {len(saved)} PNGs"
    for p in saved:
        recipe = read_recipe(p)
        assert recipe.profile == "tiny" and recipe.prompt
    for printed in _printed_pngs(nb):
        p = Path(printed)
        p = p if p.is_absolute() else settings.REPO_ROOT / p
        assert p.exists(), f"{stem} printed {printed}, which does not exist"
        assert p.resolve().is_relative_to(outputs.resolve())


@pytest.mark.slow
@pytest.mark.parametrize("nb_path", [NOTEBOOKS_DIR / f"{name}.ipynb" for name in ENGLISH_RUNS], ids=_ids)
def test_notebook_runs(nb_path, tmp_path, kernel_name, monkeypatch):
    """The lesson as it is written, in English (GENLAB_LANG=en), from notebooks/."""
    outputs = tmp_path / "outputs"
    monkeypatch.setenv(lesson.OUTPUTS_ENV, str(outputs))  # keep the repo's outputs/ untouched
    monkeypatch.setenv("GENLAB_LANG", "en")
    nb = _execute(nb_path, tmp_path / nb_path.name, NOTEBOOKS_DIR, kernel_name)
    _assert_lesson_ran(nb, nb_path.stem, outputs)


# Lines a library writes to stderr, in English whatever the learner reads (we cannot translate
# them), that a Spanish run may show:
# * transformers' tokenizer when a prompt is longer than CLIP's 77 tokens: lesson 03 shows this
#   warning on purpose ("fíjate en la advertencia") and explains it in its Spanish text;
# * diffusers' ModelMixin.to() when the tiny video model (motion adapter, UNet, VAE) is moved to
#   its dtype for image-to-video (lesson 06): a note for library developers, not for learners.
LIBRARY_WARNINGS = re.compile(
    r"^(\[transformers\] Token indices sequence length is longer than the specified maximum sequence length"
    r"|Running this sequence through the model will result in indexing errors"
    r"|The following part of your input was truncated because CLIP can only handle sequences up to \d+ tokens"
    r"|There are modules in \w+ that should be kept in float32: \[.*\]\. Casting directly with `to\(\)`)"
)


def _shown_text(nb) -> list[tuple[int, str]]:
    """(code cell number, text) of every text output a learner reads under a code cell: what it
    prints (stdout and stderr) and the text of the values it shows (the richest form Jupyter
    draws: markdown or HTML before plain text; none for a picture)."""
    found = []
    for i, cell in enumerate(_code(nb)):
        for out in cell.outputs:
            kind = out.get("output_type")
            if kind == "stream":
                text = out.get("text", "")
                if out.get("name") == "stderr":
                    text = "".join(line for line in text.splitlines(keepends=True) if not LIBRARY_WARNINGS.match(line))
                found.append((i, text))
            elif kind in ("display_data", "execute_result"):
                data = out.get("data", {})
                if "image/png" in data or "image/jpeg" in data or "image/gif" in data:
                    continue
                for mime in ("text/markdown", "text/html", "text/plain"):
                    if mime in data:
                        text = data[mime]
                        if mime == "text/html":
                            text = re.sub(r"<[^>]*>", " ", text)
                        found.append((i, text))
                        break
    return found


def english_shown(nb) -> list[str]:
    """The English sentences among what a learner reads under the code cells of an executed lesson."""
    return [f"code cell {i}: {s}" for i, text in _shown_text(nb) for s in english_sentences(text)]


@pytest.mark.slow
@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=_ids)
def test_notebook_runs_in_spanish(nb_path, tmp_path, kernel_name, monkeypatch):
    """The lesson as a learner who reads Spanish runs it: rendered in es into a lessons folder
    (what `genlab lab --lang es` writes to my-lessons/), run there with GENLAB_LANG=es, so the
    Spanish helper messages run too. It shows and saves what the English one does, and what it
    prints reads as Spanish."""
    outputs = tmp_path / "outputs"
    monkeypatch.setenv(lesson.OUTPUTS_ENV, str(outputs))
    monkeypatch.setenv("GENLAB_LANG", "es")  # the kernel inherits it
    lessons = tmp_path / "my-lessons"
    (rendered,) = render_lessons(lessons, "es", sources=[nb_path])
    assert rendered == lessons / nb_path.name
    source = _read(rendered)
    assert english_in_notebook(source) == []
    nb = _execute(rendered, tmp_path / f"{nb_path.stem}.executed.ipynb", lessons, kernel_name)
    assert nb.metadata["genlab"]["lang"] == "es"
    _assert_lesson_ran(nb, nb_path.stem, outputs)
    assert english_shown(nb) == []


# ---- the lesson helpers ------------------------------------------------------------------------
def _recipe(seed=42, **kw) -> Recipe:
    base = dict(prompt="a red circle on a blue background", seed=seed, steps=20, guidance=7.0, width=128, height=128)
    base.update(kw)
    return Recipe(profile="tiny", model="tiny-shapes", sampler="DPM++ 2M", **base)


def _solid(colour, size=(128, 128)) -> Image.Image:
    return Image.new("RGB", size, colour)


def test_output_dir_follows_env(tmp_path, monkeypatch):
    monkeypatch.setenv(lesson.OUTPUTS_ENV, str(tmp_path / "o"))
    d = lesson.output_dir("01")
    assert d == tmp_path / "o" / "01" and d.is_dir()
    monkeypatch.delenv(lesson.OUTPUTS_ENV)
    assert lesson.outputs_root() == settings.REPO_ROOT / "outputs"


def test_nice_path_is_relative_inside_the_repo(tmp_path):
    assert lesson.nice_path(settings.REPO_ROOT / "outputs" / "01" / "x.png") == "outputs/01/x.png"
    assert lesson.nice_path(tmp_path / "x.png") == str((tmp_path / "x.png").resolve())


def test_labels_from_recipes():
    r = _recipe(negative_prompt="striped", guidance=7.0)
    assert lesson.label_for(r, "seed") == "seed 42"
    assert lesson.label_for(r, ("seed", "guidance", "negative_prompt")) == "seed 42 · guidance 7 · negative: striped"
    assert lesson.label_for(_recipe(), "negative_prompt") == "negative: (none)"
    assert lesson.label_for(r, "size") == "size 128x128"
    assert lesson.label_for(None, "seed") == ""
    with pytest.raises(ValueError, match="no setting called 'colour'"):
        lesson.label_for(r, "colour")


def test_pictures_flattens_generations_images_and_files(tmp_path):
    gen = Generation(images=[_solid("red"), _solid("blue")], recipes=[_recipe(1), _recipe(2)])
    path = save_png(_solid("green"), _recipe(3), tmp_path / "g.png")
    plain = tmp_path / "plain.png"
    _solid("white").save(plain)
    pics = lesson.pictures([gen, _solid("black"), path, plain])
    assert [r.seed if r else None for _, r in pics] == [1, 2, None, 3, None]
    assert pics[3][0].getpixel((0, 0)) == (0, 128, 0)
    with pytest.raises(TypeError):
        lesson.pictures([42])
    with pytest.raises(ValueError):
        lesson.pictures([])


def _plain(text: str) -> str:
    return text.replace(lesson.NBSP, " ").replace("\n", " ")


def _labels(fig) -> list[str]:
    return [_plain(ax.get_xlabel()) for ax in fig.axes]


def test_figure_has_one_labelled_panel_per_picture():
    gen = Generation(images=[_solid("red"), _solid("blue"), _solid("green")], recipes=[_recipe(s) for s in (1, 2, 3)])
    fig = lesson.show(gen, by="seed")  # outside a notebook: returns the figure
    assert _labels(fig) == ["seed 1", "seed 2", "seed 3"]
    # the shared prompt is the title; the settings they share are written at the bottom
    assert _plain(fig._suptitle.get_text()) == "a red circle on a blue background"
    assert _plain(fig._supxlabel.get_text()) == "steps 20 · guidance 7 · size 128x128"
    # a title of your own moves the prompt to the bottom line
    fig = lesson.figure(gen, by="seed", title="three seeds")
    assert _plain(fig._suptitle.get_text()) == "three seeds"
    assert _plain(fig._supxlabel.get_text()).startswith('"a red circle on a blue background" · steps 20')
    png = lesson.figure_png(fig)
    with Image.open(__import__("io").BytesIO(png)) as im:
        assert im.width > 3 * 128  # pictures are drawn larger than their pixels, side by side
    fig = lesson.figure([_solid("red"), _solid("blue")], ["left", "right"])
    assert _labels(fig) == ["left", "right"] and fig._suptitle is None and fig._supxlabel is None
    with pytest.raises(ValueError, match="2 pictures but 1 labels"):
        lesson.figure([_solid("red"), _solid("blue")], ["only one"])


def test_labels_keep_settings_whole_when_wrapped():
    lines = [_plain(x) for x in lesson._wrap("seed 4294967295 · steps 20 · guidance 7.5 · size 128x128", 20).split("\n")]
    assert len(lines) > 1 and all(len(x) <= 20 for x in lines)
    for part in ("seed 4294967295", "steps 20", "guidance 7.5", "size 128x128"):
        assert any(part in line for line in lines), (part, lines)  # never "size" on one line, "128x128" on the next
    long_prompt = "a large striped yellow star on a purple background in the top left"
    assert max(len(x) for x in lesson._wrap(long_prompt, 20).split("\n")) <= 20  # long text still wraps


def test_compare_says_identical_or_how_different():
    red = _solid("red")
    same = lesson.compare(red, red.copy(), draw=False)
    assert same.identical and bool(same) and str(same) == "Identical: all 16,384 pixels match."
    assert same.headline == "Identical: every pixel matches"
    nearly = red.copy()
    nearly.putpixel((0, 0), (254, 0, 0))
    near = lesson.difference(red, nearly)
    assert not near.identical and near.changed == 1 and near.largest_change == 1
    assert "1 of the 16,384 pixels changed" in str(near) and "too small to see" in str(near)
    assert near.headline.startswith("Looks identical")
    far = lesson.difference(red, _solid("blue"))
    assert far.changed_fraction == 1.0 and str(far).startswith("Different: 100% of the")
    assert not lesson.same_pixels(red, _solid("red", (64, 64)))
    diff = lesson.difference_image(red, nearly)
    assert diff.getpixel((0, 0)) == (4, 4, 4) and diff.getpixel((5, 5)) == (0, 0, 0)
    with pytest.raises(ValueError, match="one picture on each side"):
        lesson.compare(Generation([red, red], [_recipe(1), _recipe(2)]), red, draw=False)


def test_describe_reads_a_png(tmp_path):
    path = save_png(_solid("red"), _recipe(7, negative_prompt="blurry"), tmp_path / "r.png")
    card = lesson.describe(path)
    assert "Seed             7" in card and "Negative prompt  blurry" in card and "Model            tiny (tiny-shapes)" in card
    assert lesson.list_saved([path]) == str(path.resolve())
