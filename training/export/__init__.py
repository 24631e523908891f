"""The artifact set (DESIGN.md): what the function loads.

    manifest.json       version, dataset, catalog size, rating scale and offset, held-out
                        user ids, served model, headline metrics, serving options, file sizes/sha256s
    catalog.json        [{movie_id, title, aka, year, genres, n_ratings, mean_rating, map}] in catalog row
                        order; title as a person reads it, aka the other titles (for search), map the
                        movie's [x, y] in [0, 1] on the taste map (training.export.taste_map)
    movie_vectors.npy   (catalog_size, 16) float32, the rows of the user input (Model 1)
    user_tower.tflite   float32 [batch, 16, 16] -> float32 [batch, catalog_size] predicted stars
                        (unclipped), catalog order; movie weights and biases are in the graph
    explain_tower.tflite  (a fused fold-in ensemble only) float32 [1, 16, 16] one user matrix and
                        [batch, 16] keep masks -> [batch, catalog_size]: row b is user_tower's stars for the
                        matrix with only the rows keep[b] marks; one request and its leave-one-out inputs
                        with the per-row network run once (screen_genius.scorer.KeptTower)
    elicitation.npz     what ``ask_next`` needs (screen_genius.elicit.ElicitationData): per-movie
                        popularity, rating mean/variance/entropy of the training users, the taste prior
    ranking.npz         the lists' order (screen_genius.ranking): EASE weights (catalog_size x catalog_size),
                        popularity, no-information prior, rating spreads; its parameters in manifest
                        serving.ranking
    no_information.npy  (catalog_size,) float32 stars for a person who has rated nothing (the item mean);
                        how ratings past 16 are read in manifest serving.past_sixteen ({reg, half})

The TFLite tower is checked against Keras before anything is written: the
export fails if the outputs differ by more than 1e-5 relative to the largest output on random or real inputs.
"""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from screen_genius import elicit, features
from screen_genius import ranking as ranking_file
from screen_genius.loader import EXPLAIN_TOWER, NO_INFORMATION
from screen_genius.manifest import write_manifest
from training.atomic import atomic_directory
from training.export.provenance import provenance
from training.export.taste_map import taste_map

PARITY_TOLERANCE = 1e-5
KEPT_PARITY_STRIDE = 4  # explain_tower.tflite is checked on every 4th parity input and its leave-one-out inputs


class ParityError(RuntimeError):
    """The converted TFLite tower does not reproduce the Keras model."""


def convert_to_tflite(model, fuse: bool = True) -> bytes:
    """The Keras cold-start model as a TFLite flatbuffer with a [batch, 16, 16] float32 input.

    A fold-in ensemble (``fused_tower.fusable_members``) is converted as its fused graph: the same
    function with one decode, one ridge solve and one catalog matmul for all members, a fraction of
    the ops and of LiteRT's time. ``fuse=False``, or any other model, converts the graph Keras traces.
    """
    import tensorflow as tf

    from training.export.fused_tower import fused_serving_function

    serve = fused_serving_function(model) if fuse else None
    if serve is None:

        def traced(x):
            return {"ratings": model(x, training=False)}

        serve = tf.function(
            traced,
            input_signature=[
                tf.TensorSpec([None, features.MAX_RATINGS, features.VECTOR_DIM], tf.float32, name="user_matrices")
            ],
        )

    return _flatbuffer(serve)


def convert_kept_to_tflite(model) -> bytes | None:
    """explain_tower.tflite for ``model`` (``fused_tower.fused_kept_function``), or None where the fused graph
    does not compute it (the function then explains with user_tower.tflite's leave-one-out batch)."""
    from training.export.fused_tower import fused_kept_function

    serve = fused_kept_function(model)
    return None if serve is None else _flatbuffer(serve)


