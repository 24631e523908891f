"""The probe protocol: fit on everything but the official probe pairs, score RMSE on them; no probe pair in training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.dataset import load_dataset
from training.evaluation.probe import cap_users, evaluate_probe, pair_keys, probe_split
from training.ingest import ingest

N_USERS, N_MOVIES = 80, 12


def ratings_table(seed: int = 0) -> list[tuple[int, int, int]]:
    """(customer id, movie id, stars): every user rates most movies; customer 999 rates only movie 1."""
    rng = np.random.default_rng(seed)
    rows = []
    for movie in range(1, N_MOVIES + 1):
        for user in range(1, N_USERS + 1):
            if rng.random() < 0.7:
                rows.append((user * 13 + 5, movie, int(rng.integers(1, 6))))
    rows.append((999, 1, 4))
    return rows


def write_netflix(folder: Path, rows, probe_pairs, shuffle_seed: int | None = None) -> Path:
    """A Netflix Prize folder: movie_titles.csv, combined_data_1.txt ('MovieID:' blocks), probe.txt."""
    folder.mkdir(parents=True)
    (folder / "movie_titles.csv").write_text("".join(f"{m},{1990 + m},Movie {m}\n" for m in range(1, N_MOVIES + 1)))
    by_movie: dict[int, list] = {}
    for user, movie, stars in rows:
        by_movie.setdefault(movie, []).append((user, stars))
    with open(folder / "combined_data_1.txt", "w") as f:
        for movie in sorted(by_movie):
            lines = by_movie[movie]
            if shuffle_seed is not None:
                lines = [lines[i] for i in np.random.default_rng(shuffle_seed + movie).permutation(len(lines))]
            f.write(f"{movie}:\n" + "".join(f"{u},{s},2005-01-0{1 + u % 9}\n" for u, s in lines))
    probe: dict[int, list] = {}
    for user, movie in probe_pairs:
        probe.setdefault(movie, []).append(user)
    blocks = (f"{m}:\n" + "".join(f"{u}\n" for u in us) for m, us in sorted(probe.items()))
    (folder / "probe.txt").write_text("".join(blocks))
    return folder


def probe_pairs_of(rows, seed: int = 1) -> list[tuple[int, int]]:
    rng = np.random.default_rng(seed)
    pairs = [(u, m) for u, m, _ in rows if rng.random() < 0.15]
    return sorted(set(pairs) | {(999, 1)})  # customer 999's only rating is a probe pair


@pytest.fixture(scope="module")
def netflix(tmp_path_factory):
    root = tmp_path_factory.mktemp("probe")
    rows = ratings_table()
    pairs = probe_pairs_of(rows)
    ingest(
        f"netflix:{write_netflix(root / 'raw', rows, pairs)}",
        root / "store",
        catalog_size=8,
        heldout_fraction=0.2,
        progress=False,
    )
    return load_dataset(root / "store"), rows, pairs


class Spy:
    """A warm-start toy that remembers what it was fitted on and predicts a constant."""

    def __init__(self, name: str = "spy", value: float = 3.0, n_users: int = 0):
        self.name, self.value, self.n_users = name, value, n_users

    def fit(self, users, items, ratings):
        self.fitted = (users.copy(), items.copy(), ratings.copy())

    def predict(self, users, items):
        self.predicted = (users.copy(), items.copy())
        return np.full(len(users), self.value, dtype=np.float32)


def run_spy(split, name="spy", caps=None):
    spies = []

    def factory(n_users, n_items):
        spies.append(Spy(name, n_users=n_users))
        return spies[-1]

    return evaluate_probe([factory], split, caps=caps or {}), spies[-1]  # the one fitted (a capped toy is rebuilt)


def test_no_probe_pair_reaches_training(netflix):
    ds, _, pairs = netflix
    split = probe_split(ds)
    _, spy = run_spy(split)
    users, items, _ = spy.fitted
    fitted = pair_keys(split.user_ids[users], split.movie_ids[items])
    assert not np.isin(fitted, pair_keys(*np.array(pairs).T)).any()


def test_training_and_probe_ratings_together_are_every_catalog_rating(netflix):
    ds, rows, pairs = netflix
    split = probe_split(ds)
    catalog = set(ds.catalog["movie_id"].tolist())
    expected = {(u, m): s for u, m, s in rows if m in catalog}

    def as_dict(users, items, ratings):
        pairs = zip(split.user_ids[users].tolist(), split.movie_ids[items].tolist(), strict=True)
        return dict(zip(pairs, ratings.tolist(), strict=True))

    train = as_dict(split.train_users, split.train_items, split.train_ratings)
    probe = as_dict(split.probe_users, split.probe_items, split.probe_ratings)
    assert set(probe) == {p for p in pairs if p[1] in catalog}
    assert {**train, **probe} == expected and not set(train) & set(probe)
    assert split.info["n_train"] == len(train) and split.info["n_probe"] == len(probe)


def test_items_are_catalog_rows_in_the_catalog_order(netflix):
    ds, _, _ = netflix
    split = probe_split(ds)
    assert split.movie_ids.tolist() == ds.catalog["movie_id"].tolist()
    assert split.n_items == len(ds.catalog) and split.train_items.max() < split.n_items


def test_all_movies_when_not_catalog_only(netflix):
    ds, rows, _ = netflix
    split = probe_split(ds, catalog_only=False)
    assert split.info["n_train"] + split.info["n_probe"] == len(rows)
    assert split.n_items == N_MOVIES


def test_probe_rmse_is_the_rmse_of_the_predictions_on_the_probe_ratings(netflix):
    ds, _, _ = netflix
    split = probe_split(ds)
    result, _ = run_spy(split)
    expected = np.sqrt(np.mean((3.0 - split.probe_ratings.astype(np.float64)) ** 2))
    assert result["models"]["spy"]["rmse"] == pytest.approx(expected)
    assert result["models"]["spy"]["n_train"] == split.info["n_train"] and not result["models"]["spy"]["capped"]


def test_a_probe_user_without_other_ratings_is_counted_and_still_scored(netflix):
    ds, _, _ = netflix
    split = probe_split(ds, catalog_only=False)  # movie 1 need not be in the catalog
    assert split.info["n_probe_without_user_training"] == 1
    assert 999 in split.user_ids[split.probe_users] and 999 not in split.user_ids[split.train_users]


def test_a_capped_model_trains_on_whole_histories_of_sampled_users_and_is_scored_on_their_probe_pairs(netflix):
    ds, _, pairs = netflix
    split = probe_split(ds)
    result, spy = run_spy(split, name="toy_svd", caps={"toy_svd": 50})
    entry = result["models"]["toy_svd"]
    assert entry["capped"] and 0 < entry["n_train"] <= 50 and entry["n_train"] == len(spy.fitted[0])
    keep, scored = cap_users(split, 50)
    # the toy is built for the sampled users only, numbered 0..n-1 in the order of their positions
    present = np.unique(np.concatenate([split.train_users[keep], split.probe_users[scored]]))
    assert spy.n_users == len(present) < split.n_users
    users = present[spy.fitted[0]]
    fitted = pair_keys(split.user_ids[users], split.movie_ids[spy.fitted[1]])
    assert np.isin(fitted, split.train_keys()).all()
    assert not np.isin(fitted, pair_keys(*np.array(pairs).T)).any()
    for u in np.unique(users):  # every training rating of a kept user, none of anyone else
        assert (users == u).sum() == (split.train_users == u).sum()
    assert entry["n_users"] == len(np.unique(users))
    assert entry["n_probe"] == len(scored) == len(spy.predicted[0])
    np.testing.assert_array_equal(present[spy.predicted[0]], split.probe_users[scored])


def test_the_user_sample_is_the_same_whatever_the_file_order(netflix, tmp_path):
    ds, rows, pairs = netflix
    ingest(
        f"netflix:{write_netflix(tmp_path / 'raw', rows, pairs, shuffle_seed=7)}",
        tmp_path / "store",
        catalog_size=8,
        heldout_fraction=0.2,
        progress=False,
    )
    a, b = probe_split(ds), probe_split(load_dataset(tmp_path / "store"))
    sample_a, sample_b = a.train_keys()[cap_users(a, 60)[0]], b.train_keys()[cap_users(b, 60)[0]]
    assert 0 < len(sample_a) <= 60 and set(sample_a.tolist()) == set(sample_b.tolist())
    assert set(a.train_keys()[cap_users(a, 60, seed=1)[0]].tolist()) != set(sample_a.tolist())


def test_a_cap_above_the_training_size_keeps_everything(netflix):
    split = probe_split(netflix[0])
    train, probe = cap_users(split, 10**9)
    assert len(train) == split.info["n_train"] and len(probe) == split.info["n_probe"]


def test_data_without_probe_pairs_is_refused_with_the_reason(tmp_path):
    ingest("synthetic:300,40,3000", tmp_path / "store", catalog_size=10, raw_dir=tmp_path / "raw", progress=False)
    ds = load_dataset(tmp_path / "store")
    (ds.path / "probe.parquet").unlink()
    with pytest.raises(ValueError, match="no probe pairs"):
        probe_split(ds)


def test_surprise_svd_runs_on_the_protocol_with_its_cap(netflix):
    from training.models.toys.svd import SurpriseSVD

    split = probe_split(netflix[0])
    result = evaluate_probe(
        [lambda n_users, n_items: SurpriseSVD(n_epochs=5, rating_range=(1, 5))], split, caps={"toy_svd": 200}
    )
    svd = result["models"]["toy_svd"]
    assert svd["n_train"] <= 200 and svd["capped"] and 0.5 < svd["rmse"] < 2.5
    assert result["protocol"]["n_probe"] == split.info["n_probe"] and "splitmix64" in result["protocol"]["cap_method"]
    assert svd["n_probe"] < split.info["n_probe"]  # only the sampled users' probe pairs
