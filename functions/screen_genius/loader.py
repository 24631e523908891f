"""Loading the published artifact set, once, and swapping to newer versions.

``MODEL_URI`` names a store (gs://bucket/prefix or a directory) laid out as
``latest.json`` -> ``versions/<version>/{manifest.json, catalog.json,
movie_vectors.npy, user_tower.tflite, elicitation.npz, ranking.npz,
no_information.npy, explain_tower.tflite}`` (the last four may be absent in
sets exported before they existed: ``ask_next`` then asks the most-rated
movies first, the lists follow the stars, a person with no ratings gets the
tower's own stars, and the reasons come from user_tower.tflite's
leave-one-out batch; explain_tower.tflite is exported for a fused ensemble only).
``load_model`` reads one version and
checks every file against the manifest's size and sha256 before anything is
served from it. ``ModelHolder`` keeps the model being served: it loads on
first use (one load however many requests arrive together), re-reads
``latest.json`` at most every ``refresh_s`` seconds, and swaps atomically to
a new version only once that version has loaded and checked out; a bad new
version is refused and logged while the current one keeps serving.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from screen_genius import elicit
from screen_genius import manifest as manifest_lib
from screen_genius import ranking as ranking_lib
from screen_genius.manifest import LATEST, ManifestError, check_version_name, parse_latest, version_key
from screen_genius.scale import RatingScale
from screen_genius.scorer import KeptTower, PastSixteen, Scorer, Tower
from screen_genius.store import NotFound, Store, StoreUnavailable, open_store

log = logging.getLogger("screen_genius.loader")

NO_INFORMATION = "no_information.npy"  # optional: (catalog_size,) stars for a person who has rated nothing
EXPLAIN_TOWER = "explain_tower.tflite"  # optional: the leave-one-out batch in one call (scorer.KeptTower)
EXPLAIN_AGREES = 1e-4  # stars: explain_tower.tflite gives user_tower.tflite's predictions at least this closely


def read_latest(store: Store) -> dict[str, Any]:
    """The parsed ``latest.json``: at least {"version"}; raises NotFound, StoreUnavailable, ManifestError."""
    return parse_latest(store.read(LATEST), store.uri)


class ModelUnavailable(Exception):
    """No model can be served right now (storage down, or no good version); retry later."""


@dataclass(frozen=True)
class Model:
    """One loaded artifact set, ready to serve; never mutated after loading."""

    version: str
    manifest: dict[str, Any]
    catalog: list[dict[str, Any]]
    row_of: dict[int, int]  # movie_id -> catalog row
    scale: RatingScale
    scorer: Scorer
    movies_json: bytes = field(repr=False)  # the /api/movies body, serialised once
    display: list[dict[str, Any]] = field(repr=False, default_factory=list)  # per row: {movie_id, title, year, genres}
    elicitation: elicit.ElicitationData | None = field(repr=False, default=None)
    ask_strategy: str = "popular"
    # The stars for a person who has rated nothing (computed once at load): the zero of the taste tilt.
    ask_reference: np.ndarray | None = field(repr=False, default=None)

    @property
    def ask_unlisted_top(self) -> int:
        """How many of the top movies (by the list ranking) ``ask_next`` leaves out: ``elicit.unlisted_top``."""
        return elicit.unlisted_top(self.ask_strategy)

    def ask_next(
        self,
        rated_rows: np.ndarray,
        ratings: np.ndarray,
        skipped_rows: np.ndarray,
        listed_rows: np.ndarray,
        predicted: np.ndarray,
    ) -> np.ndarray:
        """Catalog rows of the movies to ask about next (``screen_genius.elicit``).

        ratings: the stars of rated_rows; listed_rows: this answer's top ``ask_unlisted_top`` movies and bottom
        10 (what ``+unlisted`` and ``+unlistedN`` leave out); predicted: (catalog_size,) its stars.
        """
        name, _, rule = self.ask_strategy.partition("+")
        assert self.elicitation is not None  # build_model always sets it
        listed = listed_rows if rule else None  # +unlisted / +unlistedN: not the movies on this answer's lists either
        return self.elicitation.cards(
            name, rated_rows, predicted, skipped_rows, self.ask_reference, ratings, listed, elicit.ASK_K
        )


def genre_list(genres: object) -> list[str]:
    """A catalog record's genres as a list: "Comedy|Drama" -> ["Comedy", "Drama"]; none -> []."""
    if isinstance(genres, list):
        return [str(g) for g in genres]
    if not isinstance(genres, str):
        return []
    return [g for g in genres.split("|") if g and g != "(no genres listed)"]


