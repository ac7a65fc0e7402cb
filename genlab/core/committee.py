"""The AI ethics committee: its roster, its append-only record of decisions, and whether a campaign
is approved (what `genlab deliver` asks before it writes anything).

The roster is a TOML file (the campaign's ``committee``, default ``committee.toml`` beside the
campaign file)::

    [committee]
    name = "Comité de ética de IA de la agencia"

    [quorum]
    approvals = 2                  # at least this many members approve in the latest round
    roles = ["chair", "legal"]     # and among them, one member of each of these roles

    [[members]]
    id = "lmendez"                 # what `genlab committee decide --by` takes
    name = "Laura Méndez"
    role = "chair"                 # chair, legal, creative_director, data_protection, external

The decisions are JSON lines (the campaign's ``decisions``, default ``decisions.jsonl`` beside the
campaign file), one record per line, only ever appended (:func:`append`)::

    {"seq": 3, "round": 1, "campaign": "CMX-2025-014", "decision": "approve", "by": "lmendez",
     "name": "Laura Méndez", "role": "chair", "reason": "…", "at": "2025-06-02T17:04:11Z",
     "assets": {"hero.png": "<sha256>", …}, "prev": "<sha256 of record 2>", "hash": "<sha256 of this record>"}

``hash`` is the SHA-256 of the record's canonical JSON without ``hash``; ``prev`` is the previous
record's ``hash`` (64 zeros for the first). An edited record no longer matches its hash; a deleted
or reordered one breaks the next record's ``prev``: :func:`read_log` reports where. (Cutting off the
last records leaves a shorter chain that still holds: the hash of the approving record travels in
every delivered file's C2PA manifest and in the archive's ``delivery.json``, which tells them apart.)

Decisions: ``approve``, ``changes_requested``, ``reject``; ``resubmit`` opens a new round (the team
changed the campaign). In the latest round each member's latest decision counts. The campaign is
approved when no member's decision there is ``reject`` or ``changes_requested``, at least
``quorum.approvals`` members approve, every role in ``quorum.roles`` is among them, and the assets
they approved are the files about to be delivered (same SHA-256).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from genlab.core.i18n import UserError

ROSTER_FILE = "committee.toml"
LOG_FILE = "decisions.jsonl"
ROLES = ("chair", "legal", "creative_director", "data_protection", "external")
DECISIONS = ("approve", "changes_requested", "reject")
RESUBMIT = "resubmit"
GENESIS = "0" * 64


# ---- the roster ----------------------------------------------------------------------------------
@dataclass
class Member:
    id: str
    name: str
    role: str


@dataclass
class Roster:
    name: str
    members: dict[str, Member]
    approvals: int = 2
    roles: tuple[str, ...] = ()
    source: Path | None = None

    def member(self, member_id: str) -> Member:
        if member_id not in self.members:
            raise UserError("committee.not_member", member=member_id, path=str(self.source),
                            members=", ".join(self.members) or "-")
        return self.members[member_id]


def load_roster(path: str | os.PathLike) -> Roster:
    """The committee in a roster TOML file (see the module's text); a broken one is a UserError."""
    path = Path(path)
    if not path.is_file():
        raise UserError("committee.no_roster", path=str(path))
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise UserError("delivery.bad_toml", path=str(path), error=str(err)) from err
    members = {}
    for row in data.get("members", []):
        ident, role = str(row.get("id", "")).strip(), str(row.get("role", "")).strip()
        if not ident or not row.get("name"):
            raise UserError("committee.member_fields", path=str(path))
        if role not in ROLES:
            raise UserError("committee.bad_role", member=ident, role=role, roles=", ".join(ROLES))
        members[ident] = Member(ident, str(row["name"]).strip(), role)
    quorum = data.get("quorum") or {}
    roles = tuple(str(r) for r in quorum.get("roles", ()))
    for role in roles:
        if role not in ROLES:
            raise UserError("committee.bad_role", member="[quorum]", role=role, roles=", ".join(ROLES))
    approvals = int(quorum.get("approvals", 2))
    if approvals < 1 or approvals > len(members):
        raise UserError("committee.bad_quorum", approvals=approvals, members=len(members))
    return Roster(str((data.get("committee") or {}).get("name", "")), members, approvals, roles, path)


# ---- the record of decisions ---------------------------------------------------------------------
def _canonical(record: dict) -> bytes:
    return json.dumps({k: v for k, v in record.items() if k != "hash"}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def record_hash(record: dict) -> str:
    return hashlib.sha256(_canonical(record)).hexdigest()


@dataclass
class Log:
    records: list[dict]
    broken: list[tuple[str, dict]] = field(default_factory=list)  # (message key, values)

    @property
    def intact(self) -> bool:
        return not self.broken

    @property
    def head(self) -> str:
        return self.records[-1]["hash"] if self.records else GENESIS

    @property
    def round(self) -> int:
        return self.records[-1]["round"] if self.records else 1


def read_log(path: str | os.PathLike) -> Log:
    """Every record, and where the chain is broken (an edited, deleted or reordered record)."""
    path = Path(path)
    log = Log([])
    if not path.is_file():
        return log
    prev = GENESIS
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            log.broken.append(("committee.chain_unreadable", {"line": n, "path": path.name}))
            prev = None
            continue
        if not isinstance(record, dict) or record.get("hash") != record_hash(record):
            log.broken.append(("committee.chain_edited", {"line": n, "path": path.name}))
        elif prev is not None and record.get("prev") != prev:
            log.broken.append(("committee.chain_gap", {"line": n, "path": path.name}))
        prev = record.get("hash") if isinstance(record, dict) else None
        if isinstance(record, dict):
            log.records.append(record)
    return log


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def asset_hashes(files) -> dict[str, str]:
    """``{file name: SHA-256}`` of the campaign's assets: what a decision was made on."""
    return {Path(f).name: hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files if Path(f).is_file()}


def append(path: str | os.PathLike, roster: Roster, *, campaign: str, decision: str, by: str, reason: str,
           assets: dict[str, str] | None = None, at: str | None = None) -> dict:
    """Append one decision (or ``resubmit``) by a roster member; refuses on a broken chain, an
    unknown member, an unknown decision, or no reason. Returns the record written."""
    path = Path(path)
    if decision not in DECISIONS + (RESUBMIT,):
        raise UserError("committee.bad_decision", decision=decision, decisions=", ".join(DECISIONS + (RESUBMIT,)))
    member = roster.member(by)
    if not (reason or "").strip():
        raise UserError("committee.no_reason")
    log = read_log(path)
    if not log.intact:
        raise UserError("committee.chain_broken_append", path=str(path))
    rnd = log.round + (1 if decision == RESUBMIT and log.records else 0)
    record = {"seq": len(log.records) + 1, "round": rnd, "campaign": campaign, "decision": decision,
              "by": member.id, "name": member.name, "role": member.role, "reason": reason.strip(),
              "at": at or now_utc(), "assets": dict(assets or {}), "prev": log.head}
    record["hash"] = record_hash(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return record


# ---- is it approved? -----------------------------------------------------------------------------
@dataclass
class Status:
    approved: bool
    round: int
    votes: dict[str, dict]  # member id → their latest record in the latest round
    problems: list[tuple[str, dict]]  # (message key, values): why not approved
    reference: str = ""  # "sha256:<hash>" of the record that completed the approval

    def approval(self) -> dict:
        """What goes into the C2PA manifest and the archive's delivery.json."""
        approvers = [v for v in self.votes.values() if v["decision"] == "approve"]
        return {"reference": self.reference, "decision": "approve" if self.approved else "",
                "round": self.round, "date": max((v["at"] for v in approvers), default=""),
                "by": [f"{v['name']} ({v['role']})" for v in approvers]}


def status(log: Log, roster: Roster, campaign: str, assets: dict[str, str] | None = None) -> Status:
    """Whether the latest round approves ``campaign`` (see the module's text), and if not, what is
    missing: who still has to decide, an open reject or request for changes, changed assets, a
    broken chain."""
    problems: list[tuple[str, dict]] = list(log.broken)
    if log.broken:
        problems.insert(0, ("committee.chain_broken", {}))
    records = [r for r in log.records if r.get("campaign") == campaign]
    others = {r.get("campaign") for r in log.records} - {campaign}
    if others:
        problems.append(("committee.other_campaign", {"found": ", ".join(sorted(map(str, others))), "campaign": campaign}))
    rnd = max((r["round"] for r in records), default=1)
    votes: dict[str, dict] = {}
    for r in records:
        if r["round"] == rnd and r["decision"] in DECISIONS:
            votes[r["by"]] = r
    for r in votes.values():
        if r["by"] not in roster.members:
            problems.append(("committee.vote_not_member", {"member": r["by"]}))
    valid = {k: v for k, v in votes.items() if k in roster.members}
    for r in valid.values():
        if r["decision"] == "reject":
            problems.append(("committee.open_reject", {"name": r["name"], "reason": r["reason"], "date": r["at"]}))
        elif r["decision"] == "changes_requested":
            problems.append(("committee.open_changes", {"name": r["name"], "reason": r["reason"], "date": r["at"]}))
    approvers = [r for r in valid.values() if r["decision"] == "approve"]
    if len(approvers) < roster.approvals:
        waiting = [f"{m.name} ({m.role})" for m in roster.members.values() if m.id not in valid]
        problems.append(("committee.need_approvals", {"have": len(approvers), "need": roster.approvals,
                                                      "waiting": ", ".join(waiting) or "-"}))
    for role in roster.roles:
        if not any(r["role"] == role for r in approvers):
            who = ", ".join(m.name for m in roster.members.values() if m.role == role) or "-"
            problems.append(("committee.need_role", {"role": role, "who": who}))
    if assets is not None:
        for r in approvers:
            if r.get("assets") != assets:
                changed = sorted({n for n in set(assets) | set(r.get("assets", {}))
                                  if assets.get(n) != r.get("assets", {}).get(n)})
                problems.append(("committee.assets_changed", {"name": r["name"], "files": ", ".join(changed)}))
    approved = not problems
    reference = ""
    if approved:
        last = max(approvers, key=lambda r: r["seq"])
        reference = "sha256:" + last["hash"]
    return Status(approved, rnd, votes, problems, reference)
