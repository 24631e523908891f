"""Model 2: a cold-start user's ratings (16x16 matrix) -> predicted rating of every catalog movie.

The input is built by ``screen_genius.features`` (the code the function runs),
row i = movie vector i * (rating_i - offset), zero rows when fewer than 16.

Two towers read it:
- ``SetTower`` (served): a 1-wide convolution over rows (one small network
  applied to every rated movie alike), masked mean/sum pooling over rows and
  the number of ratings, then dense layers. The answer does not depend on the
  order of the rated movies, which a user never chose. Served as an ensemble:
  several seeds averaged in one graph (``EnsembleModel``), each tower's taste
  part shrunk for few ratings by a gate fitted on validation users.
- ``SeedCNNTower``: the original design (Conv2D 16@3x3, MaxPool 2, Conv2D
  256@3x3, MaxPool 2, Dense 256, 64, 16, leaky ReLU), kept to measure against.

``CatalogScorer`` turns the 16-D user vector into ratings for every catalog
movie: offset + user . w_movie + c_movie, with w initialized from Model 1's
vectors and c from zero, both fine-tuned on cold-start targets. It is part of
the exported graph, so the function gets ratings in stars straight out of TFLite.

Training simulates cold-start users: each step, each training user in the
batch gives a random k (1..16) of their ratings as input and every other
rating they have is a target, so one tower pass trains on many targets.
Batches are built on the fly from the per-user table; all 16x16 inputs are
never materialized at once.

The package, one module to an idea, imports pointing down the list:

- ``config``: ``UserTowerConfig``, the training ``schedule``, ``rating_offset``.
- ``feeding``: simulated cold-start batches as numpy arrays (``make_batch``).
- ``keras_data``: those batches as Keras datasets, and the per-epoch record.
- ``choices``: the starting ridge and the taste gates, chosen on validation users.
- ``trainer``: the Keras model and ``train_user_tower``.
- ``recommender``: ``UserTowerRecommender``, the tower on the cold-start model surface.
"""

from training.models.user_tower.choices import FOLD_IN_USERS, GATE_LAMBDAS, choose_fold_in_reg, fit_gates
from training.models.user_tower.config import (
    FACTORS,
    MAX_RATINGS,
    Schedule,
    UserTowerConfig,
    rating_offset,
    schedule,
)
from training.models.user_tower.feeding import (
    as_sample_weights,
    cold_start_batches,
    fixed_validation,
    make_batch,
    sample_k,
)
from training.models.user_tower.recommender import PREDICT_USERS, UserTowerRecommender
from training.models.user_tower.trainer import (
    TrainedUserTower,
    build_model,
    split_validation,
    train_user_tower,
)

__all__ = [
    "FACTORS",
    "FOLD_IN_USERS",
    "GATE_LAMBDAS",
    "MAX_RATINGS",
    "PREDICT_USERS",
    "Schedule",
    "TrainedUserTower",
    "UserTowerConfig",
    "UserTowerRecommender",
    "as_sample_weights",
    "build_model",
    "choose_fold_in_reg",
    "cold_start_batches",
    "fit_gates",
    "fixed_validation",
    "make_batch",
    "rating_offset",
    "sample_k",
    "schedule",
    "split_validation",
    "train_user_tower",
]