def _flatbuffer(serve) -> bytes:
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    # Weights become constants: the function's LiteRT has no resource variables.
    frozen = convert_variables_to_constants_v2(serve.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # LiteRT runs builtins only
    return converter.convert()


def run_tflite(flatbuffer: bytes, x: np.ndarray) -> np.ndarray:
    """Run the flatbuffer with LiteRT (as the function does): (B, 16, 16) -> (B, catalog_size)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer)
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], list(x.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], np.ascontiguousarray(x, dtype=np.float32))
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def leave_one_out_keeps(matrix: np.ndarray) -> np.ndarray:
    """(1 + rated rows, 16) keep masks for one (16, 16) user matrix: every row, then each rated row left out."""
    from screen_genius.scorer import leave_one_out_masks

    return leave_one_out_masks(np.flatnonzero(np.abs(matrix).max(axis=1) > 0))


def check_kept_parity(flatbuffer: bytes, keras_predict, x: np.ndarray) -> float:
    """Max abs difference between explain_tower.tflite and Keras, for each of ``x`` (n, 16, 16) and its
    leave-one-out inputs (the rows zeroed in place: the tower pools its rows); ParityError above the tolerance."""
    from screen_genius.scorer import KeptTower

    worst, tower = 0.0, None
    for matrix in x:
        keep = leave_one_out_keeps(matrix)
        expected = np.asarray(keras_predict(matrix[None] * keep[:, :, None]), dtype=np.float32)
        try:  # as the function runs it
            tower = tower or KeptTower(flatbuffer, expected.shape[1])
        except ValueError as e:
            raise ParityError(f"explain_tower.tflite: {e}; not exporting") from None
        got = tower(matrix, keep)
        diff = float(np.max(np.abs(got - expected))) if got.shape == expected.shape else math.inf
        if not math.isfinite(diff) or diff > parity_bound(expected):
            raise ParityError(
                f"explain_tower.tflite differs from Keras by {diff:.3g} (shape {got.shape} against "
                f"{expected.shape}; tolerance {PARITY_TOLERANCE:g} relative); not exporting"
            )
        worst = max(worst, diff)
    return worst


def parity_inputs(
    movie_vectors: np.ndarray, offset: float, real_users: list[tuple[np.ndarray, np.ndarray]], scale, seed: int = 0
) -> np.ndarray:
    """Random user matrices (every k from 0 to 16, random movies and on-scale ratings) plus real users' inputs."""
    rng = np.random.default_rng(seed)
    n_random = 64
    rows = np.full((n_random, features.MAX_RATINGS), -1, dtype=np.int64)
    ratings = np.zeros((n_random, features.MAX_RATINGS), dtype=np.float32)
    points = scale.points()
    for i in range(n_random):
        k = i % (features.MAX_RATINGS + 1)
        rows[i, :k] = rng.choice(len(movie_vectors), size=min(k, len(movie_vectors)), replace=False)
        ratings[i, :k] = rng.choice(points, size=k)
    parts = [features.user_matrices(movie_vectors, rows, ratings, offset)]
    parts += [features.request_inputs(movie_vectors, r, v, offset, 1) for r, v in real_users]
    return np.concatenate(parts).astype(np.float32)


def check_parity(flatbuffer: bytes, keras_predict, x: np.ndarray) -> float:
    """Max abs difference between TFLite and Keras on ``x``; ParityError above the tolerance."""
    expected = np.asarray(keras_predict(x), dtype=np.float32)
    got = run_tflite(flatbuffer, x)
    if got.shape != expected.shape:
        raise ParityError(f"TFLite output shape {got.shape} differs from Keras {expected.shape}")
    diff = float(np.max(np.abs(got - expected)))
    bound = parity_bound(expected)
    if not math.isfinite(diff) or diff > bound:
        raise ParityError(
            f"TFLite differs from Keras by {diff:.3g} (tolerance {PARITY_TOLERANCE:g} relative: {bound:.3g}); "
            "not exporting"
        )
    return diff


def parity_bound(expected: np.ndarray) -> float:
    """The largest difference allowed: PARITY_TOLERANCE relative to the largest output (at least 1).

    Float32 resolves a rating of 5 to 4.8e-7, and the tower's in-graph ridge
    solve (15 conjugate-gradient steps) accumulates rounding that TFLite and
    TensorFlow order differently: on the 100M-rating model the two differed by
    1.24e-5 stars. A relative bound keeps the check at about 20 float32 steps
    of the output; an export bug (weights, layout) differs by orders more.
    """
    return PARITY_TOLERANCE * max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)


def catalog_records(catalog, places: np.ndarray | None = None) -> list[dict]:
    """catalog.json: one record per catalog row, JSON-safe (nullable year/genres become null).

    ``title`` is the display title where the store has one (older stores: the title);
    ``places``: (catalog_size, 2) taste-map coordinates in [0, 1], or None for no ``map``.
    """
    out = []
    for i, row in enumerate(catalog.itertuples(index=False)):
        year = getattr(row, "year", None)
        genres = getattr(row, "genres", None)
        shown = getattr(row, "display_title", None)
        aka = getattr(row, "aka", None)
        record = {
            "movie_id": int(row.movie_id),
            "title": shown if isinstance(shown, str) and shown else str(row.title),
            "aka": [str(a) for a in aka] if aka is not None and not isinstance(aka, (str, float)) else [],
            "year": None if year is None or year is np.nan or str(year) in ("<NA>", "nan") else int(year),
            "genres": genres if isinstance(genres, str) else None,
        }
        if hasattr(row, "n_ratings"):
            record["n_ratings"] = int(row.n_ratings)
        if hasattr(row, "mean_rating"):
            record["mean_rating"] = round(float(row.mean_rating), 4)
        if places is not None:
            record["map"] = [round(float(places[i, 0]), 4), round(float(places[i, 1]), 4)]
        out.append(record)
    return out


