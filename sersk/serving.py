"""A trained model as an MLflow pyfunc: audio in, emotions and probabilities out.

:func:`sersk.tracking.save_mlflow_model` and :func:`sersk.tracking.log_mlflow_model` write a
fitted pipeline as an MLflow model whose ``python_function`` flavour is loaded by this module
(``loader_module="sersk.serving"``), so that ::

    mlflow models serve -m ser-mlflow --env-manager local -h 127.0.0.1 -p 5001

answers ``POST /invocations`` with the emotion of each clip::

    {"dataframe_records": [{"audio_base64": "<base64 of a WAV/FLAC/OGG file>"},
                           {"path": "/data/clip.wav"}]}

(``path`` rows only where the model is served with allowed folders; see Safety below).

This module does not import MLflow (MLflow imports it): everything that talks to MLflow is in
:mod:`sersk.tracking`, but for the exceptions the model MLflow loads raises, so that the
scoring server answers them in one line. The serving environment needs sersk and the
libraries the pipeline was saved with; ``--env-manager local`` serves from the current
environment.

Input
-----
A DataFrame (or what MLflow turns a request into: ``dataframe_split`` or
``dataframe_records``) with, per row, one of

- ``audio_base64``: the bytes of an audio file (WAV, FLAC, OGG, AIFF …), base64-encoded; for
  clients elsewhere. ``bytes`` values are taken as the file's bytes themselves;
- ``path``: an audio file on the server's file system, inside one of the folders of the
  ``allowed_folders`` setting (none by default: every ``path`` row is refused);

and optionally ``name``, echoed in the ``source`` column of the output.

Parameters
----------
``min_confidence`` (a probability from 0 to 1): clips whose confidence is below it are answered
``"uncertain"``, their probabilities still given (:func:`sersk.inference.abstain`). Its default
is the one the model was saved with (``save_mlflow_model(..., min_confidence=0.6)``; by default
none: every clip is answered), kept as the model's MLflow ``model_config``, which loading can
replace (``mlflow.pyfunc.load_model(path, model_config={"min_confidence": 0.6})``, or for a
server ``MLFLOW_PYFUNC_INFERENCE_CONFIG='{"min_confidence": 0.6}' mlflow models serve …``). A
request can pass its own, as an MLflow inference parameter declared in the signature::

    {"dataframe_records": [{"audio_base64": "..."}], "params": {"min_confidence": 0.6}}

or ``loaded.predict(frame, params={"min_confidence": 0.6})`` in Python.

Safety
------
The model's settings (its MLflow ``model_config``, saved by
:func:`sersk.tracking.save_mlflow_model` and replaced like ``min_confidence``) bound what a
request can make the server do:

- ``allowed_folders`` (list of folders; default none): ``path`` rows are read only from inside
  these folders, compared after resolving ``..`` and symbolic links (of the folders too, once,
  when the model loads). Any other path is answered ``"<name>: path not allowed"``, whether or
  not it exists.
- ``max_rows`` (default 100): rows per request.
- ``max_request_mb`` (default 50): megabytes of audio files (``audio_base64``, decoded) per
  request, counted before anything is decoded.
- ``max_clip_seconds`` (default 300): seconds of audio per row, read from the file's header
  before it is decoded; a longer clip gets an error in its row, and so does one that would
  decode to more samples than that many seconds of 48 kHz stereo (many channels at a high
  rate). Clips are decoded one at a time, so this bounds the audio in memory at once.
- ``max_request_seconds`` (default 600): seconds of audio per request, summed the same way.

A request over ``max_rows``, ``max_request_mb`` or ``max_request_seconds`` is refused whole at
once (HTTP 400) with one line saying which limit and its value. None turns a limit off.
Through ``mlflow models serve`` every error is answered as one line (``{"error_code": ...,
"message": ...}``), never a traceback: a failure of the model itself is answered with HTTP
500 and logged, with its traceback, by the server. The request body is parsed by MLflow before
sersk sees it, and neither MLflow nor uvicorn limits its size: put a proxy with a body limit
(nginx ``client_max_body_size``) in front of a server others can reach.

Output
------
A DataFrame with one row per input row: ``source``, ``duration``, ``n_windows``, ``emotion``,
``confidence``, ``proba_<emotion>`` for every emotion the model knows, and ``error`` (None,
or why the row has no prediction: a bad row does not fail the others; its other values are
None too, so that the REST answer is plain JSON, without ``NaN``). Clips longer than
``long_clip`` seconds are classified in windows, as in :func:`sersk.inference.predict_clips`.
``emotion`` is ``"uncertain"`` for clips below ``min_confidence``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import SerskError

__all__ = ["INPUT_COLUMNS", "LIMITS", "PARAMS", "EmotionModel", "ServingInputError"]

#: Columns the pyfunc reads: audio as base64, a path on the server, a name for the output.
INPUT_COLUMNS = ("audio_base64", "path", "name")

MODEL_FILE = "model.joblib"
#: The model in the skops format, used instead of MODEL_FILE when the folder holds it.
SKOPS_MODEL_FILE = "model.skops"
SETTINGS_FILE = "settings.json"

#: The inference parameters a request may pass (``params``), with their MLflow types.
PARAMS = {"min_confidence": "double"}

#: The limits on a request, with their defaults (None: no limit); see the module documentation.
LIMITS = {"max_rows": 100, "max_request_mb": 50.0, "max_clip_seconds": 300.0,
          "max_request_seconds": 600.0}

#: Every setting of the model's MLflow ``model_config``, with its default.
CONFIG = {"min_confidence": None, "allowed_folders": None, **LIMITS}

# Decoded samples per second of max_clip_seconds that a clip may hold: 48 kHz stereo.
_MAX_SAMPLES_PER_SECOND = 2 * 48_000

_logger = logging.getLogger(__name__)


class ServingInputError(SerskError, ValueError):
    """A request the served model cannot read (no audio column, not a table)."""


class EmotionModel:
    """A fitted pipeline wrapped for MLflow's pyfunc: audio rows in, prediction rows out.

    Parameters
    ----------
    pipeline : fitted classifier
        A pipeline from audio inputs to emotions.
    metadata : dict, default=None
        The model's metadata (see :func:`sersk.persistence.save_model`).
    long_clip : float or None, default=10.0
        Clips longer than this many seconds are classified in windows.
    window, hop : float, default=3.0, 1.0
        Window length and step for long clips, in seconds.
    min_confidence : float in [0, 1] or None, default=None
        Clips whose confidence is below it are answered ``"uncertain"``, unless a request
        passes its own; None answers every clip.
    allowed_folders : list of str, str or None, default=None
        The folders ``path`` rows may name files in, symbolic links resolved; None or empty
        refuses every ``path`` row.
    max_rows : int or None, default=100
        Rows per request.
    max_request_mb : float or None, default=50.0
        Megabytes of audio files (``audio_base64``, decoded) per request.
    max_clip_seconds : float or None, default=300.0
        Seconds of audio per row, read from the file's header before decoding.
    max_request_seconds : float or None, default=600.0
        Seconds of audio per request.
    """

    def __init__(
        self,
        pipeline: Any,
        metadata: dict | None = None,
        *,
        long_clip: float | None = 10.0,
        window: float = 3.0,
        hop: float = 1.0,
        min_confidence: float | None = None,
        allowed_folders: list[str] | str | None = None,
        max_rows: int | None = LIMITS["max_rows"],
        max_request_mb: float | None = LIMITS["max_request_mb"],
        max_clip_seconds: float | None = LIMITS["max_clip_seconds"],
        max_request_seconds: float | None = LIMITS["max_request_seconds"],
    ):
        self.pipeline = pipeline
        self.metadata = metadata or {}
        self.long_clip = long_clip
        self.window = window
        self.hop = hop
        self.min_confidence = min_confidence
        self.allowed_folders = allowed_folders
        self.max_rows = max_rows
        self.max_request_mb = max_request_mb
        self.max_clip_seconds = max_clip_seconds
        self.max_request_seconds = max_request_seconds
        for name in LIMITS:
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float))
                                          and not isinstance(value, bool) and value > 0):
                raise ServingInputError(f"{name} must be a positive number or None, got "
                                        f"{value!r}")
        # Resolved once: a folder that is a link is followed now, as the paths are later.
        self._allowed = _resolve_folders(allowed_folders)

    def predict(self, model_input: Any, params: dict | None = None) -> pd.DataFrame:
        """The emotion of every row's clip.

        Parameters
        ----------
        model_input : pandas.DataFrame, mapping or list of mappings
            Rows with ``audio_base64`` or ``path`` (and optionally ``name``).
        params : dict, default=None
            MLflow's inference parameters: ``min_confidence`` replaces the model's for this
            call (None keeps it).

        Returns
        -------
        predictions : pandas.DataFrame
            See the module documentation.

        Raises
        ------
        ServingInputError
            The input has no rows, or neither an ``audio_base64`` nor a ``path`` column,
            ``min_confidence`` is not a probability, or the request is over ``max_rows``,
            ``max_request_mb`` or ``max_request_seconds``.
        """
        from .inference import _check_min_confidence, predict_clips

        min_confidence = (params or {}).get("min_confidence")
        if min_confidence is None:
            min_confidence = self.min_confidence
        try:
            _check_min_confidence(min_confidence)
        except ValueError as exc:
            raise ServingInputError(str(exc)) from None
        frame = _as_frame(model_input)
        _check_limit("rows", len(frame), self.max_rows, "max_rows", "{:d}")
        rows = list(_rows(frame))
        _check_limit("MB of audio", sum(map(_audio_bytes, rows)) / 1e6, self.max_request_mb,
                     "max_request_mb", "{:.1f}")
        sources, names, errors, seconds = [], [], {}, 0.0
        for i, row in enumerate(rows):
            name = str(row.get("name") or row.get("path") or f"row {i}")
            try:
                source = _source(row, name, self._allowed)
                seconds += self._clip_seconds(source, name)
            except ServingInputError as exc:
                errors[i] = str(exc)
            else:
                sources.append(source)
            names.append(name)
        _check_limit("seconds of audio", seconds, self.max_request_seconds,
                     "max_request_seconds", "{:.0f}")
        # Only the rows that passed are decoded; the others get their error in place.
        good = [i for i in range(len(rows)) if i not in errors]
        table = predict_clips(self.pipeline, sources, names=[names[i] for i in good],
                              long_clip=self.long_clip, window=self.window, hop=self.hop,
                              min_confidence=min_confidence)
        table = table.set_axis(good).reindex(range(len(rows)))
        table["source"] = names
        table["n_windows"] = table["n_windows"].fillna(0).astype(int)
        for i, message in errors.items():
            table.loc[i, "error"] = message
        return _json_safe(table)

    def _clip_seconds(self, source: Any, name: str) -> float:
        """The clip's duration from its header, checked against ``max_clip_seconds``."""
        header = _header(source)
        if header is None:
            return 0.0  # not readable as audio: decoding says why, in the row
        seconds, n_samples = header
        limit = self.max_clip_seconds
        if limit is not None and seconds > limit:
            raise ServingInputError(
                f"{name}: {seconds:.0f} s of audio, over this server's limit of {limit:g} s "
                "per clip (max_clip_seconds)"
            )
        # Many channels at a high rate (a well-compressed FLAC of silence) decode to far more
        # than their seconds suggest: at most what a stereo 48 kHz clip of the limit holds.
        if limit is not None and n_samples > limit * _MAX_SAMPLES_PER_SECOND:
            raise ServingInputError(
                f"{name}: {n_samples * 4 / 1e6:.1f} MB once decoded, over this server's limit "
                f"of {limit * _MAX_SAMPLES_PER_SECOND * 4 / 1e6:.1f} MB per clip (that of "
                "max_clip_seconds of 48 kHz stereo)"
            )
        return seconds


