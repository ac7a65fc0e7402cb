"""`genlab hub` without a hub: the TOML settings, the JupyterHub config they make, the account plan,
the log-in rule, and the CLI's messages in both languages. Fast; no root needed."""

from __future__ import annotations

import pytest

pytest.importorskip("jupyterhub")
pytest.importorskip("firstuseauthenticator")

from traitlets.config import Config  # noqa: E402

from genlab import settings
from genlab.core import i18n  # noqa: E402
from genlab.hub import accounts, config  # noqa: E402
from genlab.hub.config import HubConfigError  # noqa: E402


def test_the_shipped_settings_load_and_make_a_jupyterhub_config():
    hub = config.load(config.DEFAULT_CONFIG)
    assert hub.course_id == "genlab" and hub.trainer == "trainer"
    assert hub.course_source == settings.REPO_ROOT / "exercises"
    c = Config()
    config.apply(c, hub)
    assert c.JupyterHub.authenticator_class == "genlab.hub.auth.RosterAuthenticator"
    assert c.JupyterHub.spawner_class == "genlab.hub.spawner.CohortSpawner"
    assert c.Spawner.cmd == [str(hub.env_dir / "bin" / "jupyterhub-singleuser")]
    assert c.Spawner.environment["GENLAB_EXCHANGE"] == str(hub.exchange)
    assert c.Authenticator.admin_users == {"trainer"}
    names = [s["name"] for s in c.JupyterHub.services]
    assert names[:2] == [config.CLI_SERVICE, config.CULLER_SERVICE]
    culler = c.JupyterHub.services[1]["command"]
    assert "jupyterhub_idle_culler" in culler and "--timeout=3600" in culler
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert set(roles[config.CULLER_SERVICE]["scopes"]) == {"list:users", "read:users:activity", "read:servers", "delete:servers"}
    assert "ssl_cert" not in c.JupyterHub  # no HTTPS unless given


def test_the_generation_service_is_one_of_the_hubs_services():
    hub = config.load(config.DEFAULT_CONFIG)
    c = Config()
    config.apply(c, hub)
    service = c.JupyterHub.services[-1]
    assert service["name"] == "genlab-generate" and service["url"].startswith("http://127.0.0.1:")
    assert "genlab.hub.service" in " ".join(service["command"])
    assert c.Spawner.environment["GENLAB_SERVICE_URL"].endswith("/services/genlab-generate/")
    assert any("access:services!service=genlab-generate" in r.get("scopes", []) for r in c.JupyterHub.load_roles)


def test_the_generation_service_can_be_left_out(tmp_path):
    settings_file = tmp_path / "hub.toml"
    settings_file.write_text(config.DEFAULT_CONFIG.read_text(encoding="utf-8") + "\n[generation_service]\nenabled = false\n",
                             encoding="utf-8")
    hub = config.load(settings_file)
    assert config.services(hub) == [] and config.service_environment(hub) == {}


def test_bad_settings_say_which_key(tmp_path):
    bad = tmp_path / "hub.toml"
    bad.write_text("[hub]\nprot = 8000\n")
    with pytest.raises(HubConfigError, match="hub.prot"):
        config.load(bad)
    bad.write_text("[hub]\nport = 'eighty'\n")
    with pytest.raises(HubConfigError, match="hub.port"):
        config.load(bad)
    bad.write_text("[hub]\nssl_cert = 'a.pem'\n")
    with pytest.raises(HubConfigError, match="ssl_key"):
        config.load(bad)
    bad.write_text("[course]\ntrainer = 'Root User'\n")
    with pytest.raises(HubConfigError, match="account name"):
        config.load(bad)
    with pytest.raises(HubConfigError, match="No hub settings"):
        config.load(tmp_path / "missing.toml")


def test_tls_from_the_command_line_wins(tmp_path):
    hub = config.load(config.DEFAULT_CONFIG, ssl_cert="/x/c.pem", ssl_key="/x/k.pem")
    assert hub.https and hub.public_url.startswith("https://")
    from genlab.hub.cli import start_command

    assert "--JupyterHub.ssl_cert=/x/c.pem" in start_command(hub)


