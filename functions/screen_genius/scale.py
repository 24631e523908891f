"""The rating scale of a dataset: the one definition training and serving share."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RatingScale:
    """Ratings from ``min`` to ``max`` inclusive in steps of ``step`` (stars)."""

    min: float
    max: float
    step: float

    def __post_init__(self) -> None:
        if not (self.step > 0 and self.max > self.min):
            raise ValueError(f"invalid rating scale {self}: need step > 0 and max > min")
        span = (self.max - self.min) / self.step
        if abs(span - round(span)) > 1e-9:
            raise ValueError(f"invalid rating scale {self}: (max - min) is not a whole number of steps")

    def contains(self, value: float) -> bool:
        """True when ``value`` is one of the scale's points (e.g. 3.5 on a half-star scale)."""
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            return False
        # Scalar arithmetic, not on_scale: this runs for every rating of every request,
        # and a numpy call costs ten times as much. test_scale checks the two agree.
        if value < self.min - 1e-9 or value > self.max + 1e-9:
            return False
        steps = (value - self.min) / self.step
        return abs(steps - round(steps)) < 1e-6

    def n_points(self) -> int:
        return round((self.max - self.min) / self.step) + 1

    def points(self) -> np.ndarray:
        """Every rating on the scale, ascending: (n_points,) float32."""
        return (self.min + self.step * np.arange(self.n_points())).astype(np.float32)

    def on_scale(self, values: np.ndarray) -> np.ndarray:
        """Elementwise ``contains`` for an array of ratings: a bool array of the same shape."""
        values = np.asarray(values, dtype=np.float64)
        steps = (values - self.min) / self.step
        return (values >= self.min - 1e-9) & (values <= self.max + 1e-9) & (np.abs(steps - np.round(steps)) < 1e-6)

    def describe(self) -> str:
        return f"{self.min:g} to {self.max:g} in steps of {self.step:g}"

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RatingScale:
        return cls(min=float(d["min"]), max=float(d["max"]), step=float(d["step"]))


HALF_STARS = RatingScale(0.5, 5.0, 0.5)  # MovieLens
WHOLE_STARS = RatingScale(1.0, 5.0, 1.0)  # Netflix Prize