def _audio_bytes(row: dict) -> float:
    """Bytes of the row's audio file, known before decoding: base64 is 4/3 of what it holds."""
    audio = row.get("audio_base64")
    if isinstance(audio, str):
        return len(audio) * 3 / 4
    if isinstance(audio, (bytes, bytearray, memoryview)):
        return len(audio)
    return 0


def _check_limit(what: str, value: float, limit: float | None, setting: str, fmt: str) -> None:
    if limit is not None and value > limit:
        raise ServingInputError(
            f"the request holds {fmt.format(value)} {what}, over this server's limit of "
            f"{limit:g} per request ({setting})"
        )


def _header(source: Any) -> tuple[float, int] | None:
    """Seconds and samples (all channels) a file's header declares, without decoding it.

    None when it cannot be read: not audio, or no such file (decoding says which).
    """
    import io

    import soundfile as sf

    try:
        info = sf.info(io.BytesIO(source) if isinstance(source, bytes) else source)
    except Exception:  # noqa: BLE001 -- not audio (or no such file): decoding reports it
        return None
    if not info.samplerate or not math.isfinite(info.duration):
        return None
    return float(info.duration), int(info.frames) * int(info.channels)


def _resolve_folders(folders: list[str] | str | None) -> tuple[str, ...]:
    if folders is None:
        return ()
    if isinstance(folders, (str, os.PathLike)):
        folders = [folders]
    if not isinstance(folders, (list, tuple)) or not all(
            isinstance(f, (str, os.PathLike)) and os.fspath(f) for f in folders):
        raise ServingInputError(f"allowed_folders must be a list of folders, got {folders!r}")
    return tuple(os.path.realpath(f) for f in folders)


