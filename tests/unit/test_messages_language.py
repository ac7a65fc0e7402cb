"""What genlab's Python says to a learner outside the notebooks' own text reads in their language.

The lesson helpers' labels, comparisons and recipe cards, the doctor's report, the missing-model
message and the mistakes genlab.generate explains: with GENLAB_LANG=es no English sentence is left
(genlab.core.translations.english_sentences) and the values are all there; with en the English is
the one the rest of the tests read.
"""

from __future__ import annotations

import pytest
from PIL import Image

from genlab.core import i18n
from genlab.core.hardware import Hardware, recommend
from genlab.core.profiles import all_profiles, get_profile
from genlab.core.recipe import Recipe
from genlab.core.translations import english_sentences

PROMPT = "a red circle on a blue background"
# The tables this module's texts live in (assets/i18n/<lang>.toml).
TABLES = ("lesson", "internals", "prompting", "editing", "production", "responsible", "doctor", "pipelines",
          "generation", "course_cli", "cli_help", "progress_page")


@pytest.fixture
def es(monkeypatch):
    monkeypatch.setenv("GENLAB_LANG", "es")


def spanish(text: str, *values) -> str:
    """Assert `text` holds every value and, values aside, no English sentence; return it."""
    for value in values:
        assert str(value) in text, f"{value!r} missing from: {text}"
    rest = text.replace(PROMPT, " ")
    assert english_sentences(rest) == [], text
    return text


def recipe(**changes) -> Recipe:
    fields = dict(prompt=PROMPT, negative_prompt=None, seed=42, steps=20, guidance=7.5, width=128, height=128,
                  sampler="DPM++ 2M", profile="tiny", model="tiny-shapes")
    return Recipe(**{**fields, **changes})


def test_every_new_text_is_in_both_catalogues_and_the_spanish_is_spanish():
    en, es = i18n.catalogue("en"), i18n.catalogue("es")
    ours = [k for k in en if k.split(".")[0] in TABLES]
    assert len(ours) > 100 and {k.split(".")[0] for k in ours} == set(TABLES)
    for key in ours:
        assert key in es, key
        assert english_sentences(es[key]) == [], f"{key}: {es[key]}"


# ---- lesson helpers ------------------------------------------------------------------------------
def test_recipe_card_and_labels_in_spanish(es):
    from genlab.lessons import lesson

    card = spanish(lesson.describe(recipe(strength=0.3)), PROMPT, "42", "20", "7.5", "128 x 128 px", "DPM++ 2M", "tiny-shapes", "0.3")
    assert card.splitlines()[1].startswith("Prompt negativo") and "(ninguno)" in card and "Semilla" in card
    assert lesson.label_for(recipe(), ("seed", "steps")) == "semilla 42 · pasos 20"
    assert lesson.shared_settings([recipe(seed=1), recipe(seed=2)]) == "pasos 20 · guidance 7.5 · tamaño 128x128"


def test_comparisons_in_spanish(es):
    from genlab.lessons import lesson

    a = Image.new("RGB", (32, 32), "white")
    b = a.copy()
    b.putpixel((0, 0), (0, 0, 0))
    same, one, tiny = lesson.difference(a, a), lesson.difference(a, b), lesson.Comparison(1024, 10, 2)
    for text, values in [
        (str(same), ["1,024"]), (same.headline, []),
        (str(one), ["1", "1,024", "255"]), (one.headline, ["1"]),
        (str(tiny), ["10", "1,024", "2"]), (tiny.headline, ["10"]),
        (str(lesson.difference(a, a.resize((16, 16)))), []),
        (str(lesson.Comparison(100, 50, 80)), ["50%", "100", "80"]),
    ]:
        spanish(text, *values)
    assert same.headline == "Idénticas: coinciden todos los píxeles"
    fig = lesson.compare(a, b, draw=True)
    assert isinstance(fig, lesson.Comparison)


