"""Where downloaded corpora live: the sersk data home."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["get_data_home"]

DATA_HOME_ENV = "SERSK_DATA_HOME"


def get_data_home(data_home: str | os.PathLike | None = None) -> str:
    """The folder that holds one folder per corpus, created if missing.

    Like scikit-learn's ``get_data_home``: by default ``~/sersk_data``, or the folder named by
    the ``SERSK_DATA_HOME`` environment variable.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        The folder to use; None for the default.

    Returns
    -------
    str
        The data home's absolute path.

    Examples
    --------
    >>> import tempfile
    >>> from sersk.datasets import get_data_home
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     get_data_home(tmp) == tmp
    True
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or Path("~", "sersk_data")
    path = Path(data_home).expanduser().absolute()
    path.mkdir(parents=True, exist_ok=True)
    return str(path)
