"""The ethics committee (issue 16): a roster with roles, an append-only hash-chained record of
decisions, the quorum rule, and the review packet a member reads in their language."""

import json
from pathlib import Path

import pytest
from PIL import Image

from genlab.core import committee
from genlab.core.i18n import UserError
from genlab.core.recipe import Recipe, save_png
from genlab.lessons import review

CAMPAIGN = "CMX-2025-020"
ROSTER = """[committee]
name = "Comité de ética de IA"
[quorum]
approvals = 3
roles = ["chair", "legal"]
[[members]]
id = "chair"
name = "Laura Méndez"
role = "chair"
[[members]]
id = "legal"
name = "Diego Ruiz"
role = "legal"
[[members]]
id = "cd"
name = "Paola Vega"
role = "creative_director"
[[members]]
id = "dp"
name = "Itzel Torres"
role = "data_protection"
"""


def make(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, colour in enumerate(("tomato", "teal")):
        save_png(Image.new("RGB", (320, 320), colour), Recipe(prompt=f"una taza de café {i}", seed=i, steps=20, guidance=7.0,
                                                              width=320, height=320, profile="tiny", model="tiny",
                                                              negative_prompt="texto, logotipos"), folder / f"p{i}.png")
    (folder / "campaign.toml").write_text(f'''[campaign]
id = "{CAMPAIGN}"
client = "Café La Luna"
title = "Temporada de lluvias"

[[training_data]]
lora = "luna-style"
source = "Fotos de producto, sesión del 3 de marzo"
owner = "Café La Luna"
licence = "contrato CLL-2025-02"
people = false
consent = "CLL-2025-02, cláusula 7"

[[training_data]]
lora = "luna-style"
source = "Fotos del barista en la cafetería"
owner = "Café La Luna"
licence = "contrato CLL-2025-02"
people = true

[[checks]]
question = "likeness"
answer = "no"
by = "Ana Ruiz (producción)"
date = 2025-06-01

[[checks]]
question = "brands"
answer = "yes"
note = "Taza con el logotipo del cliente, autorizado en CLL-2025-02"
by = "Ana Ruiz (producción)"
date = 2025-06-01
''', encoding="utf-8")
    (folder / "committee.toml").write_text(ROSTER, encoding="utf-8")
    return folder


def state(folder):
    from genlab.core.delivery import load_campaign

    c = load_campaign(folder)
    return committee.status(committee.read_log(c.decisions_file), committee.load_roster(c.committee_file), c.id,
                            committee.asset_hashes(c.asset_files()))


def test_quorum_needs_enough_approvals_and_the_required_roles(tmp_path):
    folder = make(tmp_path / "c")
    st = state(folder)
    assert not st.approved and ("committee.need_approvals", {"have": 0, "need": 3, "waiting":
                                "Laura Méndez (chair), Diego Ruiz (legal), Paola Vega (creative_director), Itzel Torres (data_protection)"}) in st.problems
    for member in ("cd", "dp", "chair"):
        review.decide(folder, "approve", member, "ok")
    st = state(folder)
    assert not st.approved and [k for k, _ in st.problems] == ["committee.need_role"]  # three, but no one from legal
    record, st = review.decide(folder, "approve", "legal", "ok")
    assert st.approved and st.reference == "sha256:" + record["hash"]
    assert st.approval()["by"] == ["Paola Vega (creative_director)", "Itzel Torres (data_protection)", "Laura Méndez (chair)",
                                   "Diego Ruiz (legal)"]
    # a member changes their mind within the round: their latest decision counts
    review.decide(folder, "reject", "cd", "La taza parece de otra marca.")
    st = state(folder)
    assert not st.approved and any(k == "committee.open_reject" for k, _ in st.problems)


def test_only_members_decide_and_a_reason_is_required(tmp_path):
    folder = make(tmp_path / "c")
    with pytest.raises(UserError) as err:
        review.decide(folder, "approve", "intruder", "ok")
    assert err.value.key == "committee.not_member"
    with pytest.raises(UserError) as err:
        review.decide(folder, "approve", "chair", "   ")
    assert err.value.key == "committee.no_reason"
    with pytest.raises(UserError):
        review.decide(folder, "maybe", "chair", "ok")
    assert not (folder / "decisions.jsonl").exists()


def test_a_new_round_forgets_the_old_votes(tmp_path):
    folder = make(tmp_path / "c")
    for member in ("chair", "legal", "cd"):
        review.decide(folder, "approve", member, "ok")
    assert state(folder).approved
    review.decide(folder, "resubmit", "cd", "Cambiamos el fondo.")
    st = state(folder)
    assert st.round == 2 and not st.votes and not st.approved


def _lines(folder):
    return (folder / "decisions.jsonl").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("tamper", ["edit", "delete", "swap", "rehash_one"])
def test_tampering_with_the_record_is_detected(tmp_path, tamper):
    folder = make(tmp_path / "c")
    review.decide(folder, "reject", "dp", "Falta el consentimiento del barista.")
    for member in ("chair", "legal", "cd"):
        review.decide(folder, "approve", member, "ok")
    lines = _lines(folder)
    assert committee.read_log(folder / "decisions.jsonl").intact
    if tamper == "edit":  # turn the reject into an approval
        lines[0] = lines[0].replace('"reject"', '"approve"')
    elif tamper == "delete":  # remove the reject
        del lines[0]
    elif tamper == "swap":
        lines[1], lines[2] = lines[2], lines[1]
    else:  # edit and recompute its own hash: the next record's `prev` still points at the old one
        rec = json.loads(lines[0])
        rec["decision"] = "approve"
        rec["hash"] = committee.record_hash(rec)
        lines[0] = json.dumps(rec, ensure_ascii=False)
    (folder / "decisions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = committee.read_log(folder / "decisions.jsonl")
    assert not log.intact, tamper
    st = state(folder)
    assert not st.approved and st.problems[0] == ("committee.chain_broken", {})
    with pytest.raises(UserError) as err:  # nothing more is appended to a broken record
        review.decide(folder, "approve", "dp", "ok")
    assert err.value.key == "committee.chain_broken_append"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_packet_page_in_both_languages(tmp_path, lang):
    folder = make(tmp_path / "c")
    review.decide(folder, "approve", "chair", "Sin personas <reales>.")
    path = review.write_packet(folder, lang=lang)
    assert path == folder / "review" / f"packet-{lang}.html"
    page = path.read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in page
    for section in ("status", "contact-sheet", "recipes", "models", "training-data", "checks", "disclosure", "committee", "decisions"):
        assert f'id="{section}"' in page, section
    assert "data:image/png;base64," in page and "<script" not in page
    assert "una taza de café 0" in page and "texto, logotipos" in page  # recipes
    assert "Apache-2.0" in page  # the tiny model's licence
    assert "CLL-2025-02, cláusula 7" in page and "Fotos del barista" in page
    assert "Sin personas &lt;reales&gt;." in page  # escaped
    assert "Ana Ruiz (producción)" in page and "autorizado en CLL-2025-02" in page
    assert "Meta" in page and "TikTok" in page and "YouTube" in page
    words = {
        "es": ["Paquete de revisión", "Hoja de contactos", "Modelos y sus licencias", "FALTA: hay personas reconocibles",
               "Información de IA", "Contenido generado por IA", "Contenido alterado o sintético", "presidencia",
               "Todavía no está aprobada", "la cadena de hashes está intacta", "sí", "todavía sin responder"],
        "en": ["Review packet", "Contact sheet", "Models and their licences", "MISSING: people are recognisable",
               "AI info", "AI-generated content", "Altered or synthetic content", "chair",
               "Not approved yet", "the chain of hashes is intact", "client work?", "not answered yet"],
    }[lang]
    for w in words:
        assert w in page, w
    other = {"es": "Contact sheet", "en": "Hoja de contactos"}[lang]
    assert other not in page


def test_cli_decide_status_and_packet(tmp_path, capsys, monkeypatch):
    from genlab.cli import main

    monkeypatch.setenv("GENLAB_LANG", "en")
    folder = make(tmp_path / "c")
    assert main(["committee", "status", str(folder)]) == 1
    assert "not approved yet" in capsys.readouterr().out
    for member in ("chair", "legal", "cd"):
        assert main(["committee", "decide", str(folder), "--decision", "approve", "--by", member, "--reason", "ok"]) == 0
    out = capsys.readouterr().out
    assert "Recorded #3: approve by Paola Vega" in out and f"Campaign {CAMPAIGN}: approved" in out
    assert main(["committee", "decide", str(folder), "--decision", "approve", "--by", "nobody", "--reason", "x"]) == 2
    assert "'nobody' is not on the committee" in capsys.readouterr().err
    monkeypatch.setenv("GENLAB_LANG", "es")
    assert main(["committee", "packet", str(folder), "--lang", "es", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "paquete de revisión" in out
    assert (folder / "review" / "packet-es.html").is_file() and (folder / "review" / "packet-en.html").is_file()
    assert main(["committee", "roster", str(folder)]) == 0
    assert "área legal" in capsys.readouterr().out
