"""The machinery shared by sersk's audio transformers: input checks, parallel extraction with a
disk cache, error collection and pooling.

A subclass only says how one waveform becomes a frame matrix (``_frame_matrix``), how its
channels are called (``_channel_names``) and which of its parameters change the frames.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from numbers import Integral, Real

import joblib
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..audio import (
    MIN_DURATION,
    AudioError,
    check_duration,
    describe_source,
    is_audio_path,
    load_audio,
    trim_silence,
    validate_waveform,
)
from ._cache import FeatureCache, content_key, resolve_cache_location
from ._pooling import StatisticsPooling

__all__ = ["AudioBatchError", "FrameFeatureTransformer", "check_audio_batch"]

# Bumped whenever a change to the feature code changes the numbers, so old caches miss.
FEATURES_VERSION = "2"


class AudioBatchError(AudioError):
    """Some inputs of a batch could not be used; the others were extracted (and cached).

    Attributes
    ----------
    errors : dict of int to AudioError
        The position of each failed input in the batch, and why it failed.
    """

    def __init__(self, errors: dict[int, AudioError], n_inputs: int):
        self.errors = dict(sorted(errors.items()))
        self.n_inputs = n_inputs
        lines = [f"  [{i}] {err}" for i, err in list(self.errors.items())[:20]]
        if len(self.errors) > 20:
            lines.append(f"  … and {len(self.errors) - 20} more")
        first = next(iter(self.errors.values()))
        problem = (
            f"{len(self.errors)} of {n_inputs} audio input(s) could not be used; the others "
            "were processed (and cached, if a cache is set). Fix or remove these and run again:\n"
            + "\n".join(lines)
        )
        super().__init__(first.source, problem)

    def __str__(self):
        return self.problem

    def __reduce__(self):
        return (type(self), (self.errors, self.n_inputs))


def check_audio_batch(X) -> list:
    """A batch of audio inputs as a list: paths, (waveform, sr) tuples, mappings or waveforms.

    A 2-D numeric array is a batch of equal-length waveforms (one per row), at the
    transformer's sample rate.
    """
    if isinstance(X, (str, os.PathLike)):
        raise ValueError(
            f"expected a batch of audio inputs, got the single path {os.fspath(X)!r}; "
            "wrap it in a list: [path]"
        )
    if isinstance(X, tuple) and len(X) == 2 and np.ndim(X[1]) == 0 and np.ndim(X[0]) >= 1:
        raise ValueError(
            "expected a batch of audio inputs, got one (waveform, sample_rate) tuple; "
            "wrap it in a list: [(waveform, sample_rate)]"
        )
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):  # pandas Series / DataFrame
        X = X.to_numpy()
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
    if isinstance(X, np.ndarray):
        if X.dtype.kind in "USO":
            if X.ndim != 1:
                raise ValueError(f"expected a 1-D array of paths, got shape {X.shape}")
            batch = X.tolist()
        elif X.ndim == 2:
            batch = list(X)
        else:
            raise ValueError(
                f"a numeric array of shape {X.shape} is not a batch of waveforms; pass a 2-D "
                "array (n_clips, n_samples), a list of 1-D waveforms, or a list of paths"
            )
    elif isinstance(X, Mapping):
        raise ValueError("expected a batch of audio inputs, got a single mapping; wrap it in a "
                         "list")
    else:
        try:
            batch = list(X)
        except TypeError:
            raise ValueError(
                f"expected a batch of audio inputs (paths or waveforms), got {type(X).__name__}"
            ) from None
    if not batch:
        raise ValueError("the batch of audio inputs is empty")
    return batch


def _is_numeric_matrix(X) -> bool:
    """Whether X is a matrix of samples (dense or sparse) rather than a list of audio inputs."""
    import scipy.sparse as sp

    if sp.issparse(X):
        return True
    if isinstance(X, (list, tuple, str, os.PathLike, Mapping)):
        return False
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # DataFrame
        from pandas.api.types import is_numeric_dtype

        # One column of paths (object or, with pandas 3, string dtype) is a list of inputs.
        return X.shape[1] != 1 or is_numeric_dtype(X.dtypes.iloc[0])
    if not hasattr(X, "__array__") or hasattr(X, "to_numpy") and np.ndim(X) == 1:
        return False
    array = np.asarray(X)
    if array.dtype.kind in "US":
        return False
    if array.dtype == object:
        return array.ndim != 1
    return True


_BLAS = None


def _blas_controller():
    """One threadpoolctl controller per process: building one scans every loaded library,
    which costs several milliseconds, too much on the single-clip prediction path."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()
    return _BLAS


