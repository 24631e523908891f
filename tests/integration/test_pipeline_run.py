"""`python -m training run --quick`: raw data to a published, valid artifact set."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from screen_genius import ranking as serving_ranking
from screen_genius.manifest import validate, verify_file

pytestmark = pytest.mark.slow


def test_run_quick_publishes_a_valid_artifact_set_that_scores_every_catalog_movie(tmp_path):
    bucket = tmp_path / "bucket"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "run",
            "--dataset",
            "synthetic:400,300,30000",
            "--to",
            str(bucket),
            "--quick",
            "--catalog-size",
            "200",
            "--work",
            str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]

    artifacts = next(p for p in (tmp_path / "work" / "artifacts").iterdir() if p.name != "models")
    manifest = json.loads((artifacts / "manifest.json").read_text())
    validate(manifest)
    for name in manifest["files"]:
        verify_file(manifest, name, (artifacts / name).read_bytes())
    catalog = json.loads((artifacts / "catalog.json").read_text())
    vectors = np.load(artifacts / "movie_vectors.npy")
    assert manifest["catalog_size"] == len(catalog) == vectors.shape[0] and vectors.shape[1] == 16
    assert vectors.dtype == np.float32
    assert set(manifest["heldout_user_ids"])
    assert manifest["serving"]["n_subsets"] >= 1
    for model in ("global_mean", "item_mean", "item_mean_user_bias", "mf_fold_in", "user_tower"):
        assert set(manifest["metrics"]["cold_start"][model]) == {"0", "1", "2", "4", "8", "16", "all"}
    # the list ranking ships with its parameters, checked like every other file
    assert "ranking.npz" in manifest["files"]
    assert set(manifest["serving"]["ranking"]) == set(serving_ranking.PARAMS)
    # every rating counts: the stars for no ratings ship, and so may the blend past 16
    assert "no_information.npy" in manifest["files"]
    assert set(manifest["serving"].get("past_sixteen", {"reg": 1, "half": 1})) == {"reg", "half"}
    # the fused ensemble ships its explain tower (the reasons' leave-one-out inputs in one call), checked at export
    assert "explain_tower.tflite" in manifest["files"]
    assert manifest["model"]["explain_tower_parity_max_abs_diff"] <= 1e-5 * 5
    assert {"toy_svd", "toy_ncf", "toy_two_tower"} <= set(manifest["metrics"]["warm_start"])

    # the scoring contract, run as the function runs it (LiteRT)
    from ai_edge_litert.interpreter import Interpreter

    from screen_genius import features

    interpreter = Interpreter(model_path=str(artifacts / "user_tower.tflite"))
    x = features.request_inputs(vectors, np.array([0, 3, 5]), np.array([5.0, 1.0, 3.0]), manifest["rating_offset"], 1)
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], list(x.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    ratings = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    assert ratings.shape == (1, len(catalog)) and np.isfinite(ratings).all()

    # published: the report rendered, and the bucket names a version
    assert (tmp_path / "work" / "reports" / "eval-quick" / "index.html").exists()
    for figure in ("metrics_vs_k.png", "tradeoff.png", "results.md"):
        assert (tmp_path / "work" / "reports" / "eval-quick" / figure).stat().st_size > 0
    assert (bucket / "latest.json").exists()
