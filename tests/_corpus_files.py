"""Tiny audio files laid out like a corpus, for the corpus-loader tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sersk.audio import save_audio

SR = 8_000
TONE = (0.1 * np.sin(2 * np.pi * 220 * np.arange(int(0.1 * SR)) / SR)).astype(np.float32)


def write_files(root: Path, names, extension: str = ".wav") -> list[Path]:
    """A 0.1 s tone under each name (relative to root, extension added)."""
    paths = []
    for name in names:
        path = root / f"{name}{extension}"
        path.parent.mkdir(parents=True, exist_ok=True)
        save_audio(path, TONE, SR)
        paths.append(path)
    return paths