def export_artifacts(ds, trained, metrics: dict | None, out_dir: Path | str, log=print) -> dict:
    """Write the artifact set for the served tower into ``out_dir`` (replaced atomically); return the manifest."""
    from training.coldstart.ratings import heldout_ratings, training_ratings
    from training.evaluation.elicitation import elicitation_data
    from training.evaluation.results import SERVED_MODEL, headline

    out_dir = Path(out_dir)
    tower = trained.towers[SERVED_MODEL]
    flatbuffer = convert_to_tflite(tower.model)
    test = heldout_ratings(ds)
    real = [test.user(u) for u in range(min(test.n_users, 64))]
    x = parity_inputs(trained.movie_vectors, trained.offset, real, ds.rating_scale)
    diff = check_parity(flatbuffer, tower.predict_matrices, x)
    log(f"TFLite parity: max abs diff {diff:.2e} over {len(x)} inputs (tolerance {PARITY_TOLERANCE:g} relative)")
    kept = convert_kept_to_tflite(tower.model)
    kept_diff = None
    if kept is not None:
        kept_diff = check_kept_parity(kept, tower.predict_matrices, x[::KEPT_PARITY_STRIDE])
        log(f"explain tower parity: max abs diff {kept_diff:.2e} over {len(x[::KEPT_PARITY_STRIDE])} requests")

    with atomic_directory(out_dir) as staging:
        places = taste_map(trained.movie_vectors)
        records = catalog_records(ds.catalog, places)
        (staging / "catalog.json").write_text(json.dumps(records, ensure_ascii=False) + "\n")
        np.save(staging / "movie_vectors.npy", np.ascontiguousarray(trained.movie_vectors, dtype=np.float32))
        (staging / "user_tower.tflite").write_bytes(flatbuffer)
        if kept is not None:
            (staging / EXPLAIN_TOWER).write_bytes(kept)
        (staging / elicit.FILE).write_bytes(
            elicitation_data(training_ratings(ds), trained.movie_vectors, trained.offset, ds.rating_scale).to_bytes()
        )
        serving_options: dict[str, Any] = {"ask_next": elicit.SERVED}
        if trained.ranking is not None:  # the lists' order (screen_genius.ranking)
            buffer = io.BytesIO()
            spread = trained.ranking.spread  # None: a model fitted before the spreads (the function reads 1)
            np.savez(
                buffer,
                weights=trained.ranking.weights.astype(np.float32),
                popularity=trained.ranking.popularity.astype(np.float64),
                prior=trained.prior.astype(np.float64),
                **({} if spread is None else {"spread": spread.astype(np.float64)}),
            )
            (staging / ranking_file.FILE).write_bytes(buffer.getvalue())
            serving_options["ranking"] = dict(trained.info["ranking"]["params"])
        if trained.no_information is not None:  # the stars for a person who has rated nothing
            np.save(staging / NO_INFORMATION, np.asarray(trained.no_information, dtype=np.float32))
        if trained.past is not None:  # how ratings past 16 are read (screen_genius.scorer.PastSixteen)
            serving_options["past_sixteen"] = {"reg": trained.past.reg, "half": trained.past.half}
        created = datetime.now(UTC)
        serving = (metrics or {}).get("serving", {})
        manifest = write_manifest(
            staging,
            version=created.strftime("%Y%m%dT%H%M%SZ"),
            created_at=created.isoformat(timespec="seconds"),
            dataset=ds.info.get("name"),
            catalog_size=len(ds.catalog),
            rating_scale=ds.rating_scale.to_dict(),
            rating_offset=float(trained.offset),
            heldout_user_ids=[int(u) for u in ds.heldout_user_ids],
            served_model=SERVED_MODEL,
            metrics=headline(metrics) if metrics else {"cold_start": {}, "warm_start": {}},
            serving={"n_subsets": int(serving.get("n_subsets", 1)), **serving_options},
            model={
                "input": "float32 [batch, 16, 16] user matrices (screen_genius.features)",
                "output": "float32 [batch, catalog_size] predicted stars, unclipped, catalog.json order",
                "tflite_parity_max_abs_diff": diff,
                **({} if kept_diff is None else {"explain_tower_parity_max_abs_diff": kept_diff}),
            },
            provenance=provenance(ds, trained, SERVED_MODEL),
        )
    return manifest
