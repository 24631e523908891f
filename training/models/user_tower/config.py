"""The user tower's configuration and its training schedule: how big, how long, how fast.

``UserTowerConfig`` holds every choice of Model 2 (tower shape, epochs,
batches, ensemble, gates, starting point); ``schedule`` turns it into the
batches, steps, epochs and patience for a given number of users;
``rating_offset`` is the star value subtracted from ratings in the 16x16 input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screen_genius import features
from training.models import layout

MAX_RATINGS = features.MAX_RATINGS
FACTORS = layout.FACTORS


@dataclass
class UserTowerConfig:
    tower: str = "set"  # "set" (served) or "seed_cnn" (the original design)
    width: int = 128
    epochs: int = 80
    batch_users: int = 32  # the smallest batch; larger with many users (``schedule``)
    max_batch_users: int = 256
    epoch_users: int = 65_536  # simulated users per epoch at most: validation and early stopping this often
    max_simulated_users: int = 400_000  # per tower, over all epochs: the budget that bounds training at scale
    learning_rate: float = 5e-4
    dropout: float = 0.1
    l2_scorer: float = 1e-3  # pulls the fine-tuned scorer back toward Model 1's vectors
    max_given: int = MAX_RATINGS
    validation_fraction: float = 0.1
    patience: int = 25
    seed: int = 0
    k_distribution: str = "uniform"  # given ratings per simulated user: "uniform" in 1..16, or "log" (P(k) ~ 1/k)
    ensemble: int = 5  # towers trained with seeds seed, seed+1, ...; the served graph averages their ratings
    fit_gates: bool = True  # after training, shrink the learned taste part by number of ratings (validation users)
    gate_draws: int = 4  # simulated cold-start draws per validation user and number of ratings, to fit the gates
    base: str = "fold_in"  # the tower's starting point: "fold_in" (ridge fold-in on the movie factors) or "bias"
    fold_in_reg: float = 8.0  # initial ridge of the fold-in (learned in training)
    # at scale (a capped schedule), start from the ridge in FOLD_IN_REGS best on the validation users instead
    choose_fold_in_reg: bool = True


@dataclass(frozen=True)
class Schedule:
    """How one tower trains on a given number of users: batch size, steps per epoch, epochs, patience."""

    batch_users: int
    steps_per_epoch: int
    epochs: int
    patience: int
    learning_rate: float


def schedule(n_users: int, config: UserTowerConfig) -> Schedule:
    """The training schedule for ``n_users`` eligible fit users: the same as ever on small data, bounded at scale.

    An epoch is one pass over the users, or ``epoch_users`` of them when
    there are more (the next epoch goes on where it stopped), so validation
    and early stopping come as often at 400K users as at 40K. The batch grows
    from ``batch_users`` toward ``max_batch_users`` with the number of users
    (a power of two near n / 160: 32 on MovieLens' 600 users, 256 from about
    30K users), which is what makes a step cheap per user on CPU. The epochs
    are capped so that a tower steps on at most ``max_simulated_users``
    simulated users in all, and the patience shrinks with them (a quarter of
    the epochs, at least 2). The learning rate grows with the square root of
    the batch over ``batch_users`` (Hoffer et al. 2017; measured at 10M
    ratings in docs/models.md, "Netflix scale").
    """
    n = max(int(n_users), 1)
    batch = config.batch_users
    while batch < config.max_batch_users and batch * 160 < n:
        batch *= 2
    batch = max(config.batch_users, min(batch, config.max_batch_users))
    per_epoch = min(n, config.epoch_users)
    epochs = max(1, min(config.epochs, -(-config.max_simulated_users // per_epoch)))
    patience = config.patience if epochs == config.epochs else min(config.patience, max(2, epochs // 4))
    learning_rate = config.learning_rate * float(np.sqrt(batch / config.batch_users))
    return Schedule(batch, -(-per_epoch // batch), epochs, patience, learning_rate)


def rating_offset(global_mean: float, step: float) -> float:
    """The offset subtracted from ratings: the training mean, kept off the rating grid.

    A rating equal to the offset would make its row all zeros, which the tower
    reads as "no rating"; so an offset within a tenth of a step of a grid
    point is moved a quarter step away.
    """
    offset = round(float(global_mean), 4)
    nearest = round(offset / step) * step
    if abs(offset - nearest) < 0.1 * step:
        offset = nearest + 0.25 * step
    return offset
