"""`genlab` is one argparse tree: every branch's options come from the module that runs it."""

import subprocess
import sys

import pytest

from genlab import cli


def test_every_branch_is_in_the_one_tree():
    parser = cli.build_parser()
    for words, expected in [
        (["report", "--course", "c", "--out", "r"], {"course": "c", "out": "r"}),
        (["course", "status", "--course", "c"], {"cmd": "status", "course": "c"}),
        (["course", "certificates", "--lang", "en"], {"lang": "en"}),
        (["course", "learners", "add", "ana", "--team", "azul"], {"learners_cmd": "add", "id": "ana", "team": "azul"}),
        (["demo", "studio", "--room", "--batch", "4"], {"name": "studio", "room": True, "batch": 4}),
        (["lab", "--port", "9001", "--", "--ServerApp.base_url=/x/"], {"port": 9001, "jupyterlab_args": ["--ServerApp.base_url=/x/"]}),
        (["hub", "status", "--json"], {"cmd": "status", "json": True}),
        (["tiny", "grid", "--seed", "3"], {"command": "grid", "seed": 3}),
    ]:
        args = parser.parse_args(words)
        assert {k: getattr(args, k) for k in expected} == expected, words
        assert callable(args.run)


def test_certificates_runs_its_own_branch():
    from genlab.course.progress import certificates

    args = cli.build_parser().parse_args(["course", "certificates"])
    assert args.run is certificates.run


def test_a_mistake_names_the_branch(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.build_parser().parse_args(["course", "autograde"])  # the assignment is missing
    assert stop.value.code == 2
    assert "genlab course autograde" in capsys.readouterr().err


@pytest.mark.parametrize("words, first_line", [
    (["tiny", "train", "--help"], "usage: genlab tiny train"),
    (["course", "certificates", "--help"], "usage: genlab course certificates"),
])
def test_help_comes_from_the_branch(words, first_line):
    out = subprocess.run([sys.executable, "-m", "genlab", *words], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(first_line)
