"""The taste map: every catalog movie's place on a 2-D picture of the catalog.

The website draws the catalog as points, with a person's rated movies and
their lists marked, so that nearby points are movies the model treats alike.
The places are the movie vectors' first two principal components (PCA by SVD
of the centred vectors), each axis scaled so that its 1st to 99th percentile
spans [0, 1] and clipped there (a few far-out movies would otherwise squeeze
everyone else into a corner). Deterministic: each axis points the way its
longer tail does (positive third moment), so a re-fit whose factors come out
with flipped signs draws the same map.
"""

from __future__ import annotations

import numpy as np

LOW, HIGH = 1.0, 99.0  # percentiles mapped to 0 and 1


def taste_map(movie_vectors: np.ndarray) -> np.ndarray:
    """(n_movies, 2) float64 in [0, 1] from (n_movies, d) movie vectors; 0.5 everywhere for fewer than 2 movies."""
    vectors = np.asarray(movie_vectors, dtype=np.float64)
    if vectors.ndim != 2:
        raise ValueError(f"movie vectors must be (n_movies, d); got shape {vectors.shape}")
    n = len(vectors)
    places = np.full((n, 2), 0.5)
    if n < 2:
        return places
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ vt[:2].T
    # Fix each axis's direction by the data, not by the solver: the long tail points to 1.
    skew = (projected**3).mean(axis=0)
    projected *= np.where(skew < 0, -1.0, 1.0)
    for axis in range(projected.shape[1]):
        low, high = np.percentile(projected[:, axis], [LOW, HIGH])
        if high - low > 1e-12:
            places[:, axis] = np.clip((projected[:, axis] - low) / (high - low), 0.0, 1.0)
    return places
