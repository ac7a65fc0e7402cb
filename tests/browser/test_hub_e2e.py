"""The cohort server end to end: a real JupyterHub on loopback over HTTPS (self-signed certificate),
the real configurable-http-proxy, genlab's spawner (LocalProcessSpawner + limits) with real Unix
accounts (one trainer, three learners), driven with Playwright in Debian's Chromium.

What is real UI and what is not:
* real UI in the browser: every log-in (and the refused ones), the trainer's Generate + Release in
  formgrader (opened in its own tab: JupyterHub >= 4.1 forbids formgrader's iframe), each learner's
  Fetch / Submit / Fetch Feedback in JupyterLab's Assignments panel, the refused 500 MB hand-in,
  the 403 pages, the feedback page;
* done as the learner's Unix account instead of typing into cells (typing is slow and flaky on a
  2-core machine): answering the notebook (the file is edited by a script run with `runuser` as
  that learner, exactly what saving from JupyterLab writes);
* done in a terminal as the trainer's Unix account (what the trainer types in a hub terminal):
  `genlab course learners import`, `genlab course grade-all` (collect, sandboxed autograde,
  feedback) and `genlab report`, all with a RELATIVE --course (issue 13 point 4);
* done as root: `genlab hub setup`, `genlab hub users sync`.

Learners: glt-ana answers right and submits twice (the last counts) -> passed; glt-beto answers
wrong and submits, then tries a 500 MB hand-in (refused) -> below the pass mark; glt-caro logs in,
fetches, leaves it blank and never submits -> not started. Then glt-beto leaves the roster: his
account is locked, his work kept.

Screenshots go to GENLAB_SCREENSHOTS (else the test's tmp folder).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genlab import settings

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(1500)]

from hub_helpers import (  # noqa: E402
    BASE, LEARNERS, PASSWORD, TRAINER, as_user, free_port, make_certificate, missing_requirements,
    remove_test_accounts, start_hub, write_config,
)

ASSIGNMENT = "01_first_images"
ANA, BETO, CARO = LEARNERS

_missing = missing_requirements()
if _missing:
    pytest.skip(_missing, allow_module_level=True)

from app_helpers import CHROMIUM_ARGS  # noqa: E402


def shots_dir(tmp_path_factory) -> Path:
    chosen = os.environ.get("GENLAB_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("hub-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    from genlab.hub import cli, config, setup

    remove_test_accounts()
    shutil.rmtree(BASE, ignore_errors=True)
    BASE.mkdir(parents=True)
    os.chmod(BASE, 0o755)
    ports = {"public": free_port(), "proxy": free_port(), "hub": free_port()}
    cert, key = make_certificate(BASE)
    cfg = write_config(BASE, ports, cert, key)
    hub = config.load(cfg)
    t0 = time.monotonic()
    setup.run(hub)
    print(f"\n[hub] genlab hub setup: {time.monotonic() - t0:.0f} s")

    # the trainer imports the cohort from a terminal, with a relative --course
    roster = BASE / "cohort.csv"
    roster.write_text("id,name,email,team\n" + "".join(f"{n},{n[4:].title()} Test,{n}@agency.mx,azul\n" for n in LEARNERS))
    os.chmod(roster, 0o644)
    as_user(TRAINER, ["genlab", "course", "learners", "import", str(roster), "--course", "course"], hub)
    sync = cli.sync_users(hub)
    assert sorted(sync.create) == sorted(LEARNERS)

    running = start_hub(cfg, hub, BASE / "hub.log")
    shots = shots_dir(tmp_path_factory)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=os.environ.get("GENLAB_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
        state = {"hub": hub, "running": running, "browser": browser, "shots": shots, "pages": {}}
        try:
            yield state
        finally:
            browser.close()
            running.stop()
            print(f"[hub] log: {running.log}; screenshots: {shots}")
            if not os.environ.get("GENLAB_KEEP_HUB_TEST"):
                remove_test_accounts()


def shot(cohort, page, name: str) -> Path:
    path = cohort["shots"] / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def new_page(cohort):
    ctx = cohort["browser"].new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900}, locale="es-MX")
    ctx.set_default_timeout(60_000)
    return ctx.new_page()


def login(cohort, user: str, password: str = PASSWORD):
    """Log in through the hub's page; returns the page showing the learner's JupyterLab."""
    from playwright.sync_api import expect

    page = new_page(cohort)
    url = cohort["running"].url
    page.goto(url + "/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=180_000)
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=120_000)
    cohort["pages"][user] = page
    return page


def open_assignments(page):
    from playwright.sync_api import expect

    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
    panel = page.locator(".jp-MainAreaWidget", has=page.get_by_text("Released assignments")).last
    expect(panel).to_be_visible()
    return panel


def refresh_assignments(page, panel):
    panel.locator("button[title='Refresh assignments list'], #refresh_assignments_list").first.click()
    time.sleep(1.5)


# ---- log-in faults ------------------------------------------------------------------------------
def test_login_refused_for_unknown_names_and_wrong_passwords(cohort):
    from playwright.sync_api import expect

    url = cohort["running"].url
    page = new_page(cohort)
    for name, expected in (("zed.unknown", "no está en la lista"), ("root", "no está en la lista")):
        page.goto(url + "/hub/login")
        page.fill("#username_input", name)
        page.fill("#password_input", "whatever-long-1")
        page.click("#login_submit")
        expect(page.locator("form")).to_contain_text(expected)
        assert "/hub/login" in page.url
    shot(cohort, page, "01-login-not-on-roster")
    # no password was stored for the refused names (FirstUse would have reserved one)
    import dbm

    with dbm.open(str(cohort["hub"].passwords_file), "c") as db:
        assert b"zed.unknown" not in db.keys() and b"root" not in db.keys()

    # first use sets glt-ana's password; a different one afterwards is refused
    login(cohort, ANA)
    other = new_page(cohort)
    other.goto(url + "/hub/login")
    other.fill("#username_input", ANA)
    other.fill("#password_input", "not-her-password")
    other.click("#login_submit")
    expect(other.locator("form")).to_contain_text("incorrectos")
    shot(cohort, other, "02-login-wrong-password")
    other.context.close()


# ---- trainer releases ---------------------------------------------------------------------------------
def test_trainer_releases_from_formgrader(cohort):
    from playwright.sync_api import expect

    page = login(cohort, TRAINER)
    # the trainer's Lab has the trainer tools
    expect(page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader")).to_be_visible()
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    expect(page.locator(".lm-Menu-itemLabel", has_text="Formgrader").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_title("Create Assignment", exact=False).first).to_be_attached()
    shot(cohort, page, "03-trainer-lab")

    url = cohort["running"].url
    page.goto(f"{url}/user/{TRAINER}/formgrader/manage_assignments")
    row = page.locator("tr", has=page.locator(f"td.name[data-order='{ASSIGNMENT}']"))
    expect(row).to_be_visible()
    row.locator("td.assign a").click()  # Generate
    expect(row.locator("td.release a")).to_be_visible(timeout=120_000)
    _close_modal(page)
    row.locator("td.release a").click()  # Release
    expect(row.locator("td.status")).to_contain_text("released", timeout=60_000)
    _close_modal(page)
    shot(cohort, page, "04-formgrader-released")
    outbound = cohort["hub"].exchange / "genlab" / "outbound" / ASSIGNMENT
    assert (outbound / f"{ASSIGNMENT}.ipynb").is_file()


def _close_modal(page):
    modal = page.locator(".modal.in, .modal.show")
    try:
        modal.first.wait_for(state="visible", timeout=5_000)
    except Exception:
        return
    (Path(os.environ.get("GENLAB_SCREENSHOTS", "/tmp")) / "modal.html").write_text(modal.first.inner_html())
    modal.first.locator(".modal-footer button").last.click()
    modal.first.wait_for(state="hidden", timeout=10_000)


# ---- learners fetch, answer, submit ------------------------------------------------------------------------
def _solutions(assignment: str) -> dict[str, str]:
    """The answer cells of the exercise's source, solution markers taken out: right answers that
    follow the exercise as it is written (not a copy typed here)."""
    nb = json.loads((settings.COURSE_DIR / "source" / assignment / f"{assignment}.ipynb").read_text())
    out = {}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            out[meta["grade_id"]] = re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", "".join(cell["source"]), flags=re.M)
    return out


RIGHT = _solutions(ASSIGNMENT)
WRONG = {
    "task1_answer": 'first = genlab.generate("a cat", seed=3)\nfirst.save(OUT / "first.png")\n',
    "task2_answer": "twin_1 = genlab.generate(PROMPT, seed=1)\ntwin_2 = genlab.generate(PROMPT, seed=2)\nother = twin_1\n",
    "task3_answer": 'quick = genlab.generate(PROMPT, seed=7)\nquick.save(OUT / "quick.png")\n',
}

ANSWER_SCRIPT = r"""
import json, sys
path, answers = sys.argv[1], json.loads(sys.argv[2])
nb = json.load(open(path))
for cell in nb["cells"]:
    gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    if gid in answers:
        cell["source"] = answers[gid]
