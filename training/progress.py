"""Progress bars for the long loops of training and evaluation, shown only when a command asks for them.

Library code wraps a loop that can run for minutes in ``bar(...)`` (or adds
``epoch_callback(...)`` to a Keras ``fit``). Nothing is drawn unless the
caller turned bars on with ``enabled()``: `run` does, so a person watching a
100M-rating run sees what is happening, its rate and its ETA; library calls
from tests, cross-validation or other commands stay quiet. Bars go to stderr
and disappear when their loop ends; the stage's summary line (``stages``)
is what stays in the log.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterable, Iterator

from tqdm import tqdm

_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar("training_progress", default=False)


@contextlib.contextmanager
def enabled(on: bool = True) -> Iterator[None]:
    """Within the block, ``bar`` draws (``on``) or stays silent."""
    token = _ENABLED.set(bool(on))
    try:
        yield
    finally:
        _ENABLED.reset(token)


def is_enabled() -> bool:
    return _ENABLED.get()


def write(line: str) -> None:
    """Print a log line to stdout; while bars are drawn, above them (tqdm clears and redraws them)."""
    if _ENABLED.get():
        tqdm.write(line, file=sys.stdout)
        sys.stdout.flush()
    else:
        print(line, flush=True)


def bar(iterable: Iterable | None = None, total: int | None = None, desc: str | None = None, unit: str = "it") -> tqdm:
    """A tqdm bar (count, rate, ETA) over ``iterable``, or a silent pass-through when bars are off."""
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        disable=not _ENABLED.get(),
        leave=False,
        mininterval=1.0,
        dynamic_ncols=True,
        file=sys.stderr,
    )


def epoch_callback(epochs: int, desc: str):
    """A Keras callback drawing one bar over ``epochs`` epochs (with the last validation RMSE), or None when off."""
    if not _ENABLED.get():
        return None
    import keras

    class EpochBar(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = bar(total=epochs, desc=desc, unit="epoch")

        def on_epoch_end(self, epoch, logs=None):
            if logs and "val_loss" in logs:
                self.bar.set_postfix_str(f"val rmse {float(logs['val_loss']) ** 0.5:.4f}", refresh=False)
            self.bar.update(1)

        def on_train_end(self, logs=None):
            self.bar.close()

    return EpochBar()