def movie_record(movie: dict[str, Any], version: str) -> dict[str, Any]:
    """A catalog.json record as GET /api/movies lists it: genres as a list, ``aka`` (other titles,
    [] when the artifact set has none), ``map`` ([x, y] in [0, 1]) only where the artifact set has one."""
    record = {**movie, "genres": genre_list(movie.get("genres"))}
    aka = movie.get("aka")
    record["aka"] = [a for a in aka if isinstance(a, str)] if isinstance(aka, list) else []
    if "map" in movie:
        place = movie["map"]
        if not (
            isinstance(place, list)
            and len(place) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in place)
        ):
            raise ManifestError(
                f"catalog.json of {version}: movie {movie.get('movie_id')} has map {place!r}; expected [x, y] in [0, 1]"
            )
    return record


def load_model(store: Store, version: str, manifest_sha256: str | None = None) -> Model:
    """Read and check one version; raises ManifestError (bad artifact) or StoreUnavailable/NotFound."""
    base = version_key(check_version_name(version))
    try:
        raw_manifest = store.read(base + manifest_lib.MANIFEST)
    except NotFound:
        raise ManifestError(f"version {version} has no {manifest_lib.MANIFEST} (incomplete upload?)") from None
    if manifest_sha256 is not None and manifest_lib.sha256_bytes(raw_manifest) != manifest_sha256:
        raise ManifestError(f"versions/{version}/manifest.json does not match the sha256 in latest.json")
    try:
        manifest = json.loads(raw_manifest)
    except (ValueError, UnicodeDecodeError) as e:
        raise ManifestError(f"versions/{version}/manifest.json is not valid JSON: {e}") from None
    manifest_lib.validate(manifest)
    if manifest["version"] != version:
        raise ManifestError(f"versions/{version}/manifest.json says version {manifest['version']!r}")

    def verified(name: str) -> bytes:
        try:
            data = store.read(base + name)
        except NotFound:
            raise ManifestError(f"versions/{version}/{name} is missing") from None
        manifest_lib.verify_file(manifest, name, data)
        return data

    catalog_bytes = verified("catalog.json")
    vectors_bytes = verified("movie_vectors.npy")
    tower_bytes = verified("user_tower.tflite")
    elicitation_bytes = verified(elicit.FILE) if elicit.FILE in manifest["files"] else None
    ranking_bytes = verified(ranking_lib.FILE) if ranking_lib.FILE in manifest["files"] else None
    no_info_bytes = verified(NO_INFORMATION) if NO_INFORMATION in manifest["files"] else None
    explain_bytes = verified(EXPLAIN_TOWER) if EXPLAIN_TOWER in manifest["files"] else None
    return build_model(
        manifest,
        catalog_bytes,
        vectors_bytes,
        tower_bytes,
        elicitation_bytes,
        ranking_bytes,
        no_info_bytes,
        explain_bytes,
    )