def _extract_chunk(transformer, chunk):
    """Worker: frame matrices (or the error) for a list of (index, source, name)."""
    # Parallelism is over clips; a multi-threaded BLAS on these small products only contends
    # (measured: a 64x257x370 product takes 7 ms on two OpenBLAS threads, 0.1 ms on one).
    with _blas_controller().limit(limits=1, user_api="blas"):
        return _extract_each(transformer, chunk)


def _extract_each(transformer, chunk):
    out, pending = [], []
    batch_size = transformer._extraction_batch_size()
    for index, source, name in chunk:
        try:
            y = load_audio(source, sr=transformer.sr, name=name)
            # The clip's own minimum first: a 25 ms clip is refused as too short to judge,
            # whichever pipeline it meets; the analysis window only binds below it.
            check_duration(y, sr=transformer.sr, source=name,
                           min_duration=transformer.min_duration)
            validate_waveform(y, sr=transformer.sr, source=name,
                              min_duration=transformer._min_duration())
            if transformer.trim_db is not None:
                y = trim_silence(y, sr=transformer.sr, top_db=transformer.trim_db,
                                 min_duration=transformer._min_duration())
        except Exception as err:  # noqa: BLE001 - one odd clip must not sink a long run
            out.append((index, None, _as_audio_error(err, name)))
            continue
        pending.append((index, name, y))
        if len(pending) >= batch_size:
            out.extend(_extract_batch(transformer, pending))
            pending = []
    if pending:
        out.extend(_extract_batch(transformer, pending))
    return out


def _extract_batch(transformer, pending):
    """Frame matrices of loaded clips [(index, name, y)], all at once when the transformer
    batches; if the batch fails, clip by clip, so that each error names its clip."""
    if len(pending) > 1:
        try:
            matrices = transformer._frame_matrices([y for _, _, y in pending])
        except Exception:  # noqa: BLE001 - retried one clip at a time below
            pass
        else:
            return [(index, frames, None)
                    for (index, _, _), frames in zip(pending, matrices, strict=True)]
    out = []
    for index, name, y in pending:
        try:
            out.append((index, transformer._frame_matrix(y), None))
        except Exception as err:  # noqa: BLE001 - one odd clip must not sink a long run
            out.append((index, None, _as_audio_error(err, name)))
    return out


def _as_audio_error(err: Exception, name: str) -> AudioError:
    if isinstance(err, AudioError):
        return err
    return AudioError(name, f"feature extraction failed ({type(err).__name__}: {err})")


