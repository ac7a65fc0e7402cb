"""The ethics committee's review of a campaign (lesson 9's capstone ends with it) and
``genlab committee``:

    genlab committee roster CAMPAIGN                 who sits on the committee, the quorum rule
    genlab committee packet CAMPAIGN [--lang es|en]  the review packet: one HTML page
    genlab committee decide CAMPAIGN --decision approve|changes_requested|reject --by ID --reason "…"
    genlab committee resubmit CAMPAIGN --by ID --reason "…"   a new round (the campaign changed)
    genlab committee status CAMPAIGN                 approved or not, and what is missing

The packet is a self-contained page (no scripts, no outside files) a committee member reads without
code, in their language: the contact sheet, each asset's recipe, the models with their licences and
commercial-use verdicts (genlab.lessons.responsible), the LoRA training data with its consent records,
the checklist (people's likeness, minors, third-party brands, artworks, misleading realism: the
answers recorded in the campaign TOML with who answered), the disclosure per platform (Meta,
TikTok, YouTube: ``assets/committee/review.toml``), the roster and the record of decisions with the
state of its hash chain (genlab.core.committee).

What the campaign TOML adds for the packet (beside genlab.core.delivery's fields)::

    [[training_data]]                  # one per source a LoRA was trained on
    lora = "cafe-luna-style"
    source = "Fotos de producto, sesión del 3 de marzo de 2025"
    owner = "Café La Luna"
    licence = "cedidas por el cliente, contrato CLL-2025-02"
    people = false                     # are people recognisable in it?
    consent = "CLL-2025-02, cláusula 7"  # the consent / rights record (required when people = true)

    [[checks]]
    question = "likeness"              # an id from assets/committee/review.toml
    answer = "no"                      # "yes" or "no"
    note = ""                          # the evidence when the answer needs one
    by = "Ana Ruiz (producción)"
    date = 2025-06-01
"""

from __future__ import annotations

import argparse
import base64
import html as _html
import io
import sys
import tomllib
from pathlib import Path

from genlab import settings
from genlab.core import committee
from genlab.core.i18n import UserError, current_language, help_text, say, t

REVIEW_TOML = settings.ASSETS_DIR / "committee" / "review.toml"
LANGUAGES = ("es", "en")
THUMB = 256


def review_data() -> dict:
    with open(REVIEW_TOML, "rb") as f:
        return tomllib.load(f)


def _lang(lang: str | None) -> str:
    return lang if lang in LANGUAGES else current_language()


# ---- what the packet holds -----------------------------------------------------------------------
def _thumbnail(path: Path):
    from PIL import Image

    if path.suffix.lower() == ".mp4":
        import imageio.v2 as imageio

        reader = imageio.get_reader(str(path), format="FFMPEG")
        try:
            im = Image.fromarray(reader.get_data(0))
        finally:
            reader.close()
    else:
        with Image.open(path) as opened:
            im = opened.convert("RGB")
    im.thumbnail((THUMB, THUMB))
    return im


def contact_sheet_png(files: list[Path]) -> bytes | None:
    from genlab.core.imaging import contact_sheet

    pictures, captions = [], []
    for f in files:
        try:
            pictures.append(_thumbnail(f))
            captions.append(f.name)
        except Exception:  # noqa: BLE001 - an unreadable file shows as missing in the recipe table
            continue
    if not pictures:
        return None
    sheet = contact_sheet(pictures, cols=min(4, len(pictures)), captions=captions, margin=8)
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    return buf.getvalue()


def _recipe_rows(campaign, lang: str) -> list[dict]:
    from genlab.core.delivery import recipe_of

    rows = []
    for asset in campaign.assets:
        row = {"file": asset.file.name if asset.file else "?", "from": (asset.recipe_from.name if asset.recipe_from else "")}
        try:
            r = recipe_of(asset)
        except Exception:  # noqa: BLE001 - no recipe: the committee sees it
            row["missing"] = t("review.no_recipe", lang)
            rows.append(row)
            continue
        row.update(prompt=r.prompt, negative=r.negative_prompt or "", profile=r.profile or "", model=r.model or r.model_source or "",
                   settings=t("review.settings_line", lang, seed=r.seed, steps=r.steps, guidance=r.guidance,
                              size=f"{r.width}×{r.height}", sampler=r.sampler or r.scheduler or "-"),
                   task=r.task, loras=", ".join(f"{k} ({v})" for k, v in (r.loras or {}).items()),
                   control=(r.control or {}).get("model", ""), recipe=r)
        rows.append(row)
    return rows


