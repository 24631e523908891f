"""The served ensemble as one fused TensorFlow graph, for the TFLite export.

An ``EnsembleModel`` of M ``ColdStartModel(SetTower(base="fold_in"), CatalogScorer)``
members, traced as Keras builds it, is M copies of one tower: M decodes of the
same input, M unrolled ridge solves, M MLPs, M catalog matmuls, then a mean.
For one input LiteRT's time goes on dispatching those ops; for a request's
batch (its input and its leave-one-out inputs) on the per-row MLP of every row
and on the M solves. The fused graph computes the same function with the
member axis inside the tensors:

- the input is decoded once (mask, vectors, residuals, pooled factors and
  counts are the same for every member);
- the per-row MLP runs on the rated rows only, gathered from the batch and
  pooled back per user (an empty row adds nothing to SetTower's pooled mean);
- the M ridge fold-ins, which differ only by their learned ridges, are one
  conjugate-gradient solve with a row per member: gram_m @ p_m =
  gram @ p_m + ridge_m * p_m, one (batch, M, 15) @ (batch, 15, 15)^T matmul a
  step, so the unrolled loop is one member's length;
- the per-row and pooled MLPs are batched matmuls over a (M, ., ., .) weight stack;
- the mean of the M catalog scorers is one matmul:
  mean_m(offset + u_m @ W_m + c_m) = [u_1 .. u_M] @ vstack_m(W_m) / M + (offset + mean_m c_m).

Each step mirrors ``SetTower.call`` and ``ridge_fold_in`` line by line (serving:
no dropout); only the order of float32 operations differs (the ridge is added to
gram @ p rather than to the gram, the ensemble's mean is taken inside the
scorer's matmul), which the export's parity check (``training.export.check_parity``)
bounds. ``fusable_members`` says which models this applies to; any other model
is converted as Keras traces it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screen_genius.features import MAX_RATINGS, VECTOR_DIM
from training.models.layout import CONSTANT, FACTORS, MOVIE_BIAS
from training.models.tower_layers import (
    FOLD_IN_ITERATIONS,
    CatalogScorer,
    ColdStartModel,
    EnsembleModel,
    SetTower,
)

ROW_FEATURES = 2 * FACTORS + 2  # per-row [q, d, residual, q * residual], SetTower's ``rows``


def fusable_members(model) -> list | None:
    """The ColdStartModel members of ``model`` when the fused graph computes it exactly; None otherwise.

    Fusable: one ColdStartModel, or an EnsembleModel of them, each a
    ``SetTower(base="fold_in")`` with GELU layers and a ``CatalogScorer``, all
    of one width and one catalog.
    """
    members = list(model.members) if isinstance(model, EnsembleModel) else [model]
    if not members or not all(_is_fusable(m) for m in members):
        return None
    shapes = {(m.tower.width, tuple(m.scorer.w.shape), m.scorer.offset) for m in members}
    return members if len(shapes) == 1 else None


def _is_fusable(member) -> bool:
    if not isinstance(member, ColdStartModel):
        return False
    tower, scorer = member.tower, member.scorer
    if not isinstance(tower, SetTower) or tower.base != "fold_in" or not isinstance(scorer, CatalogScorer):
        return False
    gelu = [tower.row1, tower.row2, tower.dense1, tower.dense2]
    return (
        all(getattr(layer.activation, "__name__", "") == "gelu" and layer.use_bias for layer in gelu)
        and getattr(tower.out.activation, "__name__", "") == "linear"
        and tower.out.use_bias
        and tuple(tower.row1.kernel_size) == (1,)
        and tuple(tower.row2.kernel_size) == (1,)
    )


@dataclass(frozen=True)
class FusedWeights:
    """The members' trained weights, stacked on a member axis M (float32 numpy, W the towers' width).

    row1_kernel (M, 30, W), row1_bias (M, 1, W); row2_kernel (M, W, W), row2_bias (M, 1, W);
    dense1_kernel (M, W + 17, W), dense1_bias (M, 1, W); dense2_kernel (M, W, W/2), dense2_bias (M, 1, W/2);
    out_kernel (M, W/2, 16), out_bias (M, 1, 16); bias_shrink (M, 1, 1): |bias_shrink|;
    ridge (1, M, 15): softplus(fold_in_raw)'s factor ridge in columns 0..13, its user-bias ridge in 14;
    gates (17, M*16): per count n, member m's taste gate in columns m*16 + 0..13, its bias gate in m*16 + 14, 15;
    scorer_kernel (M*16, n_movies): vstack_m(W_m) / M; scorer_bias (n_movies,): offset + mean_m c_m.
    """

    row1_kernel: np.ndarray
    row1_bias: np.ndarray
    row2_kernel: np.ndarray
    row2_bias: np.ndarray
    dense1_kernel: np.ndarray
    dense1_bias: np.ndarray
    dense2_kernel: np.ndarray
    dense2_bias: np.ndarray
    out_kernel: np.ndarray
    out_bias: np.ndarray
    bias_shrink: np.ndarray
    ridge: np.ndarray
    gates: np.ndarray
    scorer_kernel: np.ndarray
    scorer_bias: np.ndarray

    @property
    def n_members(self) -> int:
        return int(self.row2_kernel.shape[0])

    @classmethod
    def from_members(cls, members) -> FusedWeights:
        """Read and stack the weights of ``fusable_members``' members."""

        def stack(get):
            return np.stack([np.asarray(get(m), dtype=np.float32) for m in members])

        def kernel(name):
            return stack(lambda m: getattr(m.tower, name).kernel.numpy())

        def bias(name):
            return stack(lambda m: getattr(m.tower, name).bias.numpy())[:, None, :]

        n_members = len(members)
        raw = stack(lambda m: m.tower.fold_in_raw.numpy()).astype(np.float64)
        reg = np.logaddexp(0.0, raw)  # softplus: [factor ridge, user-bias ridge] per member, (M, 2)
        ridge = np.concatenate([np.repeat(reg[:, :1], FACTORS, axis=1), reg[:, 1:]], axis=1)  # (M, 15)
        gates = stack(lambda m: m.tower.gates.numpy())  # (M, 2, 17): taste gate, bias gate per count
        spread = np.concatenate(
            [np.repeat(gates[:, 0, :, None], FACTORS, axis=2), np.repeat(gates[:, 1, :, None], 2, axis=2)], axis=2
        )  # (M, 17, 16)
        scorer_w = stack(lambda m: m.scorer.w.numpy()).astype(np.float64)  # (M, 16, n_movies)
        scorer_c = stack(lambda m: m.scorer.c.numpy()).astype(np.float64)
        offset = float(members[0].scorer.offset)
        return cls(
            row1_kernel=kernel("row1")[:, 0],  # Conv1D kernel (1, 30, W): a dense layer on each row
            row1_bias=bias("row1"),
            row2_kernel=kernel("row2")[:, 0],
            row2_bias=bias("row2"),
            dense1_kernel=kernel("dense1"),
            dense1_bias=bias("dense1"),
            dense2_kernel=kernel("dense2"),
            dense2_bias=bias("dense2"),
            out_kernel=kernel("out"),
            out_bias=bias("out"),
            bias_shrink=np.abs(stack(lambda m: m.tower.bias_shrink.numpy())).reshape(n_members, 1, 1),
            ridge=ridge[None].astype(np.float32),
            gates=np.ascontiguousarray(spread.transpose(1, 0, 2).reshape(MAX_RATINGS + 1, -1)).astype(np.float32),
            scorer_kernel=(scorer_w.reshape(n_members * VECTOR_DIM, -1) / n_members).astype(np.float32),
            scorer_bias=(offset + scorer_c.mean(axis=0)).astype(np.float32),
        )