class FrameFeatureTransformer(TransformerMixin, BaseEstimator):
    """Base class: audio in, one frame matrix per clip, pooled into model inputs.

    Not used directly; see :class:`MFCC`, :class:`HandcraftedFeatures` and the others.

    Common parameters
    -----------------
    sr : int, default=16000
        Sample rate every input is resampled to before analysis.
    trim_db : float or None, default=30.0
        Leading and trailing audio more than this many dB below the clip's loudest 25 ms is cut
        before analysis (:func:`sersk.audio.trim_silence`); None keeps every sample.
    min_duration : float, default=sersk.audio.MIN_DURATION
        Clips shorter than this many seconds (before trimming) are refused with an
        :class:`~sersk.exceptions.AudioError` (:func:`sersk.audio.check_duration`); 0 accepts
        any clip at least one analysis window long.
    pooling : {"stats", "frames"} or transformer, default="stats"
        What :meth:`transform` returns: ``"stats"`` pools each clip with
        :class:`StatisticsPooling` (a 2-D array with named columns); ``"frames"`` returns the
        list of per-clip frame matrices; a transformer such as :class:`FixedLengthSequence` or
        a configured :class:`StatisticsPooling` is applied to that list.
    n_jobs : int, default=None
        Processes for extraction; None is 1, -1 is every core.
    memory : str, path-like or joblib.Memory, default=None
        Folder caching the frame matrices, keyed by audio content and the parameters that
        change them. None disables caching.
    verbose : bool, default=False
        Show a progress bar during extraction.
    """

    _parameter_constraints: dict = {
        "sr": [Interval(Integral, 1000, 384_000, closed="both")],
        "trim_db": [Interval(Real, 0, None, closed="neither"), None],
        "min_duration": [Interval(Real, 0, None, closed="left")],
        "pooling": [StrOptions({"stats", "frames"}), HasMethods(["fit", "transform"])],
        "n_jobs": [Integral, None],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "verbose": ["verbose"],
    }

    # Parameters that do not change the frames, and so stay out of the cache key.
    _runtime_params = frozenset({"min_duration", "pooling", "n_jobs", "memory", "verbose"})

    # --- what subclasses define -------------------------------------------------------------
    def _frame_matrix(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _channel_names(self) -> list[str]:
        raise NotImplementedError

    def _frame_matrices(self, ys: list[np.ndarray]) -> list[np.ndarray]:
        """Frame matrices of several waveforms; a transformer running a neural encoder
        processes them as one batch, with the same result as one at a time."""
        return [self._frame_matrix(y) for y in ys]

    def _extraction_batch_size(self) -> int:
        """How many loaded clips :meth:`_frame_matrices` receives at once."""
        return 1

    def _window_samples(self) -> int:
        """Longest analysis window, in samples at ``sr``: shorter clips are refused."""
        return int(getattr(self, "win_length", 1))

    def _frames_have_deltas(self) -> bool:
        return False

    def _check_frame_params(self) -> None:
        """Cross-parameter checks a subclass needs beyond ``_parameter_constraints``."""

    # --- shared behaviour -------------------------------------------------------------------
    def _min_duration(self) -> float:
        """The analysis window in seconds: no clip (or trimmed clip) can be shorter."""
        return self._window_samples() / self.sr

    def __setstate__(self, state):
        # Models pickled before min_duration existed refuse short clips as new ones do.
        state.setdefault("min_duration", MIN_DURATION)
        super().__setstate__(state)

    def _make_pooling(self):
        if isinstance(self.pooling, str):
            if self.pooling == "frames":
                return None
            return StatisticsPooling(deltas=not self._frames_have_deltas())
        return clone(self.pooling)

    def _cache_signature(self) -> str:
        params = {
            k: v for k, v in self.get_params(deep=False).items() if k not in self._runtime_params
        }
        return f"{type(self).__name__}-{joblib.hash((FEATURES_VERSION, params))}"

    def fit(self, X, y=None):
        """Check parameters and inputs; prepare the pooling. Nothing is extracted here.

        Parameters
        ----------
        X : list of audio inputs
            Paths, ``(waveform, sample_rate)`` tuples, mappings with ``"array"`` and
            ``"sampling_rate"``, or waveforms at ``sr`` (a 2-D array is one clip per row).
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._validate_params()
        self._check_frame_params()
        batch = self._audio_batch(X, reset=True)
        self.n_clips_fit_ = len(batch)
        self.pooling_ = self._make_pooling()
        if self.pooling_ is not None:
            # The pooling only needs the channel layout, which the parameters fix.
            names = self._channel_names()
            template = [np.zeros((2, len(names)), dtype=np.float32)]
            self.pooling_.fit(template, channel_names=names)
        return self

    def transform(self, X):
        """Extract every clip's frames and pool them.

        Parameters
        ----------
        X : list of audio inputs
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_clips, n_features_out), or as the pooling returns
            With ``pooling="frames"``, a list of arrays of shape (n_frames_i, n_channels).

        Raises
        ------
        AudioBatchError
            After processing every usable input, if any input could not be used.
        """
        check_is_fitted(self, "pooling_")
        frames = self.extract_frames(self._audio_batch(X, reset=False))
        if self.pooling_ is None:
            return frames
        return self.pooling_.transform(frames)

    def _audio_batch(self, X, *, reset: bool) -> list:
        """The batch as a list; a numeric matrix (one waveform per row) is validated the
        scikit-learn way, which also records or checks ``n_features_in_``."""
        if _is_numeric_matrix(X):
            from sklearn.utils.validation import validate_data

            rows = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
            return list(rows)
        if reset and hasattr(self, "n_features_in_"):
            del self.n_features_in_
        return check_audio_batch(X)

    def get_feature_names_out(self, input_features=None):
        """Output names: pooled column names, or the frame channels with ``pooling="frames"``.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "pooling_")
        if self.pooling_ is None:
            return np.asarray(self._channel_names(), dtype=object)
        return self.pooling_.get_feature_names_out(self._channel_names())

    def extract_frames(self, X) -> list[np.ndarray]:
        """Frame matrices of a batch of audio inputs, in parallel and through the cache.

        Works without fitting. Inputs that fail are collected; once every other input has been
        processed (and cached), one :class:`AudioBatchError` lists them all.

        Parameters
        ----------
        X : list of audio inputs

        Returns
        -------
        list of ndarray of shape (n_frames_i, n_channels)
        """
        self._validate_params()
        self._check_frame_params()
        sources = check_audio_batch(X)
        n = len(sources)
        names = [describe_source(s, i) for i, s in enumerate(sources)]
        results: list[np.ndarray | None] = [None] * n
        errors: dict[int, AudioError] = {}

        for i, source in enumerate(sources):
            if is_audio_path(source) and not os.path.isfile(source):
                problem = "is a folder, not an audio file" if os.path.isdir(source) else (
                    "file not found")
                errors[i] = AudioError(names[i], problem)

        location = resolve_cache_location(self.memory)
        cache = keys = None
        if location is not None:
            cache = FeatureCache(location, self._cache_signature())
            keys = [None] * n
            for i, source in enumerate(sources):
                if i in errors:
                    continue
                try:
                    keys[i] = content_key(source)
                except OSError as err:
                    errors[i] = AudioError(names[i], f"cannot be read ({err.strerror or err})")
                    continue
                results[i] = cache.get(keys[i])

        todo = [i for i in range(n) if results[i] is None and i not in errors]
        for index, frames, error in self._run_extraction(todo, sources, names):
            if error is not None:
                errors[index] = error
                continue
            results[index] = frames
            if cache is not None:
                cache.put(keys[index], frames)

        if errors:
            raise AudioBatchError(errors, n)
        return results

    def _run_extraction(self, todo, sources, names):
        if not todo:
            return
        n_jobs = joblib.effective_n_jobs(self.n_jobs)
        # Many small chunks: the last one to finish leaves the other workers idle, so it should
        # be short (16 per worker, but no chunk under 8 clips, which would cost more to ship).
        n_chunks = max(1, min(max(1, n_jobs) * 16, len(todo) // 8))
        size = math.ceil(len(todo) / n_chunks)
        chunks = [
            [(i, sources[i], names[i]) for i in todo[start : start + size]]
            for start in range(0, len(todo), size)
        ]
        progress = None
        if self.verbose:
            from .._progress import progress_bar

            progress = progress_bar(total=len(todo), desc=f"{type(self).__name__} extraction",
                            unit="clip")
        try:
            if n_jobs == 1:
                finished = (_extract_chunk(self, chunk) for chunk in chunks)
            else:
                finished = joblib.Parallel(
                    n_jobs=n_jobs, return_as="generator_unordered"
                )(joblib.delayed(_extract_chunk)(self, chunk) for chunk in chunks)
            for chunk_result in finished:
                yield from chunk_result
                if progress is not None:
                    progress.update(len(chunk_result))
        finally:
            if progress is not None:
                progress.close()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags
