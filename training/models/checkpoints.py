"""Finished parts of a training, kept so that a killed `run` resumes inside the train stage.

Training at Netflix scale is Model 1, then five towers, then the list
ranking: tens of minutes in one stage. ``Checkpoints`` keeps each part as it
finishes, in a directory beside the model directory, under the train stage's
key (the sha256 of everything the training depends on: dataset, split,
profile, seed, code, packages; ``pipeline.train_inputs``):

    .<model dir name>.parts/KEY          the key the parts below belong to
    .<model dir name>.parts/<part>.npz   one finished part: its arrays and a JSON info

A part is written to a temporary file, flushed to disk and renamed into
place, so a part that is there is whole. When the key differs (new data,
new code, --fresh), the parts are removed before anything is reused. `run`
removes the directory once the model directory is swapped in.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from training.atomic import write_file

KEY_FILE = "KEY"


class Checkpoints:
    """Parts of one training, keyed by the train stage's key; ``fresh`` drops whatever is there."""

    def __init__(self, directory: Path | str, key: str, fresh: bool = False, log=None):
        self.directory, self.key, self.log = Path(directory), key, log
        key_file = self.directory / KEY_FILE
        stale = fresh or not key_file.is_file() or key_file.read_text().strip() != key
        if stale and self.directory.exists():
            shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        if stale:
            write_file(key_file, lambda f: f.write(key.encode() + b"\n"))

    def load(self, part: str) -> tuple[dict[str, np.ndarray], dict] | None:
        """(arrays, info) of a finished part, or None when it was never finished (or cannot be read)."""
        path = self.directory / f"{part}.npz"
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {name: z[name] for name in z.files if name != "__info__"}
                info = json.loads(str(z["__info__"]))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None
        if self.log:
            self.log(f"  reusing {part} (finished by an earlier run with the same inputs)")
        return arrays, info

    def save(self, part: str, arrays: dict[str, np.ndarray], info: dict) -> None:
        """Keep a finished part: written whole to a temporary file, then renamed into place."""
        payload: dict[str, Any] = {"__info__": np.array(json.dumps(info)), **arrays}
        write_file(self.directory / f"{part}.npz", lambda f: np.savez(f, **payload))

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def cached_part(checkpoints: Checkpoints | None, part: str, build, to_arrays, from_arrays):
    """``build()``'s result, or the one an earlier run kept under ``part``.

    ``to_arrays(result) -> (arrays, info)`` keeps it; ``from_arrays(arrays, info)``
    makes it again. Without checkpoints this is just ``build()``.
    """
    if checkpoints is not None:
        kept = checkpoints.load(part)
        if kept is not None:
            return from_arrays(*kept)
    result = build()
    if checkpoints is not None:
        checkpoints.save(part, *to_arrays(result))
    return result