def test_lesson_errors_in_spanish(es):
    from genlab.lessons import editing, lesson, production, prompting

    with pytest.raises(ValueError) as err:
        lesson.compare(Image.new("RGB", (8, 8)), Image.new("RGB", (8, 8)), labels=("A",))
    spanish(str(err.value))
    with pytest.raises(ValueError) as err:
        lesson.label_for(recipe(), "colour")
    spanish(str(err.value), "colour", "seed, steps")
    with pytest.raises(ValueError) as err:
        prompting.variants(PROMPT, "green", ["blue"])
    spanish(str(err.value).replace(repr(PROMPT), ""), "'green'")
    with pytest.raises(ValueError) as err:
        editing.pad(Image.new("RGB", (8, 8)))
    spanish(str(err.value))
    with pytest.raises(ValueError) as err:
        production.fit_to_format(Image.new("RGB", (8, 8)), "poster")
    spanish(str(err.value), "'poster'", "story")


def test_brief_mistakes_in_spanish(es, tmp_path):
    from genlab.lessons import production

    path = tmp_path / "brief.csv"
    path.write_text("id,prompt,seed\nhero,a star,1\nhero,a circle,2\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        production.read_brief(path)
    spanish(str(err.value), "brief.csv", "3", "'hero'")


def test_responsible_tables_and_licences_in_spanish(es):
    from genlab.lessons import responsible

    table = responsible.licence_table()
    assert table.splitlines()[0].split()[:2] == ["perfil", "¿para"] and "revisar" in table and "sd-turbo" in table
    facts = responsible.licence_facts("sd15")
    spanish(facts.summary)
    spanish(facts.restrictions, "Attachment A")
    probe = responsible.world_probe("a circle", n=8, read=False)
    spanish(responsible.compare_table(probe).replace('"a circle"', ""), "8")
    reading = responsible.WatermarkReading(12.34, True)
    assert str(reading) == "marca de agua ENCONTRADA (puntaje 12.3, umbral 6)"


def test_licence_texts_in_english_are_the_known_licences_word_for_word():
    from genlab.lessons import responsible

    assert set(responsible.LICENCE_TEXT_IDS) == set(responsible.KNOWN_LICENCES)
    for key, ident in responsible.LICENCE_TEXT_IDS.items():
        for part in ("summary", "restrictions"):
            assert i18n.t(f"responsible.licence_{ident}_{part}", "en") == responsible.KNOWN_LICENCES[key][part]


# ---- doctor, models, generate ----------------------------------------------------------------------
def test_doctor_report_in_spanish(es):
    import genlab

    report = genlab.doctor()
    text = str(report)
    spanish(text, "genlab doctor", report.recommended, report.recommended_video, "genlab fetch sd15", report.python)
    assert "listo    tiny" in text and "Recomendado para imágenes: tiny" in text
    for hw in (Hardware(device="cuda", gpu_name="NVIDIA Test", vram_gb=12, ram_gb=32),
               Hardware(device="mps", gpu_name="Apple M2", vram_gb=9.6, ram_gb=16)):
        report.hardware = hw
        report.recommended, _ = recommend(hw)
        spanish(str(report), hw.gpu_name, report.recommended)


@pytest.mark.parametrize("hw", [
    Hardware(device="cpu"),
    Hardware(device="cuda", gpu_name="NVIDIA Test", vram_gb=6, ram_gb=32),
    Hardware(device="cuda", gpu_name="NVIDIA Test", vram_gb=12, ram_gb=32),
    Hardware(device="cuda", gpu_name="NVIDIA Test", vram_gb=80, ram_gb=32),
    Hardware(device="mps", gpu_name="Apple M2", vram_gb=9.6, ram_gb=16),
], ids=["cpu", "cuda-6", "cuda-12", "cuda-80", "mps"])
def test_doctor_reason_in_english_is_the_recommendation_word_for_word(hw):
    from genlab.core.doctor import reason_text

    for video in (False, True):
        name, why = recommend(hw, video=video)
        assert reason_text(hw, name, video=video) == why


def _empty_hub_cache(monkeypatch, tmp_path):
    """An empty Hugging Face cache, whether or not huggingface_hub was imported already (it reads
    HF_HUB_CACHE once, at import: after another test imported it, only its constant counts)."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))


def test_missing_model_message_in_spanish(es, monkeypatch, tmp_path):
    from genlab.core.pipelines import ModelNotFoundError, load_pipeline

    _empty_hub_cache(monkeypatch, tmp_path)
    with pytest.raises(ModelNotFoundError) as err:
        load_pipeline("txt2img", "sd15")
    prof = get_profile("sd15")
    spanish(str(err.value), "genlab fetch sd15", prof.source.repo, prof.source.revision, "GENLAB_PROFILE=tiny",
            "HF_HUB_OFFLINE=1", str(tmp_path))
    with pytest.raises(Exception) as err:
        load_pipeline("video", "tiny")
    spanish(str(err.value), "'tiny'", "video", "tiny-video")


def test_missing_model_message_in_english(monkeypatch, tmp_path):
    from genlab.core.pipelines import ModelNotFoundError, load_pipeline

    _empty_hub_cache(monkeypatch, tmp_path)
    with pytest.raises(ModelNotFoundError) as err:
        load_pipeline("txt2img", "sd15")
    assert str(err.value).startswith("Profile 'sd15' needs the model ")
    assert "Download it once with:\n\n    genlab fetch sd15\n\non a machine with internet" in str(err.value)


@pytest.mark.parametrize("kwargs, values", [
    (dict(steps=0), ["steps", "1", "200", "0"]),
    (dict(steps=2.5), ["steps", "2.5"]),
    (dict(strength=0.5), ["strength", "`image`"]),
    (dict(mask_image=Image.new("L", (128, 128))), ["`image`", "`mask_image`"]),
    (dict(seed=-1), ["seed", "-1"]),
])
def test_generate_mistakes_in_spanish(es, kwargs, values):
    import genlab

    with pytest.raises((TypeError, ValueError)) as err:
        genlab.generate("a circle", **kwargs)
    spanish(str(err.value), *values)


def test_english_stays_english():
    from genlab.lessons import lesson

    assert lesson.describe(recipe()).splitlines()[1] == "Negative prompt  (none)"
    assert lesson.Comparison(1024, 0, 0).headline == "Identical: every pixel matches"
    assert all(name in all_profiles() for name in ("tiny", "sd15"))


# ---- genlab course (the trainer's terminal) ---------------------------------------------------------
def _status(monkeypatch, capsys) -> str:
    import genlab.course.learners
    import genlab.course.sandbox
    from genlab.course import cli, nbgrader_ops

    def assignment(name, **changes):
        return {"assignment": name, "released": True, "handed_in": [], "collected": [], "autograded": [],
                "to_autograde": [], "feedback": [], **changes}

    status = {"course": "/srv/curso", "course_id": "genlab", "exchange": "/srv/exchange", "learners": ["ana", "beto"],
              "assignments": [assignment("01_first_images", released=False),
                              assignment("02_prompt_craft", handed_in=["ana"]),
                              assignment("03_under_the_hood", handed_in=["ana"], collected=["ana"], to_autograde=["ana"]),
                              assignment("04_editing", handed_in=["ana"], collected=["ana"], autograded=["ana"]),
                              assignment("05_brand_lora", handed_in=["ana"], collected=["ana"], autograded=["ana"], feedback=["ana"]),
                              assignment("06_video")]}
    monkeypatch.setattr(nbgrader_ops, "course_status", lambda course: status)
    monkeypatch.setattr(genlab.course.learners, "read_roster", lambda course: {"ana": {"id": "ana", "team": "azul"}})
    monkeypatch.setattr(genlab.course.sandbox, "best_mode", lambda: "bwrap")
    assert cli.cmd_status(type("Args", (), {"course": None})()) == 0
    return capsys.readouterr().out


def test_course_status_in_spanish(es, monkeypatch, capsys):
    out = _status(monkeypatch, capsys)
    spanish(out, "/srv/curso", "azul", "01_first_images", "genlab course release 01_first_images",
            "genlab course collect 02_prompt_craft", "genlab course autograde 03_under_the_hood",
            "genlab course feedback 04_editing")
    assert "Lo que sigue para 01_first_images" in out and "ejercicio" in out.splitlines()[4]


def test_course_status_in_english(monkeypatch, capsys):
    out = _status(monkeypatch, capsys)
    lines = out.splitlines()
    assert lines[4] == "assignment             released  handed in  collected  graded  to grade  feedback"
    assert lines[5] == "01_first_images              no          0          0       0         0         0"
    assert "Next for 01_first_images: genlab course release 01_first_images" in out
    assert "05_brand_lora: graded and fed back." in out


# ---- profiles: titles and licence notes (assets/models.toml title_es / licence_es) ----------------
LICENCE_NAMES = ("Apache-2.0", "Stability AI Community License", "CreativeML OpenRAIL-M", "CreativeML Open RAIL++-M",
                 "LTX-Video Open Weights License", "OpenAI CLIP", "SD-Turbo", "Stable Diffusion XL", "Stable Diffusion",
                 "AnimateDiff", "LTX-Video", "Apple silicon", "genlab", "CPU", "GPU")


def without_names(text: str) -> str:
    for name in LICENCE_NAMES:
        text = text.replace(name, " ")
    return text


def test_every_profile_has_a_spanish_title_and_licence_note(monkeypatch):
    monkeypatch.setenv("GENLAB_LANG", "es")
    for name, p in all_profiles().items():
        assert p.title_es and p.title_in() == p.title_es, name
        assert english_sentences(without_names(p.title_es)) == [], (name, p.title_es)
        # a licence with a note in brackets has it in Spanish too; a bare licence name reads the same
        assert bool(p.licence_es) == ("(" in p.licence), name
        assert p.licence_in() == (p.licence_es or p.licence), name
        assert english_sentences(without_names(p.licence_in())) == [], (name, p.licence_in())
        # the licence names themselves stay as written, so the Spanish note names the same licences
        names = [part.split(" (")[0] for part in p.licence.split(" + ")]
        assert [part.split(" (")[0] for part in p.licence_in().split(" + ")] == names, name
    monkeypatch.setenv("GENLAB_LANG", "en")
    for name, p in all_profiles().items():
        assert p.title_in() == p.title and p.licence_in() == p.licence, name
    assert get_profile("sd15").title_in("es") == "Stable Diffusion 1.5 (una GPU con 6 GB o más)"
    assert get_profile("sd15").title_in("en") == "Stable Diffusion 1.5 (a GPU with 6 GB or more)"


def test_licence_facts_read_the_licence_note_in_the_readers_language(monkeypatch):
    from genlab.lessons import responsible

    monkeypatch.setenv("GENLAB_LANG", "es")
    turbo = responsible.licence_facts("sd-turbo")
    assert turbo.licence.startswith("Stability AI Community License (los términos dependen")
    assert turbo.commercial == "check"
    assert "lee la licencia vigente" in responsible.licence_table()
    monkeypatch.setenv("GENLAB_LANG", "en")
    turbo = responsible.licence_facts("sd-turbo")
    assert turbo.licence == get_profile("sd-turbo").licence and turbo.commercial == "check"


def test_studio_and_video_show_the_profile_title_in_the_browsers_language():
    from genlab.ui.i18n import profile_title

    key = profile_title("tiny").key
    assert i18n.texts("es")[key] == get_profile("tiny").title_es
    assert i18n.texts("en")[key] == get_profile("tiny").title
