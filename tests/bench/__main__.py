"""`python -m tests.bench [--only NAME ...] [--out DIR]`: run the benchmarks, write results.md/json."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
from pathlib import Path

BENCHES = ("ingest", "models", "scale", "serving", "ask_next", "website")


def machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()}-core {platform.machine()}, {mem_gb:.0f} GiB, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=BENCHES, help="run only these")
    parser.add_argument("--out", type=Path, default=Path("reports/bench"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    header = f"Measured {dt.date.today().isoformat()} on {machine()}."
    sections, results = [header, ""], {"date": dt.date.today().isoformat(), "machine": machine()}
    for name in args.only or BENCHES:
        try:
            module = importlib.import_module(f"tests.bench.{name}")
        except ModuleNotFoundError:
            print(f"[bench] {name}: not present, skipped")
            continue
        print(f"[bench] {name} ...", flush=True)
        results[name] = module.run(args.out)
        sections.append(
            (args.out / f"{name}.md").read_text()
            if (args.out / f"{name}.md").exists()
            else "```\n" + json.dumps(results[name], indent=2) + "\n```\n"
        )
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text("\n".join(sections))
    print((args.out / "results.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
