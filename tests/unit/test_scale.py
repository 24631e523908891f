"""The rating scale: one definition of which ratings exist, for ingest, training and serving."""

import numpy as np
import pytest

from screen_genius.scale import HALF_STARS, WHOLE_STARS, RatingScale


def test_points_list_every_rating_on_the_scale():
    assert HALF_STARS.points().tolist() == [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]
    assert WHOLE_STARS.points().tolist() == [1, 2, 3, 4, 5]


def test_on_scale_agrees_with_contains_elementwise():
    values = np.array([0.0, 0.5, 1.25, 3.5, 5.0, 5.5, np.nan])
    assert HALF_STARS.on_scale(values).tolist() == [False, True, False, True, True, False, False]
    assert [HALF_STARS.contains(float(v)) for v in values] == HALF_STARS.on_scale(values).tolist()
    assert WHOLE_STARS.on_scale(np.array([1, 2.5, 5])).tolist() == [True, False, True]


@pytest.mark.parametrize("value", [True, "4", None, float("inf")])
def test_contains_refuses_non_numbers(value):
    assert not HALF_STARS.contains(value)


def test_a_scale_that_is_not_whole_steps_is_refused():
    with pytest.raises(ValueError, match="whole number of steps"):
        RatingScale(1, 5, 0.3)
