"""The exceptions sersk raises.

Every sersk exception derives from :class:`SerskError`; each also derives from the standard
exception that fits, so ``except ValueError`` keeps working in code that does not know sersk.
"""

from __future__ import annotations

import os

__all__ = ["SerskError", "AudioError", "CorpusError", "DownloadError", "MissingExtraError"]


class SerskError(Exception):
    """Root of every exception raised by sersk."""


class AudioError(SerskError, ValueError):
    """Audio that cannot be used: missing, unreadable, silent, non-finite or too short.

    Parameters
    ----------
    source : str
        What was being read: the file path, or a description such as ``"waveform #3"``.
    problem : str
        What is wrong, and where possible what to do instead.

    Attributes
    ----------
    source : str
    problem : str
    """

    def __init__(self, source: str | os.PathLike, problem: str):
        self.source = os.fspath(source) if isinstance(source, os.PathLike) else str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")

    def __reduce__(self):
        # Keeps the exception picklable across joblib worker processes.
        return (type(self), (self.source, self.problem))


class CorpusError(SerskError, ValueError):
    """A corpus folder that cannot be loaded (wrong layout, unknown corpus, no files)."""


class DownloadError(SerskError, OSError):
    """A download that failed, or whose content did not verify."""


class MissingExtraError(SerskError, ImportError):
    """An optional part of sersk whose install extra (such as ``keras``) is not installed.

    The message names the extra, the modules it lacks and the ``pip install`` command that
    adds them (see :func:`sersk.extras.require`).
    """
