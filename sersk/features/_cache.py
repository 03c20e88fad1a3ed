"""A disk cache of per-clip frame features, keyed by audio content and extraction parameters.

Cross-validation folds and searches refit a pipeline many times on overlapping clips; with a
cache, each clip is analysed once per set of extraction parameters. Keys hash the audio bytes,
not the path, so a renamed or copied file hits the cache and an edited one misses it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..audio import is_audio_path

__all__ = ["FeatureCache", "content_key", "resolve_cache_location"]

_CHUNK = 1 << 20


def resolve_cache_location(memory) -> Path | None:
    """The folder behind a ``memory`` parameter: None, a path, or a ``joblib.Memory``."""
    if memory is None:
        return None
    if isinstance(memory, (str, os.PathLike)):
        return Path(memory).expanduser()
    location = getattr(memory, "location", None)
    if location is None:
        if hasattr(memory, "cache"):
            return None  # joblib.Memory(None): caching disabled, as in scikit-learn.
        raise ValueError(
            f"memory must be None, a folder path or a joblib.Memory, got {type(memory).__name__}"
        )
    return Path(location).expanduser()


def content_key(source) -> str:
    """SHA-1 of an input's audio: the file's bytes, or a waveform's samples and rate."""
    digest = hashlib.sha1()
    if is_audio_path(source):
        with open(source, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        return "f" + digest.hexdigest()
    if isinstance(source, Mapping):
        y, sr = source.get("array"), source.get("sampling_rate")
    elif isinstance(source, tuple) and len(source) == 2:
        y, sr = source
    else:
        y, sr = source, None
    y = np.ascontiguousarray(y)
    digest.update(f"{y.dtype.str}{y.shape}{sr}".encode())
    digest.update(y.tobytes())
    return "w" + digest.hexdigest()


class FeatureCache:
    """Frame-feature matrices stored as ``.npy`` files under ``location/namespace/``.

    Parameters
    ----------
    location : path-like
        Root folder, created on first write.
    namespace : str
        Subfolder for one extractor and parameter set (a hash of them).
    """

    def __init__(self, location: str | os.PathLike, namespace: str):
        self.folder = Path(location) / "sersk-features" / namespace

    def _path(self, key: str) -> Path:
        return self.folder / key[1:3] / f"{key}.npy"

    def get(self, key: str) -> np.ndarray | None:
        """The stored matrix, or None if absent or unreadable (a torn write is a miss)."""
        path = self._path(key)
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None

    def put(self, key: str, frames: np.ndarray) -> None:
        """Store a matrix atomically: concurrent readers see the old file or the new one."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, frames, allow_pickle=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
