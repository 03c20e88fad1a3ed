"""Reading, resampling and validating audio: the one place in sersk that decodes audio files.

Every pipeline input goes through :func:`load_audio`, which accepts

- a path (``str`` or ``os.PathLike``) to a WAV, FLAC, AIFF, OGG (or anything libsndfile reads,
  whatever the file's extension says);
- a ``(waveform, sample_rate)`` tuple, or a mapping with ``"array"`` and ``"sampling_rate"``
  keys (the Hugging Face ``datasets`` convention);
- a bare 1-D array, taken to be at the target sample rate already;

and returns a mono ``float32`` waveform at the target sample rate, resampled with soxr's
high-quality filter. Anything unusable raises :class:`~sersk.exceptions.AudioError`, whose
message names the file (or the position of the waveform in the batch) and the problem.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .exceptions import AudioError

__all__ = [
    "DEFAULT_SAMPLE_RATE",
    "MIN_DURATION",
    "AudioInput",
    "check_duration",
    "describe_source",
    "is_audio_path",
    "load_audio",
    "read_audio",
    "resample",
    "save_audio",
    "trim_silence",
    "validate_waveform",
]

DEFAULT_SAMPLE_RATE = 16_000

# Rates outside this range are almost certainly a mistake (a rate given in kHz, a swapped
# argument); within it, everything is resampled to the pipeline's rate.
MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 384_000

#: Shortest clip, in seconds, whose emotion sersk judges; shorter clips raise AudioError.
#:
#: Measured with ``python -m benchmarks.min_duration --corpus emodb ravdess --pipelines
#: handcrafted-svm mfcc-svm``: trained speaker-independently on whole clips, tested on clips cut
#: to the first N ms of their voiced part. Up to 300 ms, UAR is exactly chance on EmoDB and
#: RAVDESS with both pipelines (every clip gets the same emotion); at 500 ms it is still chance
#: on RAVDESS (0.125 and 0.126, chance 0.125); at 750 ms it is above chance in every fold of
#: both corpora and pipelines (0.135 to 0.274), and from 1 s clearly so (0.227 to 0.335), yet
#: far below whole clips (0.49 to 0.66). A higher minimum would refuse real corpus clips
#: (nEMO's shortest is 0.89 s).
MIN_DURATION = 0.75

# Peak amplitude under which a waveform counts as digital silence: below one step of 24-bit audio.
SILENCE_PEAK = 1e-7

AudioInput = str | os.PathLike | tuple | Mapping | np.ndarray


def is_audio_path(source: Any) -> bool:
    """Whether ``source`` is a file path rather than an in-memory waveform."""
    return isinstance(source, (str, os.PathLike))


def describe_source(source: Any, index: int | None = None) -> str:
    """A short name for an input, used in error messages and progress reports.

    Paths are named by themselves; waveforms by their position in the batch.
    """
    if is_audio_path(source):
        return os.fspath(source)
    return "waveform" if index is None else f"waveform #{index}"


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Decode an audio file into a mono float32 waveform at the file's own sample rate.

    The format is read from the file's header, not its name, so AIFF data behind a ``.wav`` name
    decodes as AIFF.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32
        The samples, channels averaged, in [-1, 1] for integer formats.
    sr : int
        The file's sample rate.

    Raises
    ------
    AudioError
        The file is missing, empty, truncated, or not audio.

    See Also
    --------
    load_audio : Decode, resample to a target rate and validate, for any kind of input.
    """
    import soundfile as sf

    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioError(path, "file not found")
    if os.path.isdir(path):
        raise AudioError(path, "is a folder, not an audio file")
    size = os.path.getsize(path)
    if size == 0:
        raise AudioError(path, "file is empty (0 bytes)")
    try:
        with sf.SoundFile(path) as f:
            declared = f.frames
            sr = int(f.samplerate)
            y = f.read(dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(
            path, f"cannot be decoded as audio ({_libsndfile_reason(exc)}): the file is truncated, "
            "corrupt, or not in a format libsndfile reads (WAV, FLAC, AIFF, OGG …)"
        ) from exc
    if declared > 0 and y.shape[0] < declared:
        raise AudioError(
            path, f"file is truncated: its header declares {declared} frames but only "
            f"{y.shape[0]} could be read"
        )
    if _wav_data_truncated(path, size):
        raise AudioError(path, "file is truncated: the WAV header declares more audio data than "
                         "the file holds")
    return _to_mono(y, channel_axis=1), sr


def _libsndfile_reason(exc: Exception) -> str:
    text = str(exc).strip()
    # libsndfile prefixes its message with the path; the AudioError already names the file.
    return text.split(": ", 1)[-1] if ": " in text else text


def _wav_data_truncated(path: str, size: int) -> bool:
    """Whether a RIFF/WAVE file's data chunk claims more bytes than the file has.

    libsndfile silently reads what is there, so a WAV cut short in transfer would otherwise pass
    as a shorter clip.
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return False
        offset = 12
        while offset + 8 <= size:
            f.seek(offset)
            chunk = f.read(8)
            if len(chunk) < 8:
                return False
            chunk_id, chunk_size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if chunk_id == b"data":
                # 0 and 0xFFFFFFFF mark streamed WAVs whose length was never filled in.
                if chunk_size in (0, 0xFFFFFFFF):
                    return False
                return offset + 8 + chunk_size > size
            offset += 8 + chunk_size + (chunk_size & 1)
    return False


def _to_mono(y: np.ndarray, *, channel_axis: int) -> np.ndarray:
    if y.ndim == 1:
        return np.ascontiguousarray(y, dtype=np.float32)
    return np.ascontiguousarray(y.mean(axis=channel_axis), dtype=np.float32)


def _as_float_waveform(y: Any, source: str) -> np.ndarray:
    """An in-memory waveform as float32, mono, integers scaled to [-1, 1]."""
    try:
        y = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise AudioError(source, f"is not a numeric waveform ({exc})") from exc
    if y.dtype == object or not (
        np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.bool_)
    ):
        raise AudioError(source, f"is not a numeric waveform (dtype {y.dtype})")
    if np.iscomplexobj(y):
        raise AudioError(source, "is complex-valued; pass the real waveform")
    if np.issubdtype(y.dtype, np.integer):
        info = np.iinfo(y.dtype)
        # Unsigned PCM (8-bit WAV) is centred on the middle of its range.
        centre = (int(info.max) + int(info.min) + 1) / 2
        y = (y.astype(np.float64) - centre) / (int(info.max) - centre + 1)
    if y.ndim == 2:
        # (frames, channels) as soundfile gives it, or (channels, frames) as librosa does:
        # there are always far fewer channels than frames.
        y = _to_mono(y, channel_axis=int(np.argmin(y.shape)))
    elif y.ndim != 1:
        raise AudioError(source, f"has {y.ndim} dimensions; expected a 1-D waveform "
                         "(or 2-D with a channel axis)")
    return np.asarray(y, dtype=np.float32)


def _check_sample_rate(sr: Any, source: str) -> int:
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer, float, np.floating)):
        raise AudioError(source, f"sample rate must be a number of Hz, got {sr!r}")
    # NaN and inf fail the range test before int() (which would raise ValueError/OverflowError).
    if not MIN_SAMPLE_RATE <= sr <= MAX_SAMPLE_RATE or float(sr) != int(sr):
        raise AudioError(
            source, f"sample rate {sr!r} Hz is not a plausible audio rate; expected a whole "
            f"number of Hz between {MIN_SAMPLE_RATE} and {MAX_SAMPLE_RATE}"
        )
    return int(sr)


def resample(y: np.ndarray, *, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample a mono waveform with soxr's high-quality filter.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    orig_sr, target_sr : int
        The waveform's rate and the rate wanted, in Hz.

    Returns
    -------
    ndarray of shape (round(n_samples * target_sr / orig_sr),), dtype float32
    """
    if orig_sr == target_sr:
        return np.asarray(y, dtype=np.float32)
    import soxr

    return np.asarray(soxr.resample(y, orig_sr, target_sr, quality="HQ"), dtype=np.float32)


def validate_waveform(
    y: np.ndarray, *, sr: int, source: str = "waveform", min_duration: float = 0.0
) -> np.ndarray:
    """Check that a waveform can be analysed: not empty, finite, not silent, long enough.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    sr : int
        Its sample rate, used to express ``min_duration`` in samples.
    source : str, default="waveform"
        The name used in error messages.
    min_duration : float, default=0.0
        Shortest acceptable duration in seconds (typically the analysis window).

    Returns
    -------
    y : ndarray of shape (n_samples,)
        The same waveform.

    Raises
    ------
    AudioError
    """
    if y.size == 0:
        raise AudioError(source, "contains no audio samples")
    finite = np.isfinite(y)
    if not finite.all():
        n_bad = int(y.size - finite.sum())
        raise AudioError(source, f"contains {n_bad} NaN or infinite sample(s)")
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
        raise AudioError(source, "is silent (every sample is zero)")
    min_samples = int(np.ceil(min_duration * sr))
    if y.size < min_samples:
        raise AudioError(
            source, f"is too short: {1000 * y.size / sr:.1f} ms, shorter than the "
            f"{1000 * min_duration:.1f} ms analysis window"
        )
    return y


def check_duration(
    y: np.ndarray, *, sr: int, source: str = "waveform", min_duration: float = MIN_DURATION
) -> np.ndarray:
    """Refuse a clip too short for its emotion to be judged.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    sr : int
        Its sample rate.
    source : str, default="waveform"
        The name used in the error message.
    min_duration : float, default=MIN_DURATION
        Shortest acceptable duration in seconds; 0 accepts any clip.

    Returns
    -------
    y : ndarray of shape (n_samples,)
        The same waveform.

    Raises
    ------
    AudioError
        Naming the clip, its duration and the minimum.

    See Also
    --------
    MIN_DURATION : The default minimum, and how it was measured.
    validate_waveform : The checks every waveform gets (empty, non-finite, silent).

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.audio import check_duration
    >>> check_duration(np.ones(16_000), sr=16_000).shape
    (16000,)
    >>> check_duration(np.ones(1_600), sr=16_000, source="blip.wav")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sersk.exceptions.AudioError: blip.wav: is too short to judge: 100 ms of audio, under ...
    """
    if y.shape[0] < int(np.ceil(min_duration * sr)):
        raise AudioError(
            source, f"is too short to judge: {1000 * y.shape[0] / sr:.0f} ms of audio, under "
            f"the {1000 * min_duration:.0f} ms minimum (on shorter clips, predicted emotions "
            "are little better than chance; see sersk.audio.MIN_DURATION)"
        )
    return y


def load_audio(
    source: AudioInput,
    *,
    sr: int = DEFAULT_SAMPLE_RATE,
    min_duration: float = 0.0,
    name: str | None = None,
) -> np.ndarray:
    """Read any supported input as a validated mono float32 waveform at ``sr``.

    Parameters
    ----------
    source : path, (waveform, sample_rate) tuple, mapping or 1-D array
        A file path; a waveform with its rate as a tuple or as a mapping with ``"array"`` and
        ``"sampling_rate"`` keys; or a bare array, taken to be at ``sr`` already.
    sr : int, default=16000
        Target sample rate in Hz.
    min_duration : float, default=0.0
        Shortest acceptable duration in seconds.
    name : str, default=None
        Name of the input in error messages; defaults to the path, or ``"waveform"``.

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32

    Raises
    ------
    AudioError
        With the file (or ``name``) and the problem in its message.

    See Also
    --------
    read_audio : Decode a file at its own rate, without validation.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.audio import load_audio
    >>> t = np.arange(44_100) / 44_100
    >>> y = load_audio((np.sin(2 * np.pi * 220 * t), 44_100), sr=16_000)
    >>> y.shape, y.dtype
    ((16000,), dtype('float32'))
    """
    sr = _check_sample_rate(sr, "target")
    if is_audio_path(source):
        name = name or os.fspath(source)
        y, orig_sr = read_audio(source)
        # A header rate of 5 Hz (a corrupt or mis-written file) would resample into hours.
        orig_sr = _check_sample_rate(orig_sr, name)
    else:
        name = name or "waveform"
        if isinstance(source, Mapping):
            if "array" not in source or "sampling_rate" not in source:
                raise AudioError(name, "a mapping must have 'array' and 'sampling_rate' keys")
            y, orig_sr = source["array"], source["sampling_rate"]
        elif isinstance(source, tuple):
            if len(source) != 2:
                raise AudioError(name, f"a tuple must be (waveform, sample_rate), got "
                                 f"{len(source)} items")
            y, orig_sr = source
        else:
            y, orig_sr = source, sr
        orig_sr = _check_sample_rate(orig_sr, name)
        y = _as_float_waveform(y, name)
    if y.size and not np.isfinite(y).all():
        # Checked before resampling, which would smear a single NaN over the whole clip.
        validate_waveform(y, sr=orig_sr, source=name)
    y = resample(y, orig_sr=orig_sr, target_sr=sr)
    return validate_waveform(y, sr=sr, source=name, min_duration=min_duration)


def trim_silence(
    y: np.ndarray,
    *,
    sr: int,
    top_db: float = 30.0,
    frame_duration: float = 0.025,
    min_duration: float = 0.0,
) -> np.ndarray:
    """Cut the leading and trailing stretches quieter than ``top_db`` below the clip's peak.

    Corpora record a second or more of room tone around each sentence (RAVDESS: about half of
    every clip); statistics pooled over it describe the room, not the voice.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    sr : int
        Sample rate in Hz.
    top_db : float, default=30.0
        Frames whose RMS level is more than this many dB below the loudest frame's count as
        silence.
    frame_duration : float, default=0.025
        Length of the level-measuring frames in seconds (hop: 10 ms).
    min_duration : float, default=0.0
        If trimming would leave less than this many seconds, the clip is returned untrimmed.

    Returns
    -------
    ndarray of shape (n_kept,)
        A view of ``y`` from the first to the last frame above the threshold.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.audio import trim_silence
    >>> y = np.r_[np.zeros(8000), 0.5 * np.ones(4000), np.zeros(8000)].astype("float32")
    >>> len(y), len(trim_silence(y, sr=16000))  # keeps up to half a frame around the sound
    (20000, 4480)
    """
    frame = max(1, int(round(frame_duration * sr)))
    hop = max(1, int(round(0.010 * sr)))
    # Centred frames (frame k is centred on sample k * hop), so both ends are measured too.
    padded = np.pad(y, frame // 2)
    if padded.size < frame:
        return y
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame)[::hop]
    level = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    peak = float(level.max())
    if peak <= 0:
        return y
    loud = np.flatnonzero(level >= peak * 10.0 ** (-top_db / 20.0))
    # Cut half a hop around the centres of the first and last loud frames.
    start = max(0, int(loud[0]) * hop - hop // 2)
    stop = min(y.size, int(loud[-1]) * hop + hop - hop // 2)
    if (stop - start) < min_duration * sr:
        return y
    return y[start:stop]


def save_audio(
    path: str | os.PathLike, y: np.ndarray, sr: int, *, subtype: str | None = None
) -> None:
    """Write a waveform to a file whose format follows the extension (``.wav``, ``.flac`` …).

    Parameters
    ----------
    path : str or os.PathLike
    y : ndarray of shape (n_samples,) or (n_samples, n_channels)
    sr : int
    subtype : str, default=None
        libsndfile subtype such as ``"PCM_16"`` or ``"FLOAT"``; the format's default if None.
    """
    import soundfile as sf

    sf.write(os.fspath(path), np.asarray(y), int(sr), subtype=subtype)
