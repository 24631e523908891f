"""Running totals of bincounts, for statistics gathered batch by batch."""

from __future__ import annotations

import numpy as np


def add_counts(total: np.ndarray, more: np.ndarray) -> np.ndarray:
    """Elementwise sum of two bincounts of different lengths (may return a new, longer array)."""
    if len(more) > len(total):
        total = np.concatenate([total, np.zeros(len(more) - len(total), dtype=total.dtype)])
    total[: len(more)] += more
    return total