def _decode(x):
    """SetTower.call's present_rows, decode_rows and residual, for (B, 16, 16) user matrices: (mask (B, 16, 1),
    q (B, 16, 14), residual (B, 16, 1): rating - offset - b_movie, rows (B, 16, 30): the per-row MLP's input)."""
    import tensorflow as tf

    mask = tf.cast(tf.reduce_max(tf.abs(x), axis=-1, keepdims=True) > 0, tf.float32)
    d = x[..., CONSTANT : CONSTANT + 1]
    v = x / tf.where(mask > 0, d, tf.ones_like(d)) * mask
    d = d * mask
    q = v[..., :FACTORS]
    residual = (d - v[..., MOVIE_BIAS : MOVIE_BIAS + 1]) * mask
    return mask, q, residual, tf.concat([q, d, residual, q * residual], axis=-1)


def _row_mlp(h, w: FusedWeights):
    """The per-row MLP (Conv1D kernel 1 = a dense layer on each row), every member at once: (1, P, 30) ->
    (M, P, W)."""
    import tensorflow as tf

    h = tf.nn.gelu(tf.matmul(h, w.row1_kernel) + w.row1_bias, approximate=False)
    return tf.nn.gelu(tf.matmul(h, w.row2_kernel) + w.row2_bias, approximate=False)


