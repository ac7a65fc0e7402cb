"""Pseudonyms for progress data that leaves the training team.

Progress data is personal data. :func:`pseudonymise_progress` replaces each learner id and name by a
stable, salted pseudonym such as ``learner-3f9a2c`` (HMAC-SHA256 of the id with a secret salt; the
same salt gives the same pseudonym every month) and blanks first names, last names and e-mail
addresses before anything is drawn or written. See :func:`pseudonym_salt` for where the salt lives.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import replace
from pathlib import Path

from genlab import settings
from genlab.course.progress.gradebook import Progress

SALT_ENV = "GENLAB_PSEUDONYM_SALT"
PSEUDONYM_PREFIX = "learner-"
PSEUDONYM_HEX = 6


def salt_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "genlab" / "pseudonym-salt"


def pseudonym_salt(salt: str | None = None) -> str:
    """The secret that makes pseudonyms: ``salt`` if given, else ``$GENLAB_PSEUDONYM_SALT``, else
    the file ``~/.config/genlab/pseudonym-salt`` (made with a random salt, readable by its owner
    only, the first time). Keep it secret and keep it: with it a guessed id can be checked against
    a pseudonym; without it pseudonyms change."""
    if salt:
        return salt
    env = settings.get(SALT_ENV)
    if env:
        return env
    path = salt_file()
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(16)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def pseudonym(learner_id: str, salt: str, length: int = PSEUDONYM_HEX) -> str:
    """``learner-`` + the first ``length`` hex digits of HMAC-SHA256(salt, id)."""
    digest = hmac.new(salt.encode("utf-8"), learner_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:length]


def pseudonyms(ids, salt: str) -> dict[str, str]:
    """id → pseudonym for every id; ids whose short pseudonyms collide get longer ones."""
    ids = list(dict.fromkeys(ids))
    out = {i: pseudonym(i, salt) for i in ids}
    seen: dict[str, list[str]] = {}
    for i, p in out.items():
        seen.setdefault(p, []).append(i)
    for clash in (v for v in seen.values() if len(v) > 1):
        for i in clash:
            out[i] = pseudonym(i, salt, 16)
    return out


def pseudonymise_progress(progress: Progress, salt: str) -> Progress:
    """A copy of ``progress`` with ids and names replaced by pseudonyms and first names, last
    names and e-mails removed. Learners are ordered by pseudonym (name order would leak)."""
    names = pseudonyms([lr["id"] for lr in progress.learners], salt)
    hidden = {"first_name": None, "last_name": None, "email": None}
    learners = sorted(({**lr, "id": names[lr["id"]], "name": names[lr["id"]], **hidden} for lr in progress.learners),
                      key=lambda lr: lr["id"])
    order = {lr["id"]: i for i, lr in enumerate(learners)}
    rows = [{**r, "learner_id": names[r["learner_id"]], "learner": names[r["learner_id"]], **hidden} for r in progress.rows]
    rows.sort(key=lambda r: order[r["learner_id"]])
    return replace(progress, learners=learners, rows=rows)
