"""`python -m training`: help for every command, clear errors, exit codes."""

import os
import subprocess
import sys

from training.cli import COMMANDS


def run(*args):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "training", *args], capture_output=True, text=True, env=env)


def test_top_level_help_lists_every_command():
    out = run("--help")
    assert out.returncode == 0
    for name in COMMANDS:
        assert name in out.stdout


def test_ingest_help_lists_the_sources():
    out = run("ingest", "--help")
    assert out.returncode == 0 and "netflix:PATH" in out.stdout and "--catalog-size" in out.stdout


def test_ingest_error_is_one_line_and_exit_2(tmp_path):
    out = run("ingest", "--dataset", f"netflix:{tmp_path / 'nowhere'}", "--out", str(tmp_path / "s"))
    assert out.returncode == 2
    assert out.stderr.startswith("error: ") and "Traceback" not in out.stderr
    assert not (tmp_path / "s").exists()


def test_report_on_a_missing_dataset_says_how_to_make_one(tmp_path):
    out = run("report", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "r"))
    assert out.returncode == 2 and "python -m training ingest" in out.stderr


def test_every_help_works_with_docstrings_stripped():
    """`python -OO` drops docstrings: no help text or option may be parsed out of one."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    for command in ["", *COMMANDS]:
        args = [command, "--help"] if command else ["--help"]
        out = subprocess.run([sys.executable, "-OO", "-m", "training", *args], capture_output=True, text=True, env=env)
        assert out.returncode == 0, f"python -OO -m training {' '.join(args)}:\n{out.stderr[-2000:]}"
        assert out.stdout.startswith("usage: python -m training"), out.stdout[:200]
    ingest = subprocess.run(
        [sys.executable, "-OO", "-m", "training", "ingest", "--help"], capture_output=True, text=True, env=env
    )
    assert "synthetic:USERS,MOVIES,RATINGS" in ingest.stdout
