"""Waveform augmentation as an imbalanced-learn sampler: it acts while fitting only.

:func:`augment_waveform` alters one waveform (pitch shift, time stretch, gain, additive noise);
:class:`AudioAugmenter` appends altered copies of every training clip, before feature
extraction, inside an ``imblearn.pipeline.Pipeline``.
"""

from __future__ import annotations

import os
from numbers import Integral, Real
from typing import Any

import joblib
import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval

from ..audio import MIN_DURATION, describe_source, load_audio, trim_silence
from ._base import _AugmentingSampler

__all__ = ["AudioAugmenter", "augment_waveform"]


def _check_range(value, name: str) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (low, high) pair or None, got {value!r}") from None
    if low > high:
        raise ValueError(f"{name} must be a (low, high) pair with low <= high, got {value!r}")
    return low, high


def augment_waveform(
    y: np.ndarray,
    *,
    sr: int,
    rng: np.random.Generator,
    noise_snr_db: tuple[float, float] | None = (10.0, 30.0),
    time_stretch: tuple[float, float] | None = (0.9, 1.1),
    pitch_shift: tuple[float, float] | None = (-2.0, 2.0),
    gain_db: tuple[float, float] | None = (-6.0, 6.0),
    probability: float = 0.5,
) -> np.ndarray:
    """One randomly altered copy of a waveform.

    Each alteration whose range is given is applied with ``probability`` (at least one is
    always applied), in this order: pitch shift, time stretch, gain, additive white noise.
    Amounts are drawn uniformly from their ranges.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform.
    sr : int
        Its sample rate.
    rng : numpy.random.Generator
        Source of every random choice.
    noise_snr_db : (float, float) or None, default=(10.0, 30.0)
        Signal-to-noise ratio of the added Gaussian white noise, in dB, relative to the
        waveform's mean power.
    time_stretch : (float, float) or None, default=(0.9, 1.1)
        Speed factor (above 1: faster, shorter), without changing the pitch (phase vocoder).
    pitch_shift : (float, float) or None, default=(-2.0, 2.0)
        Pitch change in semitones, without changing the duration.
    gain_db : (float, float) or None, default=(-6.0, 6.0)
        Level change in dB; the result is clipped to [-1, 1].
    probability : float, default=0.5
        Chance of each alteration.

    Returns
    -------
    ndarray of shape (n_samples_out,), dtype float32
        ``n_samples_out`` differs from ``n_samples`` after a time stretch.

    See Also
    --------
    AudioAugmenter : The sampler that appends such copies to the training clips.
    """
    import librosa

    ranges = {
        "pitch_shift": _check_range(pitch_shift, "pitch_shift"),
        "time_stretch": _check_range(time_stretch, "time_stretch"),
        "gain_db": _check_range(gain_db, "gain_db"),
        "noise_snr_db": _check_range(noise_snr_db, "noise_snr_db"),
    }
    active = [name for name, span in ranges.items() if span is not None]
    if not active:
        return np.asarray(y, dtype=np.float32).copy()
    chosen = {name for name in active if rng.random() < probability}
    if not chosen:
        chosen = {active[rng.integers(len(active))]}
    amounts = {name: rng.uniform(*ranges[name]) for name in active}  # drawn for all: stable

    y = np.asarray(y, dtype=np.float32)
    if "pitch_shift" in chosen:
        y = librosa.effects.pitch_shift(y, sr=sr, n_steps=amounts["pitch_shift"],
                                        res_type="soxr_hq")
    if "time_stretch" in chosen:
        y = librosa.effects.time_stretch(y, rate=amounts["time_stretch"])
    if "gain_db" in chosen:
        y = y * np.float32(10 ** (amounts["gain_db"] / 20))
    if "noise_snr_db" in chosen:
        power = float(np.mean(y.astype(np.float64) ** 2))
        noise_power = power / 10 ** (amounts["noise_snr_db"] / 10)
        y = y + rng.standard_normal(y.size).astype(np.float32) * np.float32(np.sqrt(noise_power))
    return np.clip(y, -1.0, 1.0).astype(np.float32)


