"""Exact and near-duplicate recordings, which inflate scores when they straddle a split.

A corpus can hold the same recording twice: as ``.wav`` and ``.flac``, in a second copy of the
corpus, or re-distributed at another sample rate, louder or with its silences cut. When one copy
lands in the training data and the other in the test data, the model is tested on a clip it
has heard. :func:`find_duplicates` finds such pairs:

- **exact**: the same decoded samples at the same rate (a SHA-1 of them), whatever the file
  format or name;
- **near**: a coarse log-mel fingerprint (:func:`audio_fingerprint`: 32 mel bands from 100 Hz
  to 3.8 kHz every 20 ms, at 16 kHz, in dB relative to the clip's loudest band, silence at the
  ends cut, centred over time in each band and over the bands in each frame) whose cosine
  similarity with another's, over at least 80 % of the shorter one and at the best time shift
  within ``max_lag``, is :data:`DUPLICATE_THRESHOLD` or above. The fingerprint ignores gain (levels
  are relative), sample rate (every clip is resampled to 16 kHz, and the bands stop below the
  Nyquist frequency of 8 kHz audio), lossy coding (coarse bands) and trimmed silence (cut
  before comparing, and the time shift absorbs the rest).

Comparing every pair at every shift would take minutes for a corpus of a few thousand clips, so
each clip is first compared with all others by a fixed-length summary (its fingerprint
stretched to 32 frames, one matrix product for all pairs), and only its ``n_neighbors`` most
similar clips are compared exactly.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DUPLICATE_THRESHOLD", "audio_fingerprint", "find_duplicates", "split_duplicates"]

#: Fingerprint similarity from which two clips count as the same recording. Copies that were
#: re-encoded (8-bit PCM, MP3, Ogg Vorbis), resampled (8, 22.05 kHz), made 10 dB softer,
#: padded with silence or cut by 0.1 s at both ends score 0.98 to 1.0 against their original
#: in the tests (0.976 with a quarter of the clip cut from its start); different takes of the
#: same sentence by the same actor with the same emotion, RAVDESS's two repetitions, score at
#: most 0.86 (the highest of all 1,975 clips of RAVDESS and EmoDB, every clip against its five
#: nearest).
DUPLICATE_THRESHOLD = 0.95

_SR = 16_000
_HOP = 320  # 20 ms
_N_FFT = 512
_N_MELS = 32
_FMIN, _FMAX = 100.0, 3800.0
_FLOOR_DB = 60.0  # below the loudest band: silence and codec noise look alike
_TRIM_DB = 40.0  # frames whose loudest band is this far below the clip's are cut at the ends
_SUMMARY_FRAMES = 32
_MIN_OVERLAP = 0.8  # of the shorter clip, at any shift
_FINGERPRINT_VERSION = "2"


def audio_fingerprint(*, y: np.ndarray, sr: int) -> np.ndarray:
    """A coarse log-mel fingerprint of a clip, for finding copies of the same recording.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform.
    sr : int
        Its sample rate in Hz; resampled to 16 kHz first.

    Returns
    -------
    fingerprint : ndarray of shape (n_frames, 32), dtype float32
        Log-mel levels every 20 ms, in dB relative to the clip's loudest band and floored
        60 dB below it, leading and trailing frames more than 40 dB below the loudest cut,
        then centred: each band's mean over the frames and each frame's mean over the bands
        removed, so that what is compared is how the spectrum's shape moves, not the loudness
        contour that any two utterances of one voice share. Gain changes leave it unchanged.

    See Also
    --------
    find_duplicates : Pairs of clips whose fingerprints match.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.model_selection import audio_fingerprint
    >>> t = np.arange(16000) / 16000
    >>> y = np.sin(2 * np.pi * 440 * t) * (t > 0.5)
    >>> a, b = audio_fingerprint(y=y, sr=16000), audio_fingerprint(y=0.1 * y, sr=16000)
    >>> a.shape[1], bool(np.allclose(a, b, atol=1e-3))
    (32, True)
    """
    from ..audio import resample
    from ..features import log_mel

    y = np.asarray(y, dtype=np.float32)
    if sr != _SR:
        y = resample(y, orig_sr=sr, target_sr=_SR)
    if len(y) < _N_FFT:
        y = np.pad(y, (0, _N_FFT - len(y)))
    levels = log_mel(y=y, sr=_SR, n_fft=_N_FFT, hop_length=_HOP, win_length=_N_FFT,
                     n_mels=_N_MELS, fmin=_FMIN, fmax=_FMAX)
    levels = np.maximum(levels - levels.max(), -_FLOOR_DB)
    loud = np.flatnonzero(levels.max(axis=1) > -_TRIM_DB)
    if loud.size:
        levels = levels[loud[0]: loud[-1] + 1]
    # Centred over time per band and over bands per frame: what is left is how the spectrum's
    # shape moves, not the loudness contour that any two utterances of a voice share.
    levels = levels - levels.mean(axis=0)
    return (levels - levels.mean(axis=1, keepdims=True)).astype(np.float32)


def _sample_hash(y: np.ndarray, sr: int) -> str:
    y = np.ascontiguousarray(y, dtype=np.float32)
    return hashlib.sha1(f"{sr}:".encode() + y.tobytes()).hexdigest()


def _decode(source: Any, index: int) -> tuple[np.ndarray, int]:
    from ..audio import is_audio_path, read_audio

    if is_audio_path(source):
        return read_audio(source)
    if isinstance(source, tuple) and len(source) == 2:
        y, sr = source
        return np.asarray(y, dtype=np.float32), int(sr)
    if isinstance(source, dict) and "array" in source:
        return np.asarray(source["array"], dtype=np.float32), int(source["sampling_rate"])
    raise TypeError(
        f"input #{index} is a {type(source).__name__}; find_duplicates takes file paths and "
        "(waveform, sample_rate) tuples: a bare array has no known rate"
    )


def _fingerprint_chunk(sources: list, offset: int, location: Any) -> list[tuple[Any, Any]]:
    """(digest, fingerprint) of each source, or (None, AudioError) for one that cannot be read."""
    from ..exceptions import AudioError
    from ..features._cache import FeatureCache, content_key

    if location is not None:
        hashes = FeatureCache(location, f"sample-sha1-v{_FINGERPRINT_VERSION}")
        prints = FeatureCache(location, f"fingerprint-v{_FINGERPRINT_VERSION}")
    out = []
    for i, source in enumerate(sources, start=offset):
        key = None
        if location is not None:
            try:
                key = content_key(source)
            except OSError:  # a missing or unreadable file: decoding below says which
                key = None
        if key is not None:
            digest, fingerprint = hashes.get(key), prints.get(key)
            if digest is not None and fingerprint is not None:
                out.append((digest.tobytes().hex(), fingerprint))
                continue
        try:
            y, sr = _decode(source, i)
        except AudioError as exc:  # every bad file is reported, not only the first
            out.append((None, exc))
            continue
        digest, fingerprint = _sample_hash(y, sr), audio_fingerprint(y=y, sr=sr)
        if key is not None:
            hashes.put(key, np.frombuffer(bytes.fromhex(digest), dtype=np.uint8))
            prints.put(key, fingerprint)
        out.append((digest, fingerprint))
    return out


def _summaries(fingerprints: list[np.ndarray]) -> np.ndarray:
    """Every fingerprint stretched to a fixed number of frames, z-scored, flattened."""
    rows = []
    target = np.linspace(0.0, 1.0, _SUMMARY_FRAMES)
    for f in fingerprints:
        if len(f) == 1:
            stretched = np.repeat(f, _SUMMARY_FRAMES, axis=0)
        else:
            source = np.linspace(0.0, 1.0, len(f))
            stretched = np.stack([np.interp(target, source, band) for band in f.T], axis=1)
        v = stretched.ravel().astype(np.float64)
        v -= v.mean()
        norm = np.linalg.norm(v)
        rows.append(v / norm if norm > 0 else v)
    return np.array(rows)


def _aligned_similarity(a: np.ndarray, b: np.ndarray, max_lag: int) -> float:
    """The highest cosine similarity of the overlapping frames at shifts within ``max_lag``."""
    from scipy.signal import fftconvolve

    if len(a) < len(b):
        a, b = b, a
    n_a, n_b = len(a), len(b)
    # dot[k] = sum over frames t of a[t + lag] . b[t], lag = k - (n_b - 1)
    dot = fftconvolve(a, b[::-1], mode="full", axes=0).sum(axis=1)
    energy_a = np.concatenate([[0.0], np.cumsum((a.astype(np.float64) ** 2).sum(axis=1))])
    energy_b = np.concatenate([[0.0], np.cumsum((b.astype(np.float64) ** 2).sum(axis=1))])
    lags = np.arange(-min(max_lag, n_b - 1), min(max_lag, n_a - 1) + 1)
    start_a, end_a = np.maximum(lags, 0), np.minimum(n_a, lags + n_b)
    start_b, end_b = start_a - lags, end_a - lags
    norm = np.sqrt((energy_a[end_a] - energy_a[start_a]) * (energy_b[end_b] - energy_b[start_b]))
    usable = (end_a - start_a >= max(1, int(np.ceil(_MIN_OVERLAP * n_b)))) & (norm > 0)
    if not usable.any():
        return 0.0
    return float(min(1.0, np.max(dot[lags[usable] + n_b - 1] / norm[usable])))


def find_duplicates(
    X: Any,
    *,
    threshold: float = DUPLICATE_THRESHOLD,
    n_neighbors: int = 5,
    max_lag: float = 0.5,
    memory: Any = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Pairs of clips that are one recording: exactly, or re-encoded, resampled, louder, trimmed.

    Parameters
    ----------
    X : list of length n_samples
        File paths, or ``(waveform, sample_rate)`` tuples (for a corpus frame,
        :func:`sersk.datasets.audio_inputs`).
    threshold : float, default=DUPLICATE_THRESHOLD
        Fingerprint correlation (see :func:`audio_fingerprint`) from which two clips are near
        duplicates; 0.95 by default.
    n_neighbors : int, default=5
        How many of each clip's most similar clips (by a fixed-length summary of the
        fingerprint) are compared at every time shift. A recording with more copies than this
        still has every copy found through the others.
    max_lag : float, default=0.5
        Largest time shift between two clips tried, in seconds.
    memory : str, path or joblib.Memory, default=None
        Folder of the feature cache (as in sersk's transformers): each clip's hash and
        fingerprint are stored there under its content, and a second run decodes nothing.
    n_jobs : int, default=None
        Processes decoding and fingerprinting; None is 1, -1 all cores.

    Returns
    -------
    pairs : pandas.DataFrame
        One row per pair, ``i < j``, sorted, with the columns ``i``, ``j`` (positions in
        ``X``), ``kind`` (``"exact"``: identical decoded samples and rate; ``"near"``) and
        ``similarity`` (1.0 for exact duplicates, else the fingerprint correlation).
        ``pairs.attrs`` holds ``"threshold"``, ``"n_clips"`` and ``"seconds"`` (the time
        it took).

    Raises
    ------
    AudioBatchError
        Some files cannot be read: its message and ``errors`` list every one (the others are
        fingerprinted, and cached, first).

    See Also
    --------
    sersk.datasets.screen_clips : Leave out the clips that cannot be read, beforehand.
    split_duplicates : The pairs that straddle a training/test split.
    audio_fingerprint : The fingerprint compared.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.model_selection import find_duplicates
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=16000), rng.normal(size=16000)
    >>> pairs = find_duplicates([(a, 16000), (b, 16000), (0.5 * a, 16000), (a, 16000)])
    >>> pairs[["i", "j", "kind"]].values.tolist()
    [[0, 2, 'near'], [0, 3, 'exact'], [2, 3, 'near']]
    """
    import time

    from joblib import Parallel, delayed

    from ..features._cache import resolve_cache_location

    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    if n_neighbors < 1:
        raise ValueError(f"n_neighbors must be at least 1, got {n_neighbors!r}")
    start = time.perf_counter()
    X = list(X)
    location = resolve_cache_location(memory)
    n = len(X)
    n_workers = 1 if n_jobs is None else (n_jobs if n_jobs > 0 else max(1, _cpu_count()))
    chunk = max(1, -(-n // (4 * n_workers)))
    parts = Parallel(n_jobs=n_workers)(
        delayed(_fingerprint_chunk)(X[i: i + chunk], i, location) for i in range(0, n, chunk)
    ) if n_workers > 1 else [_fingerprint_chunk(X, 0, location)]
    described = [item for part in parts for item in part]
    errors = {i: error for i, (digest, error) in enumerate(described) if digest is None}
    if errors:
        from ..features import AudioBatchError

        raise AudioBatchError(errors, n)
    digests = [digest for digest, _ in described]
    fingerprints = [f for _, f in described]

    found: dict[tuple[int, int], tuple[str, float]] = {}
    by_digest: dict[str, list[int]] = {}
    for i, digest in enumerate(digests):
        by_digest.setdefault(digest, []).append(i)
    for group in by_digest.values():
        for a_pos, i in enumerate(group):
            for j in group[a_pos + 1:]:
                found[(i, j)] = ("exact", 1.0)

    if n > 1:
        summaries = _summaries(fingerprints)
        similarity = summaries @ summaries.T
        np.fill_diagonal(similarity, -np.inf)
        k = min(n_neighbors, n - 1)
        neighbours = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        lag = int(round(max_lag * _SR / _HOP))
        for i in range(n):
            for j in neighbours[i]:
                pair = (min(i, int(j)), max(i, int(j)))
                if pair in found:
                    continue
                score = _aligned_similarity(fingerprints[pair[0]], fingerprints[pair[1]], lag)
                if score >= threshold:
                    found[pair] = ("near", score)
                else:
                    found[pair] = ("", score)  # compared once, not a duplicate

        # A recording with more copies than n_neighbors: compare all the clips that the pairs
        # found link together, so every copy is paired with every other.
        for group in _linked_groups(n, [pair for pair, (kind, _) in found.items() if kind]):
            for a_pos, i in enumerate(group):
                for j in group[a_pos + 1:]:
                    if (i, j) not in found:
                        score = _aligned_similarity(fingerprints[i], fingerprints[j], lag)
                        found[(i, j)] = ("near" if score >= threshold else "", score)

    rows = [(i, j, kind, score) for (i, j), (kind, score) in sorted(found.items()) if kind]
    pairs = pd.DataFrame(rows, columns=["i", "j", "kind", "similarity"])
    pairs = pairs.astype({"i": int, "j": int, "similarity": float})
    pairs.attrs.update(threshold=threshold, n_clips=n, seconds=time.perf_counter() - start)
    return pairs


def _linked_groups(n: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    """The clips connected by ``pairs``, in groups of two or more (sorted)."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in sorted({k for pair in pairs for k in pair}):
        groups.setdefault(root(i), []).append(i)
    return [group for group in groups.values() if len(group) > 2]


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def split_duplicates(pairs: pd.DataFrame, train: Any, test: Any) -> pd.DataFrame:
    """The duplicate pairs with one clip in the training data and the other in the test data.

    Parameters
    ----------
    pairs : pandas.DataFrame
        From :func:`find_duplicates` (columns ``i``, ``j``, ``kind``, ``similarity``).
    train, test : array-like of int
        Positions of the training and test clips, in the ``X`` given to ``find_duplicates``.

    Returns
    -------
    crossing : pandas.DataFrame
        Columns ``train_index``, ``test_index``, ``kind`` and ``similarity``, one row per pair
        that straddles the split.

    Examples
    --------
    >>> import pandas as pd
    >>> from sersk.model_selection import split_duplicates
    >>> pairs = pd.DataFrame({"i": [0, 1], "j": [3, 2], "kind": ["exact", "near"],
    ...                       "similarity": [1.0, 0.97]})
    >>> split_duplicates(pairs, train=[0, 1, 2], test=[3]).values.tolist()
    [[0, 3, 'exact', 1.0]]
    """
    train, test = set(np.asarray(train).tolist()), set(np.asarray(test).tolist())
    rows = []
    for i, j, kind, similarity in pairs[["i", "j", "kind", "similarity"]].itertuples(index=False):
        if i in train and j in test:
            rows.append((i, j, kind, similarity))
        elif j in train and i in test:
            rows.append((j, i, kind, similarity))
    return pd.DataFrame(rows, columns=["train_index", "test_index", "kind", "similarity"])
