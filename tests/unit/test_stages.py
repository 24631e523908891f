"""training.stages: a finished stage is reused only when its inputs are unchanged; nothing half-written ever is.

The kill tests run a real process that builds a stage and SIGKILL it while it
writes, as Ctrl-C cannot: no cleanup code runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from training import stages
from training.stages import STAMP, Stages, inputs_key, read_stamp

REPO = Path(__file__).resolve().parents[2]


def writer(value: str, calls: list | None = None):
    def build(staging: Path) -> None:
        if calls is not None:
            calls.append(value)
        for i in range(5):
            (staging / f"part-{i}.txt").write_text(value)

    return build


def content(out: Path) -> set[str]:
    return {p.read_text() for p in out.glob("part-*.txt")}


def quiet() -> tuple[Stages, list[str]]:
    lines: list[str] = []
    return Stages(log=lines.append), lines


def test_a_finished_stage_with_the_same_inputs_is_reused_without_building(tmp_path):
    calls: list = []
    s, lines = quiet()
    assert s.cached("ingest", tmp_path / "out", {"source": "a"}, writer("A", calls)) is False
    assert s.cached("ingest", tmp_path / "out", {"source": "a"}, writer("B", calls)) is True
    assert calls == ["A"] and content(tmp_path / "out") == {"A"}
    assert s.records[1].reused and any("reusing" in line for line in lines)


def test_a_stage_whose_inputs_changed_is_rebuilt(tmp_path):
    s, lines = quiet()
    s.cached("train", tmp_path / "out", {"dataset": "sha-1", "profile": "quick"}, writer("A"))
    assert s.cached("train", tmp_path / "out", {"dataset": "sha-2", "profile": "quick"}, writer("B")) is False
    assert content(tmp_path / "out") == {"B"}
    assert read_stamp(tmp_path / "out")["key"] == inputs_key({"dataset": "sha-2", "profile": "quick"})
    assert any("its inputs changed (dataset)" in line for line in lines)


def test_fresh_rebuilds_a_stage_whose_inputs_are_unchanged(tmp_path):
    Stages(log=lambda _: None).cached("ingest", tmp_path / "out", {"x": 1}, writer("A"))
    fresh = Stages(log=lambda _: None, fresh=True)
    assert fresh.cached("ingest", tmp_path / "out", {"x": 1}, writer("B")) is False
    assert content(tmp_path / "out") == {"B"}


def test_a_directory_without_a_stamp_is_not_reused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    writer("old, from before stages were stamped")(out)
    calls: list = []
    assert Stages(log=lambda _: None).cached("ingest", out, {"x": 1}, writer("A", calls)) is False
    assert calls == ["A"] and content(out) == {"A"}


def test_the_stamp_records_the_inputs_and_is_absent_while_building(tmp_path):
    seen = []

    def build(staging: Path) -> None:
        writer("A")(staging)
        seen.append((staging / STAMP).exists())

    Stages(log=lambda _: None).cached("ingest", tmp_path / "out", {"x": 1}, build)
    assert seen == [False]
    assert json.loads((tmp_path / "out" / STAMP).read_text())["inputs"] == {"x": 1}


def test_a_failing_build_leaves_the_previous_result_and_its_stamp(tmp_path):
    s = Stages(log=lambda _: None)
    s.cached("train", tmp_path / "out", {"v": 1}, writer("A"))

    def broken(staging: Path) -> None:
        writer("half")(staging)
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        s.cached("train", tmp_path / "out", {"v": 2}, broken)
    assert content(tmp_path / "out") == {"A"}
    assert read_stamp(tmp_path / "out")["key"] == inputs_key({"v": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


KILLED_BUILDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from training.stages import Stages

    def build(staging):
        for i in range(3):
            (staging / f"part-{i}.txt").write_text("half")
        print("writing", flush=True)
        time.sleep(60)

    Stages(log=lambda _: None).cached("train", Path(sys.argv[1]), {"v": int(sys.argv[2])}, build)
""")


def kill_while_building(out: Path, version: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILDER, str(out), str(version)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.parametrize("had_result", [False, True], ids=["first-build", "rebuild"])
def test_a_build_killed_midway_is_never_reused_and_the_old_result_stays_whole(tmp_path, had_result):
    out = tmp_path / "out"
    if had_result:
        Stages(log=lambda _: None).cached("train", out, {"v": 1}, writer("A"))
    kill_while_building(out, 2)
    assert content(out) == ({"A"} if had_result else set())  # the old result, untouched, or nothing
    calls: list = []
    assert Stages(log=lambda _: None).cached("train", out, {"v": 2}, writer("B", calls)) is False
    assert calls == ["B"] and content(out) == {"B"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the killed build's staging is gone


def test_each_stage_logs_its_wall_time_and_the_peak_rss_so_far(tmp_path):
    s, lines = quiet()
    with s.stage("evaluate"):
        block = bytearray(300 * 1024 * 1024)  # touch 300 MB
        block[::4096] = b"x" * len(block[::4096])
        time.sleep(0.2)
    del block
    record = s.records[0]
    assert lines[0] == "== evaluate"
    assert record.seconds >= 0.2 and record.peak_rss_bytes >= 300 * 1024 * 1024
    assert lines[-1] == f"[stage] evaluate: {record.seconds:.1f} s, peak RSS {record.peak_rss_bytes / 1e9:.2f} GB"
    assert record.peak_rss_bytes == stages.peak_rss_bytes()


def test_code_version_changes_when_a_source_file_changes(tmp_path, monkeypatch):
    pkg = tmp_path / "demo_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model.py").write_text("RANK = 8\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = stages.source_digest(["demo_pkg"])
    assert stages.source_digest(["demo_pkg"]) == before
    (pkg / "model.py").write_text("RANK = 9\n")
    assert stages.source_digest(["demo_pkg"]) != before


def test_inputs_key_ignores_dict_order_but_not_values():
    assert inputs_key({"a": 1, "b": [1, 2]}) == inputs_key({"b": [1, 2], "a": 1})
    assert inputs_key({"a": 1, "b": [1, 2]}) != inputs_key({"a": 1, "b": [2, 1]})


NESTED_BUILDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from training.atomic import atomic_directory
    from training.stages import Stages

    def build(staging):
        with atomic_directory(staging) as inner:  # a build that writes atomically itself, as ingest's store does
            (inner / "part-0.txt").write_text("half")
            print("writing", flush=True)
            time.sleep(60)

    Stages(log=lambda _: None).cached("ingest", Path(sys.argv[1]), {"v": 1}, build)
""")


def test_leftovers_of_a_killed_build_that_staged_its_own_output_are_removed_by_the_next_build(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", NESTED_BUILDER, str(tmp_path / "out")], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert any(p.name.startswith("..out.partial-") for p in tmp_path.iterdir())
    Stages(log=lambda _: None).cached("ingest", tmp_path / "out", {"v": 1}, writer("A"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and content(tmp_path / "out") == {"A"}


def test_progress_bars_draw_only_when_enabled_and_log_lines_go_to_stdout(capsys):
    from training import progress

    list(progress.bar(range(3), desc="quiet loop"))
    progress.write("a log line")
    with progress.enabled():
        list(progress.bar(range(3), desc="drawn loop", unit="step"))
        progress.write("another log line")
    out, err = capsys.readouterr()
    assert "quiet loop" not in err and "drawn loop" in err and "step" in err
    assert out.splitlines() == ["a log line", "another log line"]
