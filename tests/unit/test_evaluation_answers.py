"""How the reasons read over simulated newcomers (``training.evaluation.answers``): each list's figures by hand."""

from __future__ import annotations

import math

from training.evaluation import answers


def test_a_lists_reason_figures_count_one_rating_for_all_distinct_ratings_named_and_agreeing_ones():
    # three listed movies; rated rows 7 and 9 agree with the list (liked for a top list), 8 does not
    cited = [[7, 8], [7], [7, 9]]
    agrees = {7: True, 8: False, 9: True}
    everywhere, distinct, named, agreeing = answers._list_stats(cited, agrees)
    assert everywhere  # row 7 is named for every movie
    assert distinct == 3 and named == 1.0
    assert agreeing == 4 / 5  # 5 reasons, row 8's the one that disagrees


def test_a_list_with_movies_without_reasons_counts_them_and_has_no_agreeing_share_when_none_is_named():
    everywhere, distinct, named, agreeing = answers._list_stats([[3], [], [4]], {3: False, 4: True})
    assert not everywhere and distinct == 2 and named == 2 / 3 and agreeing == 0.5
    everywhere, distinct, named, agreeing = answers._list_stats([[], []], {})
    assert not everywhere and distinct == 0 and named == 0.0 and math.isnan(agreeing)