def build_model(
    manifest: dict[str, Any],
    catalog_bytes: bytes,
    vectors_bytes: bytes,
    tower_bytes: bytes,
    elicitation_bytes: bytes | None = None,
    ranking_bytes: bytes | None = None,
    no_information_bytes: bytes | None = None,
    explain_tower_bytes: bytes | None = None,
) -> Model:
    """Check the files' contents against each other and the manifest; raises ManifestError."""
    version = manifest["version"]
    size = manifest["catalog_size"]
    try:
        catalog = json.loads(catalog_bytes)
        ids = [m["movie_id"] for m in catalog]
    except (ValueError, UnicodeDecodeError, TypeError, KeyError) as e:
        raise ManifestError(
            f"catalog.json of {version} must be a JSON list of {{movie_id, title, year}}: {e}"
        ) from None
    if (
        len(catalog) != size
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        or len(set(ids)) != size
    ):
        raise ManifestError(f"catalog.json of {version} must list {size} movies with distinct integer movie_id")
    try:
        vectors = np.load(io.BytesIO(vectors_bytes), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise ManifestError(f"movie_vectors.npy of {version} is not a .npy array: {e}") from None
    if vectors.shape != (size, 16) or vectors.dtype != np.float32 or not np.isfinite(vectors).all():
        raise ManifestError(
            f"movie_vectors.npy of {version} must be finite float32 ({size}, 16); is {vectors.dtype} {vectors.shape}"
        )
    try:
        scale = RatingScale.from_dict(manifest["rating_scale"])
        offset = float(manifest["rating_offset"])
        n_subsets = int(manifest.get("serving", {}).get("n_subsets", 1))
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise ManifestError(f"manifest.json of {version}: bad rating_scale, rating_offset or serving: {e}") from None
    try:
        tower = Tower(tower_bytes, size)
    except ValueError as e:  # LiteRT raises ValueError for a model it cannot read
        raise ManifestError(f"user_tower.tflite of {version}: {e}") from None
    ranking = None
    if ranking_bytes is not None:
        try:
            ranking = ranking_lib.ListRanking.from_bytes(
                ranking_bytes, manifest.get("serving", {}).get("ranking") or {}, size
            )
        except (ValueError, OSError, KeyError, EOFError) as e:
            raise ManifestError(f"{ranking_lib.FILE} of {version}: {e}") from None
    no_information = None
    if no_information_bytes is not None:
        try:
            no_information = np.load(io.BytesIO(no_information_bytes), allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            raise ManifestError(f"{NO_INFORMATION} of {version} is not a .npy array: {e}") from None
        if no_information.shape != (size,) or not np.isfinite(no_information).all():
            raise ManifestError(f"{NO_INFORMATION} of {version} must be finite stars, shape ({size},)")
    past_sixteen = None
    if "past_sixteen" in manifest.get("serving", {}):
        try:
            spec = manifest["serving"]["past_sixteen"]
            past_sixteen = PastSixteen(float(spec["reg"]), float(spec["half"]))
            if not (past_sixteen.reg > 0 and past_sixteen.half > 0):
                raise ValueError("reg and half must be positive")
        except (ValueError, TypeError, KeyError) as e:
            raise ManifestError(f"manifest.json of {version}: bad serving.past_sixteen: {e}") from None
    kept_tower = None
    if explain_tower_bytes is not None:
        try:
            kept_tower = KeptTower(explain_tower_bytes, size)
        except ValueError as e:
            raise ManifestError(f"{EXPLAIN_TOWER} of {version}: {e}") from None
    scorer = Scorer(tower, vectors, offset, scale, n_subsets, ranking, no_information, past_sixteen, kept_tower)
    probe, _ = scorer.predict(np.array([0]), np.array([scale.max]))
    if not np.isfinite(probe).all():
        raise ManifestError(f"user_tower.tflite of {version} predicts non-finite ratings")
    if kept_tower is not None:  # the two towers must be one function: the lists' stars and their reasons agree
        rows = np.arange(min(3, size))
        given = np.full(len(rows), scale.max, dtype=np.float32)
        kept = scorer.explain(rows, given)
        plain = Scorer(tower, vectors, offset, scale, n_subsets, ranking, no_information, past_sixteen)
        expected = plain.explain(rows, given)
        apart = max(
            float(np.abs(kept.predicted - expected.predicted).max()),
            float(np.abs(kept.effects - expected.effects).max()),
        )
        if not apart <= EXPLAIN_AGREES:
            raise ManifestError(
                f"{EXPLAIN_TOWER} of {version} disagrees with user_tower.tflite by {apart:.3g} stars (at most "
                f"{EXPLAIN_AGREES:g}): the two towers are not one model; re-export the set"
            )
    if elicitation_bytes is None:
        elicitation, strategy = elicit.catalog_order(size), "popular"
    else:
        try:
            elicitation = elicit.ElicitationData.from_bytes(elicitation_bytes)
            strategy = manifest.get("serving", {}).get("ask_next", elicit.STATIC)  # as exported then
            if elicitation.catalog_size != size or not elicit.known(strategy):
                raise ValueError(
                    f"need {size} movies and a strategy NAME, NAME+unlisted or NAME+unlistedN (N from {elicit.LISTED} "
                    f"to {elicit.UNLISTED_MAX}) with NAME in {elicit.STRATEGIES}; has "
                    f"{elicitation.catalog_size} and serving.ask_next {strategy!r}"
                )
        except (ValueError, np.linalg.LinAlgError) as e:
            raise ManifestError(f"{elicit.FILE} of {version}: {e}") from None
    movies = [movie_record(m, version) for m in catalog]
    display = [
        {"movie_id": m["movie_id"], "title": m.get("title"), "year": m.get("year"), "genres": m["genres"]}
        for m in movies
    ]
    movies_json = json.dumps(
        {"movies": movies, "rating_scale": scale.to_dict(), "model_version": version}, separators=(",", ":")
    ).encode()
    return Model(
        version=version,
        manifest=manifest,
        catalog=catalog,
        row_of={movie_id: row for row, movie_id in enumerate(ids)},
        scale=scale,
        scorer=scorer,
        movies_json=movies_json,
        display=display,
        elicitation=elicitation,
        ask_strategy=strategy,
        ask_reference=scorer.predict(np.zeros(0, np.int64), np.zeros(0))[0],
    )


class ModelHolder:
    """The model being served, loaded lazily and refreshed at most every ``refresh_s`` seconds."""

    def __init__(
        self,
        uri: str,
        refresh_s: float = 300.0,
        *,
        storage_retry_s: float | None = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uri = uri
        self.refresh_s = refresh_s
        self._storage_retry_s = storage_retry_s
        self._clock = clock
        self._store: Store | None = None
        self._model: Model | None = None
        self._load_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._attempts = 0  # load attempts so far, to share one failure among waiting requests
        self._last_error = ""
        self._next_check = 0.0
        # latest.json contents (sha256) whose version failed its checks: not retried
        # until latest.json is rewritten, so a bad version is not downloaded again and again.
        self._refused: set[str] = set()
        self.loads = 0  # successful loads, first and swaps

    @property
    def model(self) -> Model | None:
        """The model being served, or None before the first successful load (never loads)."""
        return self._model

    def get(self) -> Model:
        """The model to serve this request with; loads it on first use. Raises ModelUnavailable."""
        model = self._model
        if model is None:
            return self._load_first()
        if self._clock() >= self._next_check and self._refresh_lock.acquire(blocking=False):
            try:  # one request checks for a new version; the others keep serving
                self._refresh(model)
            finally:
                self._refresh_lock.release()
        served = self._model  # this one, or the newer one a refresh swapped in
        assert served is not None  # once loaded, only ever replaced by another model
        return served

    def _open(self) -> Store:
        if not self.uri:
            raise StoreUnavailable("MODEL_URI is not set: point it at gs://BUCKET/PREFIX or a published directory")
        if self._store is None:
            self._store = open_store(self.uri, retry_s=self._storage_retry_s)
        return self._store

    def _load_latest(self, skip: str | None = None) -> Model | None:
        store = self._open()
        raw = store.read(LATEST)
        pointer = manifest_lib.sha256_bytes(raw)
        if pointer in self._refused:
            return None
        try:
            latest = parse_latest(raw, store.uri)
        except ManifestError:
            self._refused.add(pointer)
            raise
        version = latest["version"]
        if version == skip:
            return None
        log.info("loading model version %s from %s", version, self.uri)
        started = time.perf_counter()
        try:
            model = load_model(store, version, latest.get("manifest_sha256"))
        except ManifestError:
            self._refused.add(pointer)
            raise
        self.loads += 1
        log.info("loaded model version %s in %.0f ms", version, 1000 * (time.perf_counter() - started))
        return model

    def _load_first(self) -> Model:
        attempt = self._attempts
        with self._load_lock:
            if self._model is not None:
                return self._model
            if self._attempts != attempt:  # another request just tried and failed while we waited
                raise ModelUnavailable(self._last_error)
            self._attempts += 1
            try:
                model = self._load_latest()
                if model is None:
                    raise ManifestError(f"the latest version in {self.uri} was refused earlier; publish a good one")
            except NotFound as e:
                self._last_error = f"nothing published at {self.uri}: {e}"
            except (StoreUnavailable, ManifestError, ValueError) as e:
                self._last_error = f"{e}"
            else:
                self._next_check = self._clock() + self.refresh_s
                self._model = model
                return model
            log.error("model not loaded: %s", self._last_error)
            raise ModelUnavailable(self._last_error)

    def _refresh(self, current: Model) -> None:
        self._next_check = self._clock() + self.refresh_s
        try:
            model = self._load_latest(skip=current.version)
        except ManifestError as e:
            log.error("refused new model version, still serving %s: %s", current.version, e)
            return
        except (NotFound, StoreUnavailable) as e:
            log.warning("could not check for a new model version, still serving %s: %s", current.version, e)
            return
        if model is not None:
            self._model = model  # one reference assignment: requests see the old or the new model, whole
            log.info("now serving model version %s (was %s)", model.version, current.version)
