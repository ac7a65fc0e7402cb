"""Who may log in to the cohort's hub: the learners on the course roster, and the trainer.

``RosterAuthenticator`` is jupyterhub-firstuseauthenticator's FirstUseAuthenticator (each learner
chooses their password the first time they log in, fit for an agency without single sign-on),
limited to the roster, read LIVE from ``<course>/learners.csv``: a learner added with
``genlab course learners add`` can log in at once, one removed cannot, with no hub restart.

Unlike the plain FirstUseAuthenticator, a name that is not on the roster is refused BEFORE a
password is stored for it, so nobody can reserve a password for a learner who joins later.
A learner whose Unix account `genlab hub users sync` locked is refused too.
"""

from __future__ import annotations

import csv

from firstuseauthenticator import FirstUseAuthenticator
from traitlets import Unicode, default

from genlab.core import i18n


def roster_ids(path: str) -> set[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            return {(row.get("id") or "").strip().lower() for row in csv.DictReader(f) if (row.get("id") or "").strip()}
    except FileNotFoundError:
        return set()


class RosterAuthenticator(FirstUseAuthenticator):
    roster_file = Unicode(help="the course's learners.csv (column id)").tag(config=True)
    trainer = Unicode("trainer", help="the trainer's account name (always allowed)").tag(config=True)
    locked_group = Unicode("genlab-learners", help="the group of accounts genlab manages").tag(config=True)

    @default("allow_all")
    def _allow_all_default(self):
        return False

    @default("allow_existing_users")
    def _allow_existing_users_default(self):
        return False  # a learner taken off the roster stays in the hub's database: not a reason to allow

    def on_roster(self, username: str) -> bool:
        if username == self.trainer:
            return True
        if username not in roster_ids(self.roster_file):
            return False
        from genlab.hub.accounts import is_locked

        return not is_locked(username)

    def check_allowed(self, username, authentication=None):
        return self.on_roster(username)

    async def authenticate(self, handler, data):
        username = self.normalize_username((data or {}).get("username", ""))
        if not self.on_roster(username):
            # checked before FirstUse stores a password for an unknown name
            message = i18n.both("hub.not_on_roster", user=username)
            if handler is not None:
                handler.custom_login_error = message
            self.log.warning("refused %r: not on the roster %s", username, self.roster_file)
            return None
        result = await super().authenticate(handler, data)
        if result is None and handler is not None and not getattr(handler, "custom_login_error", ""):
            handler.custom_login_error = i18n.both("hub.wrong_password")
        return result
