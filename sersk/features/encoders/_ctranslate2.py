"""CTranslate2 Whisper models: reading a model folder, keeping the first k encoder layers, and
one loaded model per process.

CTranslate2 returns only the encoder's last layer. An earlier layer is had by loading the
model with its later encoder layers left out of ``model.bin`` (CTranslate2 counts the layers it
finds), which also makes the encoder that much faster. The final layer norm stays, so layer k
comes out normalised as the last layer does.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["WhisperModelInfo", "load_whisper", "read_whisper_info"]

_BINARY_VERSIONS = (5, 6)


@dataclass(frozen=True)
class WhisperModelInfo:
    """What a CTranslate2 Whisper ``model.bin`` declares, read from its header alone."""

    n_mels: int
    d_model: int
    n_layers: int
    max_frames: int  # encoder positions: 1500 frames, 30 s


@dataclass(frozen=True)
class _Variable:
    name: str
    shape: tuple[int, ...]
    start: int  # offset of the variable's record in the file
    end: int


def _read_string(f) -> str:
    (length,) = struct.unpack("<H", f.read(2))
    return f.read(length)[:-1].decode("utf-8")


def _read_layout(path: Path) -> tuple[str, int, list[_Variable], int]:
    """Spec name, revision, variable records and the offset of the aliases of a model.bin."""
    with open(path, "rb") as f:
        (version,) = struct.unpack("<I", f.read(4))
        if version not in _BINARY_VERSIONS:
            raise ValueError(f"{path}: CTranslate2 model binary version {version} is not "
                             f"supported (expected {_BINARY_VERSIONS})")
        spec = _read_string(f)
        (revision,) = struct.unpack("<I", f.read(4))
        (count,) = struct.unpack("<I", f.read(4))
        variables = []
        for _ in range(count):
            start = f.tell()
            name = _read_string(f)
            (rank,) = struct.unpack("<B", f.read(1))
            shape = struct.unpack(f"<{rank}I", f.read(4 * rank))
            f.read(1)  # dtype
            (nbytes,) = struct.unpack("<I", f.read(4))
            f.seek(nbytes, os.SEEK_CUR)
            variables.append(_Variable(name, tuple(shape), start, f.tell()))
        return spec, revision, variables, f.tell()


@lru_cache(maxsize=8)
def _whisper_info(path: str, size: int, mtime_ns: int) -> WhisperModelInfo:
    spec, _, variables, _ = _read_layout(Path(path))
    if spec != "WhisperSpec":
        raise ValueError(f"{path} holds a CTranslate2 {spec}, not a Whisper model")
    shapes = {v.name: v.shape for v in variables}
    n_layers = 0
    while f"encoder/layer_{n_layers}/ffn/linear_0/weight" in shapes:
        n_layers += 1
    max_frames, d_model = shapes["encoder/position_encodings/encodings"]
    return WhisperModelInfo(
        n_mels=shapes["encoder/conv1/weight"][1], d_model=d_model, n_layers=n_layers,
        max_frames=max_frames,
    )


def read_whisper_info(folder: Path) -> WhisperModelInfo:
    """Mel bins, width and depth of the encoder of a CTranslate2 Whisper model folder."""
    path = folder / "model.bin"
    stat = path.stat()
    return _whisper_info(str(path), stat.st_size, stat.st_mtime_ns)


def _truncated_files(folder: Path, n_layers: int) -> dict[str, bytes]:
    """The folder's files, in memory, with encoder layers n_layers and above left out."""
    path = folder / "model.bin"
    _, _, variables, aliases_at = _read_layout(path)
    drop = tuple(f"encoder/layer_{k}/" for k in range(n_layers, 10_000))
    kept = [v for v in variables if not v.name.startswith(drop)]
    with open(path, "rb") as f:
        data = f.read()
    head_end = variables[0].start
    parts = [data[: head_end - 4], struct.pack("<I", len(kept))]
    parts.extend(data[v.start : v.end] for v in kept)
    parts.append(data[aliases_at:])
    files = {
        p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.name != "model.bin"
    }
    files["model.bin"] = b"".join(parts)
    return files


@lru_cache(maxsize=6)
def _load(path: str, stamp: tuple, device: str, compute_type: str, n_threads: int,
          n_layers: int | None):
    import ctranslate2

    folder = Path(path)
    files = None
    if n_layers is not None and n_layers < read_whisper_info(folder).n_layers:
        files = _truncated_files(folder, n_layers)
    return ctranslate2.models.Whisper(
        path, device=device, compute_type=compute_type, intra_threads=n_threads, files=files,
    )


def load_whisper(folder: Path, *, device: str, compute_type: str, n_threads: int,
                 n_layers: int | None):
    """A CTranslate2 Whisper model, loaded once per process and kept for later calls.

    Models are never pickled with an estimator: each process (each joblib worker) loads its
    own on first use. The six most recently used configurations stay loaded (a multi-layer
    embedding needs one per layer).
    """
    stat = (folder / "model.bin").stat()
    return _load(str(folder), (stat.st_size, stat.st_mtime_ns), device, compute_type,
                 n_threads, n_layers)