class AudioAugmenter(_AugmentingSampler):
    """Append randomly altered copies of every training clip: noise, stretch, pitch, gain.

    A sampler (imbalanced-learn's ``fit_resample``): inside an ``imblearn.pipeline.Pipeline``
    it acts only while fitting, so predictions see the clips unaltered. It goes before feature
    extraction; the feature transformer then receives the original inputs followed by the
    copies, as ``(waveform, sr)`` tuples.

    Each copy depends only on the clip's audio, the copy's number and ``random_state``, not on
    the clip's position or on the other clips: a clip gets the same copies in every fold, so
    the feature cache of the next step (keyed by audio content) serves them after the first
    fold, and ``memory`` here spares recomputing the copies themselves.

    Parameters
    ----------
    n_copies : int, default=1
        Altered copies per clip.
    noise_snr_db, time_stretch, pitch_shift, gain_db : (float, float) or None
        Ranges of the alterations (defaults (10, 30) dB, (0.9, 1.1), (-2, 2) semitones,
        (-6, 6) dB); None leaves one out. See :func:`augment_waveform`.
    probability : float, default=0.5
        Chance of each alteration (at least one is applied to every copy).
    sr : int, default=16000
        Rate the clips are read at, and the copies' rate.
    trim_db : float or None, default=30.0
        Edge silence cut before altering (as the feature transformers do), so that added noise
        does not turn room tone into signal; None keeps every sample.
    memory : str, path-like or joblib.Memory, default=None
        Folder caching the copies, keyed by the clip's audio, the copy number and the
        parameters. None disables caching.
    n_jobs : int, default=None
        Processes making copies; None is 1, -1 every core.
    random_state : int, default=0
        Seed of every alteration.

    See Also
    --------
    augment_waveform : The function making one copy.
    SpecAugment : Time and frequency masking of feature sequences, after extraction.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.samplers import AudioAugmenter
    >>> rng = np.random.default_rng(0)
    >>> clips = [(0.1 * rng.standard_normal(8000).astype("float32"), 16000) for _ in range(2)]
    >>> X_res, y_res = AudioAugmenter(n_copies=2).fit_resample(clips, ["calm", "sad"])
    >>> len(X_res), y_res.tolist()
    (6, ['calm', 'sad', 'calm', 'sad', 'calm', 'sad'])
    """

    _parameter_constraints: dict = {
        "n_copies": [Interval(Integral, 1, None, closed="left")],
        "noise_snr_db": [tuple, list, None],
        "time_stretch": [tuple, list, None],
        "pitch_shift": [tuple, list, None],
        "gain_db": [tuple, list, None],
        "probability": [Interval(Real, 0, 1, closed="both")],
        "sr": [Interval(Integral, 1000, 384_000, closed="both")],
        "trim_db": [Interval(Real, 0, None, closed="neither"), None],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "n_jobs": [Integral, None],
        "random_state": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        n_copies=1,
        noise_snr_db=(10.0, 30.0),
        time_stretch=(0.9, 1.1),
        pitch_shift=(-2.0, 2.0),
        gain_db=(-6.0, 6.0),
        probability=0.5,
        sr=16_000,
        trim_db=30.0,
        memory=None,
        n_jobs=None,
        random_state=0,
    ):
        self.n_copies = n_copies
        self.noise_snr_db = noise_snr_db
        self.time_stretch = time_stretch
        self.pitch_shift = pitch_shift
        self.gain_db = gain_db
        self.probability = probability
        self.sr = sr
        self.trim_db = trim_db
        self.memory = memory
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _check_input(self, X, y):
        from ..features import check_audio_batch

        for name in ("noise_snr_db", "time_stretch", "pitch_shift", "gain_db"):
            _check_range(getattr(self, name), name)
        batch = check_audio_batch(X)
        return batch, self._check_targets(y, len(batch))

    def _alterations(self) -> dict[str, Any]:
        return {
            "noise_snr_db": self.noise_snr_db, "time_stretch": self.time_stretch,
            "pitch_shift": self.pitch_shift, "gain_db": self.gain_db,
            "probability": self.probability,
        }

    def _fit_resample(self, X, y):
        from ..features._cache import FeatureCache, resolve_cache_location

        location = resolve_cache_location(self.memory)
        cache = None
        if location is not None:
            signature = joblib.hash((self._alterations(), self.sr, self.trim_db,
                                     self.random_state))
            cache = FeatureCache(location, f"AudioAugmenter-{signature}")
        n_jobs = joblib.effective_n_jobs(self.n_jobs)
        tasks = [(i, source) for i, source in enumerate(X)]
        if n_jobs == 1:
            results = [_copies_of(self, i, source, cache) for i, source in tasks]
        else:
            results = joblib.Parallel(n_jobs=n_jobs)(
                joblib.delayed(_copies_of)(self, i, source, cache) for i, source in tasks
            )
        copies = [[None] * len(X) for _ in range(self.n_copies)]
        for i, waveforms in results:
            for c, waveform in enumerate(waveforms):
                copies[c][i] = (waveform, self.sr)
        X_res = list(X) + [item for block in copies for item in block]
        y_res = np.concatenate([y] * (1 + self.n_copies))
        return X_res, y_res


    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # file paths
        return tags


def _judgeable(alterations: dict[str, Any], duration: float) -> dict[str, Any]:
    """The alterations with the time stretch capped so that a clip of ``duration`` seconds
    stays at least MIN_DURATION long (unchanged for clips that are not long enough anyway)."""
    stretch = alterations.get("time_stretch")
    if stretch is None or duration < MIN_DURATION:
        return alterations
    fastest = duration / MIN_DURATION
    low, high = stretch
    if high <= fastest:
        return alterations
    return {**alterations, "time_stretch": (min(low, fastest), fastest)}


def _copies_of(augmenter: AudioAugmenter, index: int, source, cache) -> tuple[int, list]:
    """Worker: the ``n_copies`` altered waveforms of one clip, through the cache."""
    from ..features._cache import content_key

    key = content_key(source)
    keys = [f"{key}-copy{c}" for c in range(augmenter.n_copies)]
    out = [cache.get(k) if cache is not None else None for k in keys]
    if all(w is not None for w in out):
        return index, out
    y = load_audio(source, sr=augmenter.sr, name=describe_source(source, index))
    # The copies are clips too, which the features refuse below MIN_DURATION: trimming stops
    # short of it, and so does a time stretch (see _judgeable).
    if augmenter.trim_db is not None:
        y = trim_silence(y, sr=augmenter.sr, top_db=augmenter.trim_db,
                         min_duration=MIN_DURATION)
    alterations = _judgeable(augmenter._alterations(), y.shape[0] / augmenter.sr)
    clip_seed = int(key[1:17], 16)
    for c in range(augmenter.n_copies):
        if out[c] is not None:
            continue
        rng = np.random.default_rng([augmenter.random_state, clip_seed, c])
        out[c] = augment_waveform(y, sr=augmenter.sr, rng=rng, **alterations)
        if cache is not None:
            cache.put(keys[c], out[c])
    return index, out
