"""Finished folds kept on disk, so an interrupted cross-validation resumes where it stopped."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FoldCheckpoint"]

_VERSION = 1


class FoldCheckpoint:
    """Each finished fold's result row and predictions, in ``folder/fold-<k>.joblib``.

    A stored fold is used only for the same split of the same labels (hashes of the training
    and test positions and of ``y`` are stored with it); otherwise it is fitted again. The
    folder must belong to one estimator and one set of clips: the caller names it so. The
    files are pickles, to be read only from one's own output folder.

    Parameters
    ----------
    folder : str or path-like
        Created on the first save.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def _path(self, fold: int) -> Path:
        return self.folder / f"fold-{fold}.joblib"

    @staticmethod
    def _split_key(train: np.ndarray, test: np.ndarray, y: np.ndarray) -> str:
        digest = hashlib.sha1()
        for part in (np.asarray(train, dtype=np.int64), np.asarray(test, dtype=np.int64)):
            digest.update(part.tobytes())
            digest.update(b"|")
        digest.update("\x1f".join(map(str, y)).encode())
        return digest.hexdigest()

    def load(
        self, fold: int, train: np.ndarray, test: np.ndarray, y: np.ndarray
    ) -> tuple[dict[str, Any], Any] | None:
        """The stored ``(row, predictions)`` of this fold and split, or None."""
        import joblib

        try:
            stored = joblib.load(self._path(fold))
        except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, ImportError):
            return None  # absent, or torn: fitted again
        if (not isinstance(stored, dict) or stored.get("version") != _VERSION
                or stored.get("split") != self._split_key(train, test, y)):
            return None
        return stored["row"], stored["predictions"]

    def save(
        self, fold: int, train: np.ndarray, test: np.ndarray, y: np.ndarray,
        row: dict[str, Any], predictions: Any,
    ) -> None:
        """Store a finished fold atomically (an interruption leaves the old file or none)."""
        import joblib

        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        os.close(fd)
        try:
            joblib.dump({"version": _VERSION, "split": self._split_key(train, test, y),
                         "row": row, "predictions": predictions}, tmp)
            os.replace(tmp, self._path(fold))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
