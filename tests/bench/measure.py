"""Run one callable in a fresh process and report its wall time and peak RSS.

    python -m tests.bench.measure MODULE:FUNCTION JSON_ARGS
prints one JSON line {"seconds", "peak_rss_mb", "result"}. A fresh process per
measurement keeps one measurement's memory out of the next one's peak.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import time


def measure(target: str, *args) -> dict:
    """Run ``target`` ('module:function') with JSON-able ``args`` in a child process."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.measure", target, json.dumps(args)],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    if out.returncode != 0:
        raise RuntimeError(f"{target} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    module, function = sys.argv[1].split(":")
    args = json.loads(sys.argv[2])
    fn = getattr(importlib.import_module(module), function)
    start = time.perf_counter()
    result = fn(*args)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb, "result": result}))


if __name__ == "__main__":
    main()