def test_account_plan_creates_locks_unlocks_and_refuses():
    hub = config.load(config.DEFAULT_CONFIG)
    p = accounts.plan(
        ["ana.lopez", "beto", "root", "Ana@Agency", "trainer", "dora"],
        hub,
        managed={"beto", "carla", "dora"},
        existing={"root", "beto", "carla", "dora", "trainer"},
        locked={"dora"},
    )
    assert p.create == ["ana.lopez"]
    assert p.keep == ["beto"]
    assert p.unlock == ["dora"]
    assert p.lock == ["carla"]  # off the roster: locked, never deleted
    assert "did not create" in p.refused["root"]  # a system account is never taken over
    assert "account name" in p.refused["Ana@Agency"]
    assert "trainer" in p.refused["trainer"]


def test_roster_login_rule(tmp_path):
    from genlab.hub.auth import RosterAuthenticator

    roster = tmp_path / "learners.csv"
    roster.write_text("id,name,email,team\nana.lopez,Ana,,\n")
    auth = RosterAuthenticator(roster_file=str(roster), trainer="trainer", dbm_path=str(tmp_path / "pw.dbm"))
    assert auth.check_allowed("ana.lopez") and auth.check_allowed("trainer")
    assert not auth.check_allowed("beto") and not auth.check_allowed("root")
    assert auth.allow_all is False and auth.allow_existing_users is False


def test_status_messages_exist_in_both_languages(monkeypatch):
    from genlab.hub import cli

    keys = [k for k in i18n.catalogue("en") if k.startswith("hub.")]
    assert len(keys) > 20
    assert all(k in i18n.catalogue("es") for k in keys)
    monkeypatch.setenv("GENLAB_LANG", "es")
    assert cli.tr("status_running") == "Hub: en marcha."
    monkeypatch.setenv("GENLAB_LANG", "en")
    assert cli.tr("status_running") == "Hub: running."
    hub = config.load(config.DEFAULT_CONFIG)
    lines = cli.limits_lines(hub)
    assert "LocalProcessSpawner" in lines[0]
    assert any("Limits per learner" in line for line in lines)


def test_new_settings_are_in_the_table():
    for name in ("GENLAB_HUB_CONFIG", "GENLAB_HUB", "GENLAB_LANG"):
        assert name in settings.VARIABLES


def test_genlab_cli_knows_hub():
    from genlab.cli import BRANCHES, build_parser

    assert BRANCHES["hub"][0] == "genlab.hub.cli"
    args = build_parser().parse_args(["hub", "users", "sync", "--config", "x.toml"])
    assert (args.cmd, args.action, args.config) == ("users", "sync", "x.toml")


def test_a_refused_hand_in_answers_with_the_refusal_alone_in_short_lines():
    """nbgrader's Assignments panel shows the server's `value` in a narrow dialog: genlab's server
    extension (genlab.hub.exchange) puts the learner's message there instead of the traceback."""
    from genlab.core import i18n
    from genlab.hub import exchange

    message = i18n.t("hub.hand_in_too_big", "es", size=524, limit=100)
    traceback_text = (
        "Traceback (most recent call last):\n"
        '  File "/opt/genlab-hub/env/lib/python3.11/site-packages/nbgrader/server_extensions/assignment_list/handlers.py", '
        "line 269, in submit_assignment\n    submit.start()\n"
        f"genlab.hub.exchange.HandInTooBig: {message}\n"
    )
    plain = exchange.plain_refusal(traceback_text)
    assert plain.replace("\n", " ") == message
    assert max(len(line) for line in plain.splitlines()) <= exchange.DIALOG_COLUMNS
    assert exchange.plain_refusal("Traceback ...\nOSError: disk full\n") is None  # other failures: nbgrader's answer

    class Manager:
        def submit_assignment(self, course_id, assignment_id):
            return {"success": False, "value": traceback_text}

    exchange._plain_submit(Manager)
    exchange._plain_submit(Manager)  # loading twice wraps once
    assert Manager().submit_assignment("genlab", "00_welcome") == {"success": False, "value": plain}
