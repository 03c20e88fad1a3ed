"""sersk's install extras: the modules each one brings, whether they are here, how to add them.

The core install (``pip install sersk``, or ``pip install -e .`` in a checkout) runs the classic
pipelines, the benchmarks and the command line. The parts that need more say which extra adds
it, in one line, rather than fail with a traceback:

>>> from sersk.extras import missing_modules
>>> missing_modules("keras")          # doctest: +SKIP
['tensorflow']

The extras themselves, with their package versions, are declared in ``pyproject.toml``; a test
checks that the two lists name the same extras.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .exceptions import MissingExtraError

__all__ = ["EXTRAS", "install_command", "missing_modules", "problem", "require"]

#: The top-level modules each install extra brings (``pyproject.toml`` says which packages).
EXTRAS: dict[str, tuple[str, ...]] = {
    "keras": ("tensorflow", "scikeras"),
    "whisper": ("ctranslate2",),
    "wav2vec2": ("torch", "transformers"),
    "demo": ("streamlit",),
    "e2e": ("playwright",),
    "skops": ("skops",),
    "opensmile": ("opensmile",),
}


def missing_modules(extra: str) -> list[str]:
    """The modules of an install extra that cannot be imported here.

    Found without importing them (TensorFlow takes seconds to import).

    Parameters
    ----------
    extra : str
        One of :data:`EXTRAS`.

    Returns
    -------
    modules : list of str
        Empty when the extra is installed.
    """
    try:
        modules = EXTRAS[extra]
    except KeyError:
        raise ValueError(f"no install extra named {extra!r}; sersk's extras are "
                         f"{', '.join(EXTRAS)}") from None
    return [module for module in modules if not _importable(module)]


def install_command(*extras: str) -> str:
    """The ``pip install`` command that adds install extras to this sersk.

    ``pip install -e ".[keras]"`` when sersk runs from a source checkout (the folder's path
    instead of ``.`` when the current folder is another), ``pip install "sersk[keras]"``
    otherwise.

    Parameters
    ----------
    *extras : str
        Names of :data:`EXTRAS`.

    Returns
    -------
    command : str
    """
    names = ",".join(extras)
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file():
        where = "." if Path.cwd().resolve() == root else str(root)
        return f'pip install -e "{where}[{names}]"'
    return f'pip install "sersk[{names}]"'


def problem(extra: str) -> str | None:
    """One line on an install extra that is not installed here, and how to add it.

    Parameters
    ----------
    extra : str
        One of :data:`EXTRAS`.

    Returns
    -------
    line : str or None
        Such as ``the keras extra is not installed (no tensorflow): pip install -e
        ".[keras]"``; None when it is installed.
    """
    missing = missing_modules(extra)
    if not missing:
        return None
    return (f"the {extra} extra is not installed (no {', '.join(missing)}): "
            f"{install_command(extra)}")


def require(extra: str, what: str) -> None:
    """Raise :class:`~sersk.exceptions.MissingExtraError` unless an install extra is here.

    Parameters
    ----------
    extra : str
        One of :data:`EXTRAS`.
    what : str
        What needs it, the start of the message: ``"pipeline 'crnn'"``.

    Raises
    ------
    MissingExtraError
        ``pipeline 'crnn' needs the keras extra, which is not installed (no tensorflow):
        pip install -e ".[keras]"``.
    """
    missing = missing_modules(extra)
    if missing:
        raise MissingExtraError(
            f"{what} needs the {extra} extra, which is not installed (no "
            f"{', '.join(missing)}): {install_command(extra)}"
        )


def _importable(module: str) -> bool:
    # find_spec returns None for a module set to None in sys.modules (how tests hide one).
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