def _model_rows(recipe_rows: list[dict], lang: str) -> list[dict]:
    from genlab.lessons.responsible import licence_facts

    seen, out = set(), []
    for row in recipe_rows:
        r = row.get("recipe")
        if r is None:
            continue
        name = r.profile or r.model or "?"
        if name in seen:
            continue
        seen.add(name)
        entry = {"profile": name, "model": row["model"], "verdict": "check", "licence": "", "summary": "", "restrictions": ""}
        try:
            facts = licence_facts(r.profile, lang)
            entry.update(verdict=facts.commercial, licence=facts.licence, summary=facts.summary,
                         restrictions=facts.restrictions)
        except Exception:  # noqa: BLE001 - a profile not in models.toml: the licence stays to be checked
            entry["summary"] = t("review.unknown_profile", lang)
        entry["verdict_text"] = t(f"responsible.commercial_{entry['verdict']}", lang)
        out.append(entry)
    return out


def _training_rows(campaign, lang: str) -> list[dict]:
    rows = []
    for src in campaign.data.get("training_data", []):
        people = bool(src.get("people", False))
        consent = str(src.get("consent", "")).strip()
        rows.append({"lora": str(src.get("lora", "")), "source": str(src.get("source", "")), "owner": str(src.get("owner", "")),
                     "licence": str(src.get("licence", "")), "people": t("review.yes" if people else "review.no", lang),
                     "consent": consent or t("review.none", lang), "flag": people and not consent})
    return rows


def _check_rows(campaign, data: dict, lang: str) -> list[dict]:
    answers = {str(c.get("question")): c for c in campaign.data.get("checks", [])}
    rows = []
    for q in data.get("questions", []):
        a = answers.get(q["id"])
        answer = str(a.get("answer", "")).strip().lower() if a else ""
        note = str(a.get("note", "")).strip() if a else ""
        if not a:
            state = "unanswered"
        elif answer == q["expect"]:
            state = "ok"
        else:
            state = "evidence" if note else "attention"
        rows.append({"question": q[lang], "help": q[f"help_{lang}"],
                     "answer": t(f"review.{answer}", lang) if answer in ("yes", "no") else t("review.not_answered", lang),
                     "note": note, "by": str(a.get("by", "")) if a else "", "date": str(a.get("date", "")) if a else "",
                     "state": state, "state_text": t(f"review.check_{state}", lang)})
    return rows


def _disclosures(data: dict, lang: str) -> list[dict]:
    return [{"name": p["name"], "label": p[f"label_{lang}"], "when": p[f"when_{lang}"], "how": p[f"how_{lang}"],
             "caption": p[f"caption_{lang}"], "url": p.get("url", "")} for p in data.get("platforms", {}).values()]


def packet(campaign_path, lang: str | None = None) -> dict:
    """Everything the page shows, as data (tests and lessons read it too)."""
    from genlab.core.delivery import load_campaign

    lang = _lang(lang)
    campaign = load_campaign(campaign_path)
    data = review_data()
    roster = committee.load_roster(campaign.committee_file)
    log = committee.read_log(campaign.decisions_file)
    files = [a.file for a in campaign.assets if a.file is not None and a.file.is_file()]
    st = committee.status(log, roster, campaign.id, committee.asset_hashes(campaign.asset_files()))
    recipes = _recipe_rows(campaign, lang)
    return {
        "lang": lang, "campaign": campaign, "roster": roster, "log": log, "status": st,
        "sheet": contact_sheet_png(files), "recipes": recipes, "models": _model_rows(recipes, lang),
        "training": _training_rows(campaign, lang), "checks": _check_rows(campaign, data, lang),
        "disclosures": _disclosures(data, lang),
        "problems": [t(k, lang, **v) for k, v in st.problems],
    }