def _allowed_path(path: Any, name: str, allowed: tuple[str, ...]) -> str:
    """The path with links resolved, if it lies in an allowed folder; else refused.

    The refusal says nothing of the path (whether it exists, what it is), so that a request
    cannot probe the server's files.
    """
    try:
        resolved = os.path.realpath(os.fspath(path))
        inside = any(os.path.commonpath([resolved, folder]) == folder for folder in allowed)
    except (TypeError, ValueError):  # not a path, a NUL byte, or another drive
        inside = False
    if not inside:
        raise ServingInputError(f"{name}: path not allowed")
    return resolved


def _json_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Missing values as None: MLflow writes float NaN as ``NaN``, which is not JSON."""
    for column in table.columns:
        if table[column].isna().any():
            table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table


def _as_frame(model_input: Any) -> pd.DataFrame:
    frame = _table(model_input)
    # MLflow drops the columns its signature does not declare: an empty request and one of
    # other columns both arrive as an empty table.
    if not {"audio_base64", "path"} & set(frame.columns):
        raise ServingInputError(
            "the input has neither an 'audio_base64' column (base64 of an audio file) nor a "
            "'path' column (an audio file on the server), or no rows"
        )
    if len(frame) == 0:
        raise ServingInputError("the request holds no rows")
    return frame


def _table(model_input: Any) -> pd.DataFrame:
    if isinstance(model_input, pd.DataFrame):
        frame = model_input
    elif isinstance(model_input, dict):
        frame = pd.DataFrame(model_input if _has_sequences(model_input) else [model_input])
    elif isinstance(model_input, list) and all(isinstance(r, dict) for r in model_input):
        frame = pd.DataFrame(model_input)
    else:
        raise ServingInputError(
            f"expected a table of rows with an 'audio_base64' or 'path' column, got "
            f"{type(model_input).__name__}"
        )
    return frame


def _has_sequences(mapping: dict) -> bool:
    return any(isinstance(v, (list, tuple, np.ndarray, pd.Series)) for v in mapping.values())


def _rows(frame: pd.DataFrame):
    columns = [c for c in INPUT_COLUMNS if c in frame.columns]
    for values in frame[columns].itertuples(index=False, name=None):
        yield {c: (None if _missing(v) else v) for c, v in zip(columns, values, strict=True)}


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _source(row: dict, name: str, allowed: tuple[str, ...]) -> Any:
    audio, path = row.get("audio_base64"), row.get("path")
    if audio is not None and path is not None:
        raise ServingInputError(f"{name}: give 'audio_base64' or 'path', not both")
    if audio is not None:
        if isinstance(audio, (bytes, bytearray, memoryview)):
            return bytes(audio)
        if not isinstance(audio, str):
            raise ServingInputError(f"{name}: 'audio_base64' must be a base64 string, got "
                                    f"{type(audio).__name__}")
        try:
            return base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            raise ServingInputError(f"{name}: 'audio_base64' is not valid base64") from None
    if path is not None:
        return _allowed_path(path, name, allowed)
    raise ServingInputError(f"{name}: the row has neither 'audio_base64' nor 'path'")


def _load_pyfunc(data_path: str, model_config: dict | None = None) -> EmotionModel:
    """MLflow's entry point: the model from the folder :func:`sersk.tracking` wrote.

    ``model_config`` is the MLflow model configuration (:data:`CONFIG`: ``min_confidence``,
    ``allowed_folders`` and the limits), as saved or as replaced by
    ``mlflow.pyfunc.load_model(..., model_config=...)`` or ``$MLFLOW_PYFUNC_INFERENCE_CONFIG``.
    A ``model.joblib`` is unpickled, which runs code from it: serve only trusted models (a
    ``model.skops`` loads without that risk).
    """
    from .persistence import load_model

    folder = Path(data_path)
    model_file = folder / SKOPS_MODEL_FILE
    pipeline, metadata = load_model(model_file if model_file.exists() else folder / MODEL_FILE)
    settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
    config = dict(model_config or {})
    unknown = sorted(set(config) - set(CONFIG))
    if unknown:
        raise ServingInputError(f"model_config: unknown setting(s) {', '.join(unknown)}; the "
                                f"model takes {', '.join(CONFIG)}")
    return _ServedModel(pipeline, metadata, **settings, **config)


class _ServedModel(EmotionModel):
    """The model as MLflow loads it: errors become one-line answers, never tracebacks.

    MLflow's scoring server answers an exception that is not an ``MlflowException`` with its
    traceback (server paths included), and prefixes an ``MlflowException``'s message with the
    whole request; these errors keep their one line.
    """

    def predict(self, model_input: Any, params: dict | None = None) -> pd.DataFrame:
        bad_request, failure = _answer_types()
        try:
            return super().predict(model_input, params)
        except ServingInputError as exc:
            raise bad_request(str(exc)) from None
        except Exception as exc:
            _logger.exception("sersk: the model failed on a request")
            raise failure("the model failed on this request; the server's log says why"
                          ) from exc


@functools.cache
def _answer_types() -> tuple[type, type]:
    """Errors that are also MLflow exceptions with a fixed message (MLflow imports this lazily)."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INTERNAL_ERROR, INVALID_PARAMETER_VALUE

    class OneLine(MlflowException):
        # The scoring server rewrites ``message`` to prefix the request's data (many lines,
        # the audio included): the first message set is the one answered.
        @property
        def message(self) -> str:
            return self._one_line

        @message.setter
        def message(self, value: str) -> None:
            if not hasattr(self, "_one_line"):
                self._one_line = " ".join(str(value).split())

    class ServedInputError(ServingInputError, OneLine):
        def __init__(self, message: str):
            OneLine.__init__(self, message, error_code=INVALID_PARAMETER_VALUE)

    class ServedModelError(SerskError, OneLine):
        def __init__(self, message: str):
            OneLine.__init__(self, message, error_code=INTERNAL_ERROR)

    return ServedInputError, ServedModelError
