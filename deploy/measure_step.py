"""Run one build step's command and measure what a build machine must hold: time and peak memory.

    python3 deploy/measure_step.py --out reports/build-steps/test.json -- make test

Samples, every 0.5 s, the resident memory of the whole process tree the command
starts (pytest, the function server, chromium, the Hosting emulator and the
rest, added up: they run at once on one build machine) and of its largest
process, and writes wall time, both peaks and the exit status as JSON. Linux
only (/proc). Shared pages are counted once per process, so the sum is an
upper bound. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def measure(command: list[str], interval: float = 0.5) -> dict:
    start = time.monotonic()
    proc = subprocess.Popen(command)
    peak_total = peak_one = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_total, peak_one
        while not stop.is_set():
            sizes = [rss_bytes(pid) for pid in tree(proc.pid)]
            peak_total = max(peak_total, sum(sizes))
            peak_one = max(peak_one, max(sizes, default=0))
            stop.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    returncode = proc.wait()
    stop.set()
    sampler.join()
    return {
        "command": command,
        "returncode": returncode,
        "wall_s": round(time.monotonic() - start, 1),
        "peak_tree_rss_mib": round(peak_total / 2**20),
        "peak_process_rss_mib": round(peak_one / 2**20),
        "cpus": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command after --")
    result = measure(command)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result), file=sys.stderr)
    return result["returncode"]


if __name__ == "__main__":
    sys.exit(main())