def _from_pooled(pooled, n, residual_sum, factor_sum, gram, rhs, w: FusedWeights, iterations: int):
    """The stars from what SetTower pools per user: pooled (M, B, W) the per-row MLP's sum, n (B, 1) the rated
    rows, residual_sum (B, 1), factor_sum (B, 14) the sum of q * residual, gram (B, 15, 15) and rhs (B, 1, 15)
    the ridge fold-in's system without its ridge."""
    import tensorflow as tf

    m_axis = w.n_members
    mean = pooled / tf.maximum(n, 1.0)[None]  # (M, B, W)
    user_bias = residual_sum[None] / (n[None] + w.bias_shrink)  # (M, B, 1)
    factors = factor_sum / (n + 3.0)
    count = tf.concat([n / MAX_RATINGS, 1.0 / tf.sqrt(tf.maximum(n, 1.0))], axis=-1)
    shared = tf.tile(tf.concat([factors, count], axis=-1)[None], [m_axis, 1, 1])  # (M, B, 16)
    z = tf.concat([mean, user_bias, shared], axis=-1)  # (M, B, W + 17)
    z = tf.nn.gelu(tf.matmul(z, w.dense1_kernel) + w.dense1_bias, approximate=False)
    z = tf.nn.gelu(tf.matmul(z, w.dense2_kernel) + w.dense2_bias, approximate=False)
    correction = tf.transpose(tf.matmul(z, w.out_kernel) + w.out_bias, [1, 0, 2])  # (B, M, 16)

    # every member's ridge fold-in in one solve, one row per member: (B, M, 15)
    folded = _conjugate_gradients(lambda p: tf.matmul(p, gram, transpose_b=True) + w.ridge * p, rhs, iterations)
    base = tf.concat([folded[..., :FACTORS], tf.ones_like(folded[..., :1]), folded[..., FACTORS:]], axis=-1)

    # gates: one-hot of n as a matmul (as SetTower), taste gate on 0..13, bias gate on 14, 15
    count_onehot = tf.cast(tf.equal(n, tf.range(MAX_RATINGS + 1, dtype=tf.float32)[None, :]), tf.float32)
    gate = tf.reshape(tf.matmul(count_onehot, w.gates), [-1, m_axis, VECTOR_DIM])  # (B, M, 16)
    user = tf.reshape(base + correction * gate, [-1, m_axis * VECTOR_DIM])  # (B, M*16): each member's user vector
    return tf.matmul(user, w.scorer_kernel) + w.scorer_bias


def fused_ratings(x, w: FusedWeights, iterations: int = FOLD_IN_ITERATIONS):
    """(batch, 16, 16) float32 user matrices -> (batch, n_movies) stars: the ensemble's mean, unclipped."""
    import tensorflow as tf

    mask, q, residual, rows = _decode(x)  # decoded once for every member
    n = tf.reduce_sum(mask, axis=1)  # (B, 1)
    # The per-row MLP on the rated rows only: SetTower multiplies an empty row's output by 0 before pooling,
    # and the leave-one-out inputs of a request with few ratings are mostly empty rows. One zero row, pooled
    # into an extra user that is dropped, is always computed: LiteRT's XNNPACK cannot run the MLP on zero rows
    # (an all-empty batch).
    batch = tf.shape(x)[0]
    flat = tf.concat([tf.reshape(rows, [-1, ROW_FEATURES]), tf.zeros([1, ROW_FEATURES])], axis=0)
    rated = tf.where(tf.concat([tf.reshape(mask, [-1]), tf.ones([1])], axis=0) > 0)  # (P + 1, 1) int64
    h = _row_mlp(tf.gather_nd(flat, rated)[None], w)  # (M, P + 1, W)
    user_of_row = tf.cast(rated[:, 0], tf.int32) // MAX_RATINGS  # the extra row's user is ``batch``
    pooled = tf.math.unsorted_segment_sum(tf.transpose(h, [1, 0, 2]), user_of_row, batch + 1)[:-1]  # (B, M, W)
    a = tf.concat([q, mask], axis=-1)  # (B, 16, 15): [q, 1] per rated movie
    return _from_pooled(
        tf.transpose(pooled, [1, 0, 2]),
        n,
        tf.reduce_sum(residual, axis=1),
        tf.reduce_sum(q * residual, axis=1),
        tf.matmul(a, a, transpose_a=True),
        tf.reduce_sum(a * residual, axis=1)[:, None, :],
        w,
        iterations,
    )


