"""The model roster: which models the served one is measured beside, built and fitted the same way every time.

``baselines_fitted`` (global mean, item mean, item mean + user bias, MF
fold-in), ``peers`` (EASE, item-kNN, the LightFM hybrid) on the cold-start
surface; ``warm_start`` runs the toy models on the warm-start protocol.
``RATING_PREDICTORS`` are the models that predict stars, against which the
targets hold the served model.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from training.evaluation import protocol

# The rating predictors the served model is held against (EASE ranks, it does not predict stars).
RATING_PREDICTORS = ("item_mean", "item_mean_user_bias", "mf_fold_in", "item_knn")


def peers(ds, train, quick: bool, log=print, hybrid: bool = True) -> list:
    """The peers, fitted on ``train``: EASE, item-kNN and (unless ``quick`` or not ``hybrid``) the LightFM hybrid."""
    from training.models.peers.ease import EASE
    from training.models.peers.item_knn import ItemKNN

    models: list[protocol.ColdStartModel] = [EASE(), ItemKNN()]
    if hybrid and not quick:
        from training.models.peers.lightfm_hybrid import LightFMHybrid

        models.append(LightFMHybrid.for_dataset(ds))
    for model in models:
        started = time.perf_counter()
        model.fit(train)
        log(f"  fitted {model.name} ({time.perf_counter() - started:.1f} s)")
    return models


def baselines_fitted(train) -> list:
    from training.models import baselines

    models = [cls() for cls in baselines.ALL]
    for model in models:
        model.fit(train)
    return models


def warm_start(ds, train, quick: bool, log=print, librec: bool = True) -> dict:
    """The toy models on the warm-start protocol.

    Netflix data (``ds.probe()`` holds the official probe pairs): the seed's
    protocol, fit on every catalog rating except the probe pairs and RMSE on
    them (``probe``; Surprise SVD on a capped, deterministic sample, said in
    the result). Other data: 5-fold over the training users' catalog ratings.
    """
    from training.models.toys import ncf, svd, two_tower

    epochs = {"epochs": 1} if quick else {}
    rating_range = (ds.rating_scale.min, ds.rating_scale.max)
    makers: list[Callable[[int, int], protocol.WarmStartModel]] = [
        lambda n_users, n_items: svd.SurpriseSVD(rating_range=rating_range),
        lambda n_users, n_items: ncf.NeuMF(n_users, n_items, **epochs),
        lambda n_users, n_items: two_tower.TwoTower(n_users, n_items, **epochs),
    ]
    if librec and not quick:
        from training.models.toys.librec_ncf import LibRecNCF

        makers.append(lambda n_users, n_items: LibRecNCF(rating_range=rating_range))
    if ds.probe() is not None:
        from training.evaluation import probe

        log("warm start: toy models, the probe protocol")
        result = probe.evaluate_probe(makers, probe.probe_split(ds), log=log)
        return {
            name: {**entry, "protocol": "probe", "counts": result["protocol"]}
            for name, entry in result["models"].items()
        }
    log("warm start: toy models, " + ("2" if quick else "5") + "-fold")
    factories: list[Callable[[], protocol.WarmStartModel]] = [
        functools.partial(make, train.n_users, train.n_items) for make in makers
    ]
    return protocol.evaluate_warm_start(factories, train, n_folds=2 if quick else 5, log=log)


def warm_label(warm: dict, quick: bool) -> str:
    """Which warm-start protocol produced ``warm``, for the report."""
    if any(entry.get("protocol") == "probe" for entry in warm.values()):
        capped = {
            name: f"{entry['n_train']:,} ratings of {entry.get('n_users', 0):,} users, {entry.get('n_probe', 0):,} "
            "probe pairs"
            for name, entry in warm.items()
            if entry.get("capped")
        }
        return (
            "the seed's probe protocol: fit on every catalog rating except the official probe pairs, RMSE on "
            "their ratings"
            + (
                "; capped toys trained on every rating of a deterministic sample of users and scored on their "
                f"probe pairs ({'; '.join(f'{k}: {v}' for k, v in capped.items())})"
                if capped
                else ""
            )
        )
    return ("2" if quick else "5") + "-fold over the training users' catalog ratings"
