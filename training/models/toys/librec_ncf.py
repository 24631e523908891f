"""Toy model: the original project's NCF, trained by LibRecommender in a process of its own.

The seed trained its toy NCF with LibRecommender (PyPI ``librecommender``).
That library builds TF1-style graphs with ``tf.keras`` layers, which only work
with Keras 2: TensorFlow 2.21 gives it Keras 2 (``tf_keras``) when
``TF_USE_LEGACY_KERAS=1`` is set before TensorFlow is imported, and that
switches the whole process. Our own models use Keras 3, so this model runs
LibRecommender in a worker process (``python -m training.models.toys.librec_ncf``)
and talks to it through ``.npy`` files in a temporary directory:

    parent                                  worker (TF_USE_LEGACY_KERAS=1)
    fit:     users/items/ratings.npy  ->    "fit DIR"      trains NCF, keeps it in memory
    predict: users/items.npy          ->    "predict DIR"  writes predictions.npy

``tf_keras`` is installed outside the main environment (``.venv/keras2``, see
requirements/keras2.txt): its package metadata requires the full
``tensorflow`` wheel (572 MB), a second copy of the TensorFlow we already
have as ``tensorflow-cpu``; the worker puts that directory on its path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import weakref
from pathlib import Path
from typing import IO

import numpy as np

#: Where ``make setup`` installs tf_keras (``pip install --no-deps --target``).
KERAS2_DIR = Path(sys.prefix) / "keras2"


class LibRecNCF:
    """LibRecommender's NCF (rating task) on integer-coded users and movies: ``fit``/``predict``.

    Users or movies unseen in ``fit`` get the average embedding (LibRecommender's
    ``cold_start="average"``). Predictions are clipped to ``rating_range``, as
    LibRecommender does with ``lower_upper_bound``.
    """

    name = "toy_ncf_librec"

    # Defaults: LibRecommender's NCF defaults except n_epochs 5 and no batch norm, the best of 9 variants
    # on 10% of warm-start fold 0's training ratings (validation RMSE 0.8815; library defaults 0.9826).
    def __init__(
        self,
        embed_size: int = 16,
        n_epochs: int = 5,
        lr: float = 1e-3,
        reg: float | None = None,
        batch_size: int = 256,
        hidden_units: tuple[int, ...] = (128, 64, 32),
        use_bn: bool = False,
        dropout_rate: float | None = None,
        rating_range: tuple[float, float] = (0.5, 5.0),
        seed: int = 0,
        timeout_s: float = 900.0,
    ):
        self.params = {
            "embed_size": embed_size,
            "n_epochs": n_epochs,
            "lr": lr,
            "reg": reg,
            "batch_size": batch_size,
            "hidden_units": list(hidden_units),
            "use_bn": use_bn,
            "dropout_rate": dropout_rate,
            "lower_upper_bound": list(rating_range),
            "seed": seed,
        }
        self.timeout_s = timeout_s
        self._worker: subprocess.Popen[str] | None = None
        self._dir: Path | None = None

    def fit(self, users, items, ratings) -> None:
        directory = self._start()
        np.save(directory / "users.npy", np.asarray(users, dtype=np.int64))
        np.save(directory / "items.npy", np.asarray(items, dtype=np.int64))
        np.save(directory / "ratings.npy", np.asarray(ratings, dtype=np.float32))
        (directory / "params.json").write_text(json.dumps(self.params))
        self._ask("fit")

    def predict(self, users, items) -> np.ndarray:
        directory = self._dir
        if self._worker is None or directory is None:  # _start sets _dir before _worker
            raise RuntimeError("LibRecNCF.predict called before fit")
        np.save(directory / "users.npy", np.asarray(users, dtype=np.int64))
        np.save(directory / "items.npy", np.asarray(items, dtype=np.int64))
        self._ask("predict")
        return np.load(directory / "predictions.npy").astype(np.float32)

    def close(self) -> None:
        """Stop the worker and remove its directory (also done when the model is garbage-collected)."""
        if self._worker is not None:
            self._finalizer()
            self._worker = None

    def _start(self) -> Path:
        """Start a fresh worker (stopping any earlier one); returns its directory."""
        self.close()
        self._dir = directory = Path(tempfile.mkdtemp(prefix="librec_ncf_"))
        env = dict(
            os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")
        )
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(KERAS2_DIR), env.get("PYTHONPATH", "")) if p)
        self._log = open(self._dir / "worker.log", "w")  # noqa: SIM115  (the worker's stderr for its lifetime; _stop closes it)
        self._worker = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parents[3],
        )
        self._finalizer = weakref.finalize(self, _stop, self._worker, self._log, self._dir)
        return directory

    def _ask(self, command: str) -> None:
        worker, directory = self._worker, self._dir
        # Only called once _start has run: a worker with pipes to and from it, and its directory.
        assert worker is not None and worker.stdin is not None and worker.stdout is not None and directory is not None
        worker.stdin.write(f"{command} {directory}\n")
        worker.stdin.flush()
        answer = worker.stdout.readline().strip()
        if answer != "ok":
            self._log.flush()
            tail = (directory / "worker.log").read_text()[-2000:]
            self.close()
            raise RuntimeError(f"LibRecommender worker failed on '{command}' ({answer or 'no answer'}):\n{tail}")


def _stop(worker: subprocess.Popen[str], log: IO[str], directory: Path) -> None:
    try:
        if worker.poll() is None:
            if worker.stdin is not None:  # always: the worker is started with stdin=PIPE
                worker.stdin.close()
            worker.wait(timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        worker.kill()
    log.close()
    shutil.rmtree(directory, ignore_errors=True)


def _serve() -> int:
    """Worker loop: one command per stdin line, "ok" or "error: ..." per stdout line."""
    # LibRecommender prints progress to stdout: keep stdout for answers only, send the rest to stderr.
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def answer(text: str) -> None:
        channel.write(text + "\n")
        channel.flush()

    if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        answer("error: TF_USE_LEGACY_KERAS=1 must be set before TensorFlow is imported")
        return 2
    try:
        import pandas as pd
        import tf_keras  # noqa: F401  (LibRecommender's tf.keras layers need Keras 2)
        from libreco.algorithms import NCF
        from libreco.data import DatasetPure
    except ImportError as e:
        answer(f"error: {e}; install with `make setup` (tf_keras goes to {KERAS2_DIR})")
        return 2
    model = None
    for line in sys.stdin:
        command, _, directory = line.strip().partition(" ")
        path = Path(directory)
        try:
            users, items = np.load(path / "users.npy"), np.load(path / "items.npy")
            if command == "fit":
                import tensorflow as tf

                params = json.loads((path / "params.json").read_text())
                tf.compat.v1.reset_default_graph()
                frame = pd.DataFrame({"user": users, "item": items, "label": np.load(path / "ratings.npy")})
                train, info = DatasetPure.build_trainset(frame, shuffle=False, seed=params["seed"])
                params["lower_upper_bound"] = tuple(params["lower_upper_bound"])
                model = NCF("rating", info, **params)
                model.fit(train, neg_sampling=False, verbose=0, shuffle=True)
            elif command == "predict" and model is not None:
                pred = model.predict(user=users.tolist(), item=items.tolist(), cold_start="average")
                np.save(path / "predictions.npy", np.asarray(pred, dtype=np.float32).reshape(-1))
            else:
                raise ValueError(f"unknown command {command!r} (or predict before fit)")
            answer("ok")
        except Exception as e:  # the parent shows this with the worker's log
            import traceback

            traceback.print_exc()
            answer(f"error: {type(e).__name__}: {e}".replace("\n", " "))
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
