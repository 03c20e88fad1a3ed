"""Progress bars: drawn on a terminal or in a notebook, never into a redirected log.

A tqdm bar redraws itself with carriage returns, and nested bars move the cursor with escape
codes; written to a file (``python -m benchmarks.run > log 2>&1``, a CI job) they are noise.
Every sersk progress bar is made here, and is off unless stderr is a terminal or the code runs
in a Jupyter kernel.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["interactive", "progress_bar"]


def interactive(stream: Any = None) -> bool:
    """Whether progress bars can be drawn: ``stream`` (default stderr) is a terminal, or this
    is a Jupyter kernel (whose streams are not terminals but draw tqdm's widgets)."""
    stream = sys.stderr if stream is None else stream
    try:
        terminal = bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        terminal = False
    return terminal or "ipykernel" in sys.modules


def progress_bar(iterable: Any = None, *, disable: bool = False, **kwargs: Any):
    """A ``tqdm.auto`` bar, disabled (a plain pass-through) where it cannot be drawn.

    Parameters
    ----------
    iterable : iterable, default=None
        What to iterate over, as in tqdm; None for a bar driven by ``update``.
    disable : bool, default=False
        Off whatever the output.
    **kwargs
        tqdm's other arguments (``total``, ``desc``, ``unit``, ``leave`` …).

    Returns
    -------
    tqdm.auto.tqdm
    """
    from tqdm.auto import tqdm

    return tqdm(iterable, disable=disable or not interactive(), **kwargs)