json.dump(nb, open(path, "w"), indent=1)
"""


def answer(cohort, user: str, answers: dict) -> None:
    hub = cohort["hub"]
    nb = hub.home_of(user) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    as_user(user, ["python", "-c", ANSWER_SCRIPT, str(nb), json.dumps(answers)], hub)


def fetch_in_ui(cohort, user: str):
    from playwright.sync_api import expect

    page = cohort["pages"].get(user) or login(cohort, user)
    panel = open_assignments(page)
    released = panel.locator("#released_assignments_list, .list_container").first
    fetch = panel.get_by_role("button", name="Fetch", exact=True)
    expect(fetch).to_be_visible(timeout=30_000)
    fetch.click()
    expect(panel.get_by_role("button", name="Submit", exact=True)).to_be_visible(timeout=60_000)
    assert (cohort["hub"].home_of(user) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    return page, panel


def submit_in_ui(page, panel, expect_count: int):
    """Click Submit; wait until the Submitted list shows `expect_count` hand-ins."""
    panel.get_by_role("button", name="Submit", exact=True).click()
    submitted = panel.locator("#submitted_assignments_list")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if submitted.get_by_text(ASSIGNMENT).count() >= 1 and submitted.locator("text=/\\d{4}-\\d{2}-\\d{2}/").count() >= expect_count:
            return
        time.sleep(1)


def inbound(cohort, user: str) -> list[Path]:
    folder = cohort["hub"].exchange / "genlab" / "inbound"
    return sorted(p for p in folder.iterdir() if p.name.startswith(user + "+" + ASSIGNMENT + "+")) if folder.is_dir() else []


def test_learners_fetch_answer_and_submit(cohort):
    from playwright.sync_api import expect

    # glt-ana: right answers, submitted twice (the second one counts)
    page, panel = fetch_in_ui(cohort, ANA)
    shot(cohort, page, "05-learner-fetched")
    answer(cohort, ANA, RIGHT)
    submit_in_ui(page, panel, 1)
    _wait(lambda: len(inbound(cohort, ANA)) == 1, "glt-ana's first hand-in")
    time.sleep(1.1)  # nbgrader's timestamps have one-second resolution
    submit_in_ui(page, panel, 2)
    _wait(lambda: len(inbound(cohort, ANA)) == 2, "glt-ana's second hand-in")
    shot(cohort, page, "06-learner-submitted-twice")

    # glt-beto: wrong answers
    page, panel = fetch_in_ui(cohort, BETO)
    answer(cohort, BETO, WRONG)
    submit_in_ui(page, panel, 1)
    _wait(lambda: len(inbound(cohort, BETO)) == 1, "glt-beto's hand-in")

    # glt-caro: fetches, leaves it blank, never submits
    page, panel = fetch_in_ui(cohort, CARO)
    assert inbound(cohort, CARO) == []

    # every hand-in carries the Unix account it came from (nbgrader reads it from the process)
    for p in inbound(cohort, ANA) + inbound(cohort, BETO):
        owner = p.stat().st_uid
        import pwd

        assert pwd.getpwuid(owner).pw_name == p.name.split("+")[0]


def _wait(cond, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_500_mb_hand_in_is_refused_and_nothing_changes(cohort):
    from playwright.sync_api import expect

    hub = cohort["hub"]
    page = cohort["pages"][BETO]
    big = hub.home_of(BETO) / ASSIGNMENT / "huge-video.mp4"
    as_user(BETO, ["truncate", "-s", "500M", str(big)], hub)
    before = inbound(cohort, BETO)
    panel = open_assignments(page)
    panel.get_by_role("button", name="Submit", exact=True).click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_be_visible(timeout=60_000)
    expect(dialog).to_contain_text("No se entregó")  # the cohort's language (hub.toml: es)
    expect(dialog).to_contain_text("como máximo 100 MB")
    text = dialog.inner_text()
    assert "Traceback" not in text and "File \"" not in text, text  # the refusal alone, not nbgrader's traceback
    assert max(len(line) for line in text.splitlines()) <= 80, text  # short lines: nothing cut at the edge
    shot(cohort, page, "07-learner-500mb-refused")
    dialog.get_by_role("button").last.click()
    assert inbound(cohort, BETO) == before, "a refused hand-in must leave nothing in the exchange"
    as_user(BETO, ["rm", "-f", str(big)], hub)


# ---- isolation -----------------------------------------------------------------------------------------------
def test_learners_are_isolated(cohort):
    from playwright.sync_api import expect

    hub = cohort["hub"]
    course = hub.course_dir
    checks = {
        "another learner's home": ["ls", str(hub.home_of(BETO))],
        "another learner's notebook": ["cat", str(hub.home_of(BETO) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")],
        "the course's source/": ["ls", str(course / "source")],
        "the hidden tests": ["cat", str(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")],
        "the gradebook": ["python", "-c", f"import sqlite3; sqlite3.connect('file:{course / 'gradebook.db'}?mode=rw', uri=True).execute('select 1 from student').fetchall()"],
        "the trainer's home": ["ls", str(hub.trainer_home)],
        "the inbound folder's list": ["ls", str(hub.exchange / "genlab" / "inbound")],
    }
    for what, cmd in checks.items():
        done = as_user(ANA, cmd, hub, check=False)
        assert done.returncode != 0, f"a learner could read {what}: {done.stdout[:200]}"
        assert "ermission denied" in done.stderr or "unable to open" in done.stderr, (what, done.stderr)

    url = cohort["running"].url
    page = cohort["pages"][ANA]
    for path in (f"/user/{TRAINER}/formgrader", f"/user/{TRAINER}/formgrader/manage_assignments", "/hub/admin"):
        response = page.goto(url + path)
        assert response.status == 403, (path, response.status)
    shot(cohort, page, "08-learner-403")
    # on their own server the formgrader does not exist at all
    response = page.goto(f"{url}/user/{ANA}/formgrader")
    assert response.status == 404
    page.goto(f"{url}/user/{ANA}/lab")
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=120_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    expect(page.locator(".lm-Menu-itemLabel", has_text="Assignment List")).to_have_count(1)
    expect(page.locator(".lm-Menu-itemLabel", has_text="Formgrader")).to_have_count(0)
    expect(page.locator(".lm-Menu-itemLabel", has_text="Course List")).to_have_count(0)
    shot(cohort, page, "09-learner-menu-no-trainer-tools")
    page.keyboard.press("Escape")
    expect(page.get_by_title("Create Assignment", exact=False)).to_have_count(0)
    expect(page.locator(".lm-TabBar-tab", has_text="Create Assignment")).to_have_count(0)

    # the learner's server runs as the learner, with the learners' Python and none of the hub's paths
    pids = subprocess.run(["pgrep", "-u", ANA, "-f", "jupyterhub-singleuser"], capture_output=True, text=True).stdout.split()
    assert pids, "glt-ana's server is not running as glt-ana"
    environ = dict(kv.split("=", 1) for kv in Path(f"/proc/{pids[0]}/environ").read_text().split("\0") if "=" in kv)
    assert environ["JUPYTERHUB_USER"] == ANA and environ["USER"] == ANA
    assert "PYTHONPATH" not in environ and "VIRTUAL_ENV" not in environ
    assert environ["PATH"].startswith(str(hub.env_dir / "bin"))

    # the learner's server is in their own control group with the configured memory limit
    from genlab.hub.spawner import cgroup_dirs, limits_mode

    mode = limits_mode()
    if mode.startswith("cgroup"):
        folder = cgroup_dirs(ANA, mode)[0]
        limit = (folder / ("memory.limit_in_bytes" if mode == "cgroup-v1" else "memory.max")).read_text().strip()
        assert int(limit) == int(hub.memory_gb * 1024**3)
        assert (folder / "cgroup.procs").read_text().split(), "the learner's processes are in their cgroup"


# ---- the trainer grades; a learner reads the feedback; the report ---------------------------------------------
def test_trainer_grades_with_relative_course_path(cohort):
    hub = cohort["hub"]
    t0 = time.monotonic()
    done = as_user(TRAINER, ["genlab", "course", "grade-all", ASSIGNMENT, "--course", "course"], hub, check=False, timeout=900)
    print(f"\n[hub] grade-all as {TRAINER} ({time.monotonic() - t0:.0f} s):\n{done.stdout}\n{done.stderr[-2000:]}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No course found" not in done.stdout + done.stderr
    assert "sandbox: bwrap" in done.stdout or "sandbox: zygote" in done.stdout, "autograde must run sandboxed"
    with sqlite3.connect(hub.course_dir / "gradebook.db") as db:
        rows = db.execute(
            "select s.student_id, count(*) from submitted_assignment s join assignment a on a.id = s.assignment_id "
            "where a.name = ? group by s.student_id", (ASSIGNMENT,)).fetchall()
    assert dict(rows) == {ANA: 1, BETO: 1}, "one submission per learner, even after submitting twice"


def test_learner_fetches_feedback(cohort):
    from playwright.sync_api import expect

    page = cohort["pages"][ANA]
    page.goto(f"{cohort['running'].url}/user/{ANA}/lab")
    panel = open_assignments(page)
    button = panel.get_by_role("button", name="Fetch Feedback").first
    expect(button).to_be_visible(timeout=30_000)
    button.click()
    folder = cohort["hub"].home_of(ANA) / ASSIGNMENT / "feedback"
    _wait(lambda: any(folder.glob(f"*/{ASSIGNMENT}.html")), "glt-ana's feedback file")
    shot(cohort, page, "10-learner-feedback-fetched")
    html = next(folder.glob(f"*/{ASSIGNMENT}.html"))
    rel = html.relative_to(cohort["hub"].home_of(ANA))
    page.goto(f"{cohort['running'].url}/user/{ANA}/files/{rel}")
    # the learner fetched in the cohort's language (hub.toml: es): the feedback speaks it too
    expect(page.locator("body")).to_contain_text("Primeras imágenes")
    expect(page.locator("body")).to_contain_text("Tus resultados")
    shot(cohort, page, "11-learner-feedback-page")


def test_report_shows_passed_below_and_not_started(cohort):
    hub = cohort["hub"]
    done = as_user(TRAINER, ["genlab", "report", "--course", "course", "--programme", "course/programme.toml", "--out", "reports"], hub,
                   check=False, timeout=300)
    print(f"\n[hub] genlab report:\n{done.stdout}\n{done.stderr[-1500:]}")
    assert done.returncode == 0, done.stdout + done.stderr
    with open(hub.trainer_home / "reports" / "progress.csv", encoding="utf-8-sig") as f:
        rows = {(r["learner_id"], r["assignment"]): r for r in csv.DictReader(f)}
    from genlab.course.progress import dashboard as dm

    assert rows[(ANA, ASSIGNMENT)]["result"] == dm.PASSED
    assert rows[(BETO, ASSIGNMENT)]["result"] == dm.BELOW
    assert rows[(CARO, ASSIGNMENT)]["result"] == dm.NOT_STARTED


# ---- the roster loses a learner ---------------------------------------------------------------------------------
def test_roster_loses_a_learner_whose_work_is_kept(cohort):
    from genlab.hub import accounts, cli

    hub = cohort["hub"]
    roster = hub.roster_file
    lines = [ln for ln in roster.read_text().splitlines() if not ln.startswith(BETO + ",")]
    roster.write_text("\n".join(lines) + "\n")
    result = cli.sync_users(hub)
    assert result.lock == [BETO]
    assert accounts.is_locked(BETO)
    # kept for the trainer: the home, the collected submission, the gradebook rows
    assert (hub.home_of(BETO) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert (hub.course_dir / "submitted" / BETO / ASSIGNMENT).is_dir()
    with sqlite3.connect(hub.course_dir / "gradebook.db") as db:
        assert db.execute("select count(*) from student where id = ?", (BETO,)).fetchone()[0] == 1
    # the hub no longer has him, and he cannot log in again
    users = {u["name"] for u in cohort["running"].api_get("/users")}
    assert BETO not in users
    from playwright.sync_api import expect

    page = new_page(cohort)
    page.goto(cohort["running"].url + "/hub/login")
    page.fill("#username_input", BETO)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    expect(page.locator("form")).to_contain_text("no está en la lista")
    shot(cohort, page, "12-removed-learner-refused")
    # and `genlab hub status` says it all, in both languages
    for lang, words in (("en", "Limits per learner"), ("es", "Límites por participante")):
        out = subprocess.run([sys.executable, "-m", "genlab", "hub", "status", "--config", str(hub.path)], capture_output=True,
                             text=True, env={**os.environ, "GENLAB_LANG": lang})
        assert out.returncode == 0, out.stderr
        assert words in out.stdout and ("running" in out.stdout or "en marcha" in out.stdout), out.stdout
        print(out.stdout)
