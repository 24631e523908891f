"""The function's process runs one BLAS thread per request thread unless the operator says otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
PROBE = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
import main  # functions/main.py, as functions-framework loads it
import numpy
print(json.dumps({k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}))
"""


def probe(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(FUNCTIONS)], env={**clean, **env}, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_blas_runs_one_thread_by_default():
    assert probe() == {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def test_an_operators_thread_setting_is_kept():
    assert probe(OPENBLAS_NUM_THREADS="4")["OPENBLAS_NUM_THREADS"] == "4"


def test_the_setting_comes_before_numpy_is_imported():
    source = (FUNCTIONS / "main.py").read_text()
    assert source.index('os.environ.setdefault(_blas, "1")') < source.index("from screen_genius")
    assert "import numpy" not in source.split('os.environ.setdefault(_blas, "1")')[0]