def fused_kept_ratings(x, keep, w: FusedWeights, iterations: int = FOLD_IN_ITERATIONS):
    """(1, 16, 16) one user matrix and (batch, 16) float32 keep masks -> (batch, n_movies) stars: row b is
    ``fused_ratings`` of the matrix with only the rows where keep[b] is 1 (the tower pools its rows, so
    where they sit does not matter). The per-row MLP runs once on the matrix's 16 rows, not once per input:
    a request's input and its leave-one-out inputs (``screen_genius.scorer``) in a fraction of the work."""
    import tensorflow as tf

    mask, q, residual, rows = _decode(x)  # (1, 16, .)
    kept = keep[..., None] * mask  # (B, 16, 1): the rows each input reads
    h = _row_mlp(rows, w)  # (M, 16, W), empty rows included (each input's pool leaves them out)
    a = tf.concat([q, mask], axis=-1)  # (1, 16, 15)
    ak = kept * a  # (B, 16, 15)
    return _from_pooled(
        tf.matmul(tf.tile(kept[..., 0][None], [w.n_members, 1, 1]), h),  # (M, B, W)
        tf.reduce_sum(kept, axis=1),
        tf.reduce_sum(kept * residual, axis=1),
        tf.reduce_sum(kept * (q * residual), axis=1),
        tf.matmul(ak, a[0], transpose_a=True),
        tf.reduce_sum(ak * residual, axis=1)[:, None, :],
        w,
        iterations,
    )


def _conjugate_gradients(gram_times, rhs, iterations: int):
    """``ridge_fold_in``'s unrolled CG on rows: rhs (B, 1, D) -> z (B, M, D), row m member m's solution.

    ``gram_times(p)``: row m is (gram_m @ p_m)^T. The M members' systems share their gram but for the
    ridge, so it maps (B, 1 or M, D) to (B, M, D) and the first step broadcasts the common right-hand
    side to every member. Rows, not columns: LiteRT's elementwise ops are faster with the D unknowns
    innermost than with the M members there.
    """
    import tensorflow as tf

    r = rhs
    p = r
    rr = tf.reduce_sum(r * r, axis=-1, keepdims=True)
    z = None
    for _ in range(iterations):
        gp = gram_times(p)
        alpha = rr / tf.maximum(tf.reduce_sum(p * gp, axis=-1, keepdims=True), 1e-12)
        z = alpha * p if z is None else z + alpha * p  # ridge_fold_in starts from z = 0
        r = r - alpha * gp
        rr_new = tf.reduce_sum(r * r, axis=-1, keepdims=True)
        p = r + rr_new / tf.maximum(rr, 1e-20) * p
        rr = rr_new
    return z if z is not None else tf.zeros_like(gram_times(rhs))


def fused_serving_function(model):
    """A tf.function [None, 16, 16] float32 -> {"ratings": [None, n_movies]} computing ``model``.

    None when ``model`` is not fusable (``fusable_members``).
    """
    import tensorflow as tf

    members = fusable_members(model)
    if members is None:
        return None
    weights = FusedWeights.from_members(members)

    @tf.function(input_signature=[tf.TensorSpec([None, MAX_RATINGS, VECTOR_DIM], tf.float32, name="user_matrices")])
    def serve(x):
        return {"ratings": fused_ratings(x, weights)}

    return serve


def fused_kept_function(model):
    """A tf.function ([1, 16, 16], [None, 16]) float32 -> {"ratings": [None, n_movies]} computing
    ``fused_kept_ratings`` of ``model``; None when ``model`` is not fusable (``fusable_members``)."""
    import tensorflow as tf

    members = fusable_members(model)
    if members is None:
        return None
    weights = FusedWeights.from_members(members)

    @tf.function(
        input_signature=[
            tf.TensorSpec([1, MAX_RATINGS, VECTOR_DIM], tf.float32, name="user_matrix"),
            tf.TensorSpec([None, MAX_RATINGS], tf.float32, name="keep"),
        ]
    )
    def serve(x, keep):
        return {"ratings": fused_kept_ratings(x, keep, weights)}

    return serve
