"""The cohort's accounts against the course roster (`genlab hub users sync`), the running hub's REST
API for genlab's own commands, and the hub commands' messages in the trainer's language."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from genlab.core import i18n
from genlab.hub import accounts
from genlab.hub.config import HubSettings, read_secret


def tr(key: str, **values) -> str:
    return i18n.say(f"hub.{key}", **values)


def say(text: str = "") -> None:
    print(text, flush=True)


def api(hub: HubSettings, method: str, path: str, timeout: float = 5.0):
    """Call the running hub's REST API with genlab's service token. None when the hub is not running."""
    token = read_secret(hub.cli_token_file)
    if not token:
        return None
    req = urllib.request.Request(hub.api_url + path, method=method, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            return json.loads(body) if body else {}
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return {}
        raise
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def hub_running(hub: HubSettings) -> bool:
    return api(hub, "GET", "/") is not None


def roster_ids(hub: HubSettings) -> list[str]:
    from genlab.hub.auth import roster_ids as ids

    return sorted(ids(str(hub.roster_file)))


def sync_users(hub: HubSettings, say=say) -> accounts.Plan:
    ids = roster_ids(hub)
    if not hub.roster_file.is_file():
        say(tr("no_roster", roster=hub.roster_file, trainer=hub.trainer))
    p = accounts.sync(hub, ids)
    running = hub_running(hub)
    for name in p.lock:
        if running:  # stop their server and take them out of the hub (the Unix account and home stay)
            api(hub, "DELETE", f"/users/{name}/server")
            api(hub, "DELETE", f"/users/{name}")
    for name in p.create:
        say("  " + tr("created", user=name, home=hub.home_of(name)))
    for name in p.unlock:
        say("  " + tr("unlocked", user=name))
    for name in p.lock:
        say("  " + tr("locked", user=name, home=hub.home_of(name), submitted=hub.course_dir / "submitted" / name))
    for rid, why in p.refused.items():
        say("  " + tr("refused", user=rid, why=why))
    say(tr("sync_summary", created=len(p.create), locked=len(p.lock), unlocked=len(p.unlock), kept=len(p.keep)))
    return p