# ---- the page ------------------------------------------------------------------------------------
CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #ccc;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.ok{color:#1a7f37}.attention,.unanswered,.no{color:#b3261e;font-weight:600}.check{color:#9a6700;font-weight:600}
.evidence,.yes{color:#1a7f37}.banner{padding:.8em 1em;border-radius:6px;margin:1em 0}.approved{background:#e6f4ea}.pending{background:#fdecea}
img{max-width:100%}code{font-size:.85em;word-break:break-all}.muted{color:#666;font-size:.9em}"""


def _e(value) -> str:
    return _html.escape(str(value if value is not None else ""))


def _table(heads: list[str], rows: list[list[str]]) -> str:
    """Cells are HTML already escaped by the caller."""
    head = "".join(f"<th>{_e(h)}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(p: dict) -> str:
    lang = p["lang"]
    c, roster, st, log = p["campaign"], p["roster"], p["status"], p["log"]

    def T(key, **v):
        return t(f"review.{key}", lang, **v)

    out = [f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
           f"<title>{_e(T('title', campaign=c.id))}</title><style>{CSS}</style></head><body>",
           f"<h1>{_e(T('title', campaign=c.id))}</h1>",
           f"<p>{_e(T('intro', client=c.client, title=c.title or c.id, committee=roster.name or T('committee')))}</p>"]
    if st.approved:
        out.append(f'<div class="banner approved" id="status"><strong>{_e(T("approved", round=st.round))}</strong><br>'
                   f'<span class="muted">{_e(T("reference"))}: <code>{_e(st.reference)}</code></span></div>')
    else:
        items = "".join(f"<li>{_e(x)}</li>" for x in p["problems"])
        out.append(f'<div class="banner pending" id="status"><strong>{_e(T("not_approved", round=st.round))}</strong><ul>{items}</ul></div>')

    out.append(f'<h2 id="contact-sheet">{_e(T("section_sheet"))}</h2>')
    if p["sheet"]:
        b64 = base64.b64encode(p["sheet"]).decode("ascii")
        out.append(f'<img alt="{_e(T("section_sheet"))}" src="data:image/png;base64,{b64}">')
    else:
        out.append(f"<p>{_e(T('no_pictures'))}</p>")

    out.append(f'<h2 id="recipes">{_e(T("section_recipes"))}</h2><p class="muted">{_e(T("recipes_note"))}</p>')
    rows = []
    for r in p["recipes"]:
        if "missing" in r:
            rows.append([_e(r["file"]), f'<span class="attention">{_e(r["missing"])}</span>', "", "", ""])
            continue
        extra = "".join(f"<br>{_e(k)}: {_e(v)}" for k, v in ((T("loras"), r["loras"]), ("ControlNet", r["control"])) if v)
        rows.append([_e(r["file"]) + (f'<br><span class="muted">{_e(T("recipe_from", file=r["from"]))}</span>' if r["from"] else ""),
                     _e(r["prompt"]), _e(r["negative"]), _e(r["profile"]) + f"<br>{_e(r['model'])}",
                     _e(r["task"]) + "<br>" + _e(r["settings"]) + extra])
    out.append(_table([T("col_file"), T("col_prompt"), T("col_negative"), T("col_model"), T("col_settings")], rows))

    out.append(f'<h2 id="models">{_e(T("section_models"))}</h2><p class="muted">{_e(T("models_note"))}</p>')
    out.append(_table([T("col_profile"), T("col_client_work"), T("col_licence"), T("col_summary"), T("col_restrictions")],
                      [[_e(m["profile"]) + f"<br>{_e(m['model'])}", f'<span class="{_e(m["verdict"])}">{_e(m["verdict_text"])}</span>',
                        _e(m["licence"]), _e(m["summary"]), _e(m["restrictions"])] for m in p["models"]]))

    out.append(f'<h2 id="training-data">{_e(T("section_training"))}</h2>')
    if p["training"]:
        out.append(_table([T("col_lora"), T("col_source"), T("col_owner"), T("col_licence"), T("col_people"), T("col_consent")],
                          [[_e(r["lora"]), _e(r["source"]), _e(r["owner"]), _e(r["licence"]), _e(r["people"]),
                            (f'<span class="attention">{_e(T("consent_missing"))}</span>' if r["flag"] else _e(r["consent"]))]
                           for r in p["training"]]))
    else:
        out.append(f"<p>{_e(T('no_training'))}</p>")

    out.append(f'<h2 id="checks">{_e(T("section_checks"))}</h2>')
    out.append(_table([T("col_question"), T("col_answer"), T("col_note"), T("col_answered_by"), T("col_state")],
                      [[_e(r["question"]) + f'<br><span class="muted">{_e(r["help"])}</span>', _e(r["answer"]), _e(r["note"]),
                        _e(r["by"]) + (f"<br>{_e(r['date'])}" if r["date"] else ""),
                        f'<span class="{r["state"]}">{_e(r["state_text"])}</span>'] for r in p["checks"]]))

    out.append(f'<h2 id="disclosure">{_e(T("section_disclosure"))}</h2><p class="muted">{_e(T("disclosure_note"))}</p>')
    out.append(_table([T("col_platform"), T("col_label"), T("col_when"), T("col_how"), T("col_caption")],
                      [[_e(d["name"]) + (f'<br><span class="muted">{_e(d["url"])}</span>' if d["url"] else ""), _e(d["label"]),
                        _e(d["when"]), _e(d["how"]), f"«{_e(d['caption'])}»" if lang == "es" else f"“{_e(d['caption'])}”"]
                       for d in p["disclosures"]]))

    out.append(f'<h2 id="committee">{_e(T("section_roster"))}</h2>')
    roles = ", ".join(t(f"committee.role_{r}", lang) for r in roster.roles) or T("none")
    out.append(f"<p>{_e(T('quorum', approvals=roster.approvals, roles=roles))}</p>")
    out.append(_table([T("col_member"), T("col_role"), T("col_decision")],
                      [[_e(m.name) + f' <span class="muted">({_e(m.id)})</span>', _e(t(f"committee.role_{m.role}", lang)),
                        _e(t(f"committee.decision_{st.votes[m.id]['decision']}", lang)) if m.id in st.votes else _e(T("waiting"))]
                       for m in roster.members.values()]))

    out.append(f'<h2 id="decisions">{_e(T("section_decisions"))}</h2>')
    out.append(f'<p class="{"ok" if log.intact else "attention"}">{_e(T("chain_ok" if log.intact else "chain_broken", count=len(log.records)))}</p>')
    out.append(_table([T("col_seq"), T("col_round"), T("col_when_decided"), T("col_member"), T("col_decision"), T("col_reason"), T("col_hash")],
                      [[_e(r.get("seq")), _e(r.get("round")), _e(r.get("at")), _e(r.get("name")) + f" ({_e(t('committee.role_' + str(r.get('role')), lang) if r.get('role') in committee.ROLES else r.get('role'))})",
                        _e(t(f"committee.decision_{r.get('decision')}", lang) if r.get("decision") in committee.DECISIONS + (committee.RESUBMIT,) else r.get("decision")),
                        _e(r.get("reason")), f"<code>{_e(str(r.get('hash', ''))[:16])}…</code>"] for r in log.records]))
    out.append(f'<p class="muted">{_e(T("footer"))}</p></body></html>')
    return "\n".join(out)


def write_packet(campaign_path, out: str | Path | None = None, lang: str | None = None) -> Path:
    """The packet page in ``lang`` (default: the reader's), at ``out`` (default:
    ``<campaign folder>/review/packet-<lang>.html``)."""
    p = packet(campaign_path, lang)
    path = Path(out) if out else p["campaign"].folder / "review" / f"packet-{p['lang']}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(p), encoding="utf-8")
    return path


# ---- recording decisions -------------------------------------------------------------------------
def decide(campaign_path, decision: str, by: str, reason: str) -> tuple[dict, committee.Status]:
    """Append a decision (or ``resubmit``) on the campaign's current files; returns the record and
    the campaign's status after it."""
    from genlab.core.delivery import load_campaign

    campaign = load_campaign(campaign_path)
    if not campaign.id:
        raise UserError("delivery.no_id", path=campaign.source.name)
    roster = committee.load_roster(campaign.committee_file)
    hashes = committee.asset_hashes(campaign.asset_files())
    record = committee.append(campaign.decisions_file, roster, campaign=campaign.id, decision=decision, by=by,
                              reason=reason, assets=hashes)
    return record, committee.status(committee.read_log(campaign.decisions_file), roster, campaign.id, hashes)


# ---- genlab committee ----------------------------------------------------------------------------
def _print_status(st: committee.Status, campaign: str) -> None:
    if st.approved:
        print(say("review.cli_approved", campaign=campaign, reference=st.reference))
    else:
        print(say("review.cli_not_approved", campaign=campaign))
        for key, values in st.problems:
            print("  - " + say(key, **values))


def _run(args) -> int:
    from genlab.core.delivery import load_campaign

    if args.committee_cmd == "packet":
        for lang in (args.lang or [current_language()]):
            print(say("review.cli_packet", path=write_packet(args.campaign, args.out if len(args.lang or [1]) == 1 else None, lang)))
        return 0
    if args.committee_cmd in ("decide", "resubmit"):
        decision = "resubmit" if args.committee_cmd == "resubmit" else args.decision
        record, st = decide(args.campaign, decision, args.by, args.reason)
        print(say("review.cli_recorded", seq=record["seq"], decision=say(f"committee.decision_{decision}"), name=record["name"],
                  hash=record["hash"][:16]))
        _print_status(st, record["campaign"])
        return 0
    campaign = load_campaign(args.campaign)
    roster = committee.load_roster(campaign.committee_file)
    if args.committee_cmd == "roster":
        print(roster.name)
        for m in roster.members.values():
            print(f"  {m.id:<14} {m.name:<28} {say('committee.role_' + m.role)}")
        roles = ", ".join(say(f"committee.role_{r}") for r in roster.roles) or say("review.none")
        print(say("review.quorum", approvals=roster.approvals, roles=roles))
        return 0
    st = committee.status(committee.read_log(campaign.decisions_file), roster, campaign.id,
                          committee.asset_hashes(campaign.asset_files()))
    _print_status(st, campaign.id)
    return 0 if st.approved else 1


def run(args) -> int:
    if not getattr(args, "committee_cmd", None):
        args.committee_parser.print_help()
        return 0
    try:
        return _run(args)
    except UserError as err:
        print(f"genlab committee: {err.message(current_language())}", file=sys.stderr)
        return 2


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.description = say("cli_help.committee")
    p.set_defaults(run=run, committee_parser=p)
    sub = p.add_subparsers(dest="committee_cmd", metavar="ACTION")

    def campaign_arg(sp):
        sp.add_argument("campaign", help=help_text("cli_help.deliver_campaign"))

    campaign_arg(sub.add_parser("roster", help=help_text("cli_help.committee_roster")))
    sp = sub.add_parser("packet", help=help_text("cli_help.committee_packet"))
    campaign_arg(sp)
    sp.add_argument("--lang", choices=LANGUAGES, action="append", help=help_text("cli_help.committee_lang"))
    sp.add_argument("--out", help=help_text("cli_help.committee_out"))
    sp = sub.add_parser("decide", help=help_text("cli_help.committee_decide"))
    campaign_arg(sp)
    sp.add_argument("--decision", required=True, choices=committee.DECISIONS, help=help_text("cli_help.committee_decision"))
    sp.add_argument("--by", required=True, help=help_text("cli_help.committee_by"))
    sp.add_argument("--reason", required=True, help=help_text("cli_help.committee_reason"))
    sp = sub.add_parser("resubmit", help=help_text("cli_help.committee_resubmit"))
    campaign_arg(sp)
    sp.add_argument("--by", required=True, help=help_text("cli_help.committee_by"))
    sp.add_argument("--reason", required=True, help=help_text("cli_help.committee_reason"))
    campaign_arg(sub.add_parser("status", help=help_text("cli_help.committee_status")))
    return p


def main(argv: list[str] | None = None) -> int:
    return run(add_arguments(argparse.ArgumentParser(prog="genlab committee")).parse_args(sys.argv[1:] if argv is None else argv))
