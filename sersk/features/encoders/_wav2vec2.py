"""Embeddings from wav2vec 2.0, HuBERT, WavLM and data2vec-audio models (Hugging Face
transformers, PyTorch): one hidden layer, or a weighted sum of layers, pooled over each clip.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from functools import lru_cache
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.utils._param_validation import StrOptions

from ...audio import MIN_DURATION
from ._base import EncoderEmbedding, ModelNotFoundError, check_model_folder, model_fingerprint

__all__ = ["Wav2Vec2Embedding", "wav2vec2_frames"]

SAMPLE_RATE = 16_000

_MASKED_MODEL_TYPES = frozenset({"wav2vec2", "hubert", "wavlm"})

_MODEL_HINT = (
    "Pass a local folder written by `save_pretrained` (config.json and the weights), or a "
    "Hugging Face hub name such as 'facebook/wav2vec2-base' (downloading one needs the network)."
)


def _is_hub_name(model) -> bool:
    """'owner/name' that is not a folder here: a model to fetch from the Hugging Face hub."""
    if not isinstance(model, str) or os.path.exists(os.path.expanduser(model)):
        return False
    parts = model.split("/")
    return (len(parts) in (1, 2) and all(parts) and not model.startswith((".", "~"))
            and "\\" not in model)


class _Loaded:
    """A model in evaluation mode with what preparing its input needs."""

    def __init__(self, source: str, device: str):
        import torch  # noqa: F401 - a clear ImportError before transformers' own
        from transformers import AutoConfig, AutoModel

        self.config = AutoConfig.from_pretrained(source)
        self.model = AutoModel.from_pretrained(source).to(device).eval()
        self.device = device
        preprocessor = _preprocessor_config(source)
        # Padding is invisible to the real frames only where the model masks it all the way:
        # wav2vec 2.0, HuBERT and WavLM with layer-normalised convolutions. A group norm over
        # time in the first convolution (wav2vec 2.0 base and its kin, trained without masks)
        # sees the padding, and so do data2vec-audio's stacked positional convolutions: those
        # models are batched only with clips of the same length.
        self.masked_batches = (
            self.config.model_type in _MASKED_MODEL_TYPES
            and getattr(self.config, "feat_extract_norm", "layer") == "layer"
        )
        self.do_normalize = bool(preprocessor.get("do_normalize", True))

    def frame_counts(self, n_samples: Sequence[int]) -> list[int]:
        import torch

        lengths = self.model._get_feat_extract_output_lengths(torch.as_tensor(list(n_samples)))
        return [int(n) for n in lengths]


def _preprocessor_config(source: str) -> dict:
    path = Path(source) / "preprocessor_config.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    if _is_hub_name(source):
        try:
            from transformers import AutoFeatureExtractor

            return AutoFeatureExtractor.from_pretrained(source).to_dict()
        except (OSError, ValueError):
            return {}
    return {}


@lru_cache(maxsize=8)
def _hub_config(name: str) -> dict:
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(name).to_dict()


@lru_cache(maxsize=2)
def _load(source: str, stamp: tuple, device: str) -> _Loaded:
    return _Loaded(source, device)


def _hidden_layers(layer, layer_weights, n_hidden: int) -> tuple[list[int], np.ndarray]:
    """Indices into the hidden states (0: the input of the first transformer layer) and their
    weights, summing to 1."""
    if isinstance(layer, str):  # "all"
        indices = list(range(n_hidden))
    elif isinstance(layer, Integral):
        indices = [int(layer)]
    else:
        indices = [int(i) for i in layer]
    if not indices:
        raise ValueError("layer is an empty sequence; name at least one layer")
    resolved = []
    for i in indices:
        k = i if i >= 0 else n_hidden + i
        if not 0 <= k < n_hidden:
            raise ValueError(
                f"layer {i} is out of range: the model has {n_hidden - 1} transformer layers, so "
                f"hidden states 0 … {n_hidden - 1} (or -1 … -{n_hidden} from the last)"
            )
        resolved.append(k)
    if layer_weights is None:
        weights = np.full(len(resolved), 1.0 / len(resolved))
    else:
        weights = np.asarray(layer_weights, dtype=np.float64)
        if weights.shape != (len(resolved),) or not np.isfinite(weights).all():
            raise ValueError(
                f"layer_weights must be {len(resolved)} finite numbers, one per layer in "
                f"{resolved}; got {layer_weights!r}"
            )
        if weights.sum() <= 0 or (weights < 0).any():
            raise ValueError(f"layer_weights must be non-negative with a positive sum, got "
                             f"{layer_weights!r}")
        weights = weights / weights.sum()
    return resolved, weights


def _encode(loaded: _Loaded, ys, *, indices, weights, batch_size: int) -> list[np.ndarray]:
    import torch

    if loaded.do_normalize:  # per clip, over its own samples, as Wav2Vec2FeatureExtractor does
        ys = [(y - y.mean()) / np.sqrt(y.var() + 1e-7) for y in ys]
    counts = loaded.frame_counts([y.size for y in ys])
    order = sorted(range(len(ys)), key=lambda i: ys[i].size)
    batches, current = [], []
    for i in order:  # similar lengths together: less padding
        same = not current or loaded.masked_batches or ys[current[0]].size == ys[i].size
        if current and (len(current) == batch_size or not same):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    out: list[np.ndarray | None] = [None] * len(ys)
    with torch.inference_mode():
        for batch in batches:
            longest = max(ys[i].size for i in batch)
            values = np.zeros((len(batch), longest), dtype=np.float32)
            mask = np.zeros((len(batch), longest), dtype=np.int64)
            for row, i in enumerate(batch):
                values[row, : ys[i].size] = ys[i]
                mask[row, : ys[i].size] = 1
            kwargs = {"input_values": torch.from_numpy(values).to(loaded.device),
                      "output_hidden_states": True}
            if loaded.masked_batches:
                kwargs["attention_mask"] = torch.from_numpy(mask).to(loaded.device)
            with warnings.catch_warnings():
                # WavLM's attention hands torch masks of two types, which torch 2.x warns about
                # on every call; the result is right (a padded batch equals each clip alone).
                warnings.filterwarnings("ignore", message="Support for mismatched key_padding_mask",
                                        category=UserWarning)
                hidden = loaded.model(**kwargs).hidden_states
            mixed = sum(float(w) * hidden[k] for k, w in zip(indices, weights, strict=True))
            mixed = mixed.float().cpu().numpy()
            for row, i in enumerate(batch):
                out[i] = np.ascontiguousarray(mixed[row, : counts[i]])
    return out


def wav2vec2_frames(
    *,
    y: np.ndarray,
    model: str | os.PathLike,
    layer: int | Sequence[int] | str = -1,
    layer_weights: Sequence[float] | None = None,
    device: str = "cpu",
    n_threads: int | None = 1,
) -> np.ndarray:
    """Hidden frames of a wav2vec 2.0-family model for one 16 kHz waveform.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform at 16 kHz.
    model, layer, layer_weights, device, n_threads
        As in :class:`Wav2Vec2Embedding`.

    Returns
    -------
    ndarray of shape (n_frames, hidden_size), dtype float32
        One row per 20 ms for the usual convolutional front end.

    See Also
    --------
    Wav2Vec2Embedding : The transformer over a batch of clips, pooled and cached.
    """
    features = Wav2Vec2Embedding(model=model, layer=layer, layer_weights=layer_weights,
                                 device=device, n_threads=n_threads)
    features._check_frame_params()
    return features._frame_matrices([np.asarray(y, dtype=np.float32)])[0]


class Wav2Vec2Embedding(EncoderEmbedding):
    """Embeddings from a wav2vec 2.0, HuBERT, WavLM or data2vec-audio model, pooled per clip.

    Every clip is resampled to 16 kHz, normalised as the checkpoint's feature extractor does
    (zero mean, unit variance when its ``do_normalize`` is set) and run through the model; the
    chosen hidden layer, or a weighted sum of several, over the frames that hold audio is the
    clip's frame matrix, pooled into one vector. Clips are batched with an attention mask, so a
    clip gives the same embedding alone and in a padded batch; checkpoints whose first
    convolution normalises over time (``feat_extract_norm="group"``, as wav2vec 2.0 base) were
    trained without masks, and are batched only with clips of the same length.

    The model is loaded on first use, once per process, and never pickled with the estimator.
    Needs torch and transformers (``pip install "sersk[wav2vec2]"``).

    Parameters
    ----------
    model : str or path-like, default=None
        A folder written by ``save_pretrained`` (``config.json`` and the weights), or a
        Hugging Face hub name such as ``"microsoft/wavlm-base-plus"`` (which needs the network
        the first time). Required.
    layer : int, sequence of int or "all", default=-1
        Hidden state(s) to use: 0 is the input of the first transformer layer, k the output of
        the k-th, -1 the last. Several (or "all") are summed with ``layer_weights``; middle
        layers often carry more paralinguistic information than the last.
    layer_weights : sequence of float, default=None
        Non-negative weights of the layers in ``layer``, normalised to sum to 1; None weights
        them equally.
    device : {"cpu", "cuda"}, default="cpu"
        Where the model runs.
    batch_size : int, default=8
        Clips per forward pass. The embeddings do not depend on it.
    n_threads : int or None, default=1
        PyTorch threads per process (None: leave PyTorch's setting alone).
    trim_db : float or None, default=None
        Cut leading and trailing stretches more than this many dB below the clip's peak
        before encoding; None keeps the whole clip.
    min_duration : float, default=sersk.audio.MIN_DURATION
        Clips shorter than this many seconds are refused with an
        :class:`~sersk.exceptions.AudioError` (see :class:`~sersk.features.MFCC`).
    pooling : {"mean", "mean_std", "stats", "frames"} or transformer, default="mean"
        As in :class:`WhisperEncoderEmbedding`.
    n_jobs : int, default=None
        Processes for extraction (-1: all cores); each loads its own copy of the model.
    memory : str, path-like or joblib.Memory, default=None
        Cache folder for the frame matrices, keyed by the audio, the model (a local folder by
        its content, a hub name by its name) and the parameters that change the frames.
    verbose : bool, default=False
        Progress bar during extraction.

    Attributes
    ----------
    pooling_ : transformer or None
        The fitted pooling (None with ``pooling="frames"``).
    n_channels_ : int
        Channels of the frames (the model's hidden size).

    See Also
    --------
    wav2vec2_frames : The frames of one waveform.
    WhisperEncoderEmbedding : The same from a Whisper encoder (CTranslate2, no PyTorch).

    Examples
    --------
    >>> from sersk.features.encoders import Wav2Vec2Embedding
    >>> features = Wav2Vec2Embedding(model="microsoft/wavlm-base-plus", layer=6)  # doctest: +SKIP
    >>> features.fit_transform(["a.wav", "b.flac"]).shape                       # doctest: +SKIP
    (2, 768)
    """

    _parameter_constraints: dict = {
        **EncoderEmbedding._parameter_constraints,
        "model": [str, os.PathLike, None],
        "layer": [Integral, StrOptions({"all"}), list, tuple],
        "layer_weights": [list, tuple, np.ndarray, None],
        "device": [StrOptions({"cpu", "cuda"})],
    }

    def __init__(
        self, *, model=None, layer=-1, layer_weights=None, device="cpu", batch_size=8,
        n_threads=1, trim_db=None, min_duration=MIN_DURATION, pooling="mean", n_jobs=None,
        memory=None, verbose=False,
    ):
        self.model = model
        self.layer = layer
        self.layer_weights = layer_weights
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
    def _source(self) -> str:
        """The local folder (resolved), or the hub name."""
        if _is_hub_name(self.model):
            return self.model
        return str(check_model_folder(self.model, required=("config.json",), parameter="model",
                                      hint=_MODEL_HINT))

    def _config(self) -> dict:
        source = self._source()
        if _is_hub_name(source):
            return _hub_config(source)
        return json.loads((Path(source) / "config.json").read_text(encoding="utf-8"))

    def _layers(self):
        config = self._config()
        if "hidden_size" not in config or "num_hidden_layers" not in config:
            raise ModelNotFoundError(
                f"model={self.model!r}: its config.json has no hidden_size/num_hidden_layers; "
                f"it is not a wav2vec 2.0-family model. {_MODEL_HINT}"
            )
        return _hidden_layers(self.layer, self.layer_weights, config["num_hidden_layers"] + 1)

    def _check_frame_params(self):
        self._layers()

    def _model_identity(self) -> str:
        source = self._source()
        return f"hub:{source}" if _is_hub_name(source) else model_fingerprint(source)

    # --- frames -----------------------------------------------------------------------------
    def _window_samples(self) -> int:
        return 400  # the receptive field of one frame of the usual convolutional front end

    def _frame_matrices(self, ys):
        import torch

        if self.n_threads is not None and torch.get_num_threads() != self.n_threads:
            torch.set_num_threads(self.n_threads)
        source = self._source()
        stamp = () if _is_hub_name(source) else tuple(
            (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(Path(source).iterdir())
            if p.is_file()
        )
        loaded = _load(source, stamp, self.device)
        indices, weights = self._layers()
        return _encode(loaded, [np.asarray(y, dtype=np.float32) for y in ys], indices=indices,
                       weights=weights, batch_size=self.batch_size)

    def _channel_names(self):
        return [f"wav2vec2_{j}" for j in range(self._config()["hidden_size"])]

