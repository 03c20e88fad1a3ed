"""A trained model as an MLflow pyfunc: audio in, emotions and probabilities out.

:func:`sersk.tracking.save_mlflow_model` and :func:`sersk.tracking.log_mlflow_model` write a
fitted pipeline as an MLflow model whose ``python_function`` flavour is loaded by this module
(``loader_module="sersk.serving"``), so that ::

    mlflow models serve -m ser-mlflow --env-manager local -h 127.0.0.1 -p 5001

answers ``POST /invocations`` with the emotion of each clip::

    {"dataframe_records": [{"audio_base64": "<base64 of a WAV/FLAC/OGG file>"},
                           {"path": "/data/clip.wav"}]}

This module does not import MLflow (MLflow imports it): everything that talks to MLflow is in
:mod:`sersk.tracking`. The serving environment needs sersk and the libraries the pipeline was
saved with; ``--env-manager local`` serves from the current environment.

Input
-----
A DataFrame (or what MLflow turns a request into: ``dataframe_split`` or
``dataframe_records``) with, per row, one of

- ``audio_base64``: the bytes of an audio file (WAV, FLAC, OGG, AIFF …), base64-encoded; for
  clients elsewhere. ``bytes`` values are taken as the file's bytes themselves;
- ``path``: an audio file on the server's file system;

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
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import SerskError

__all__ = ["INPUT_COLUMNS", "PARAMS", "EmotionModel", "ServingInputError"]

#: Columns the pyfunc reads: audio as base64, a path on the server, a name for the output.
INPUT_COLUMNS = ("audio_base64", "path", "name")

MODEL_FILE = "model.joblib"
SETTINGS_FILE = "settings.json"

#: The inference parameters a request may pass (``params``), with their MLflow types.
PARAMS = {"min_confidence": "double"}


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
    ):
        self.pipeline = pipeline
        self.metadata = metadata or {}
        self.long_clip = long_clip
        self.window = window
        self.hop = hop
        self.min_confidence = min_confidence

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
            The input has neither an ``audio_base64`` nor a ``path`` column, or
            ``min_confidence`` is not a probability.
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
        sources, names, errors = [], [], {}
        for i, row in enumerate(_rows(frame)):
            name = row.get("name") or row.get("path") or f"row {i}"
            try:
                sources.append(_source(row, str(name)))
            except ServingInputError as exc:
                errors[i] = str(exc)
                sources.append(b"")  # replaced by the error below
            names.append(str(name))
        table = predict_clips(self.pipeline, sources, names=names, long_clip=self.long_clip,
                              window=self.window, hop=self.hop, min_confidence=min_confidence)
        for i, message in errors.items():
            table.loc[i, "error"] = message
        return _json_safe(table)


def _json_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Missing values as None: MLflow writes float NaN as ``NaN``, which is not JSON."""
    for column in table.columns:
        if table[column].isna().any():
            table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table


def _as_frame(model_input: Any) -> pd.DataFrame:
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
    if not {"audio_base64", "path"} & set(frame.columns):
        raise ServingInputError(
            "the input has neither an 'audio_base64' column (base64 of an audio file) nor a "
            "'path' column (an audio file on the server)"
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


def _source(row: dict, name: str) -> Any:
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
        return os.fspath(path)
    raise ServingInputError(f"{name}: the row has neither 'audio_base64' nor 'path'")


def _load_pyfunc(data_path: str, model_config: dict | None = None) -> EmotionModel:
    """MLflow's entry point: the model from the folder :func:`sersk.tracking` wrote.

    ``model_config`` is the MLflow model configuration: ``min_confidence``, as saved or as
    replaced by ``mlflow.pyfunc.load_model(..., model_config=...)``.
    """
    from .persistence import load_model

    folder = Path(data_path)
    pipeline, metadata = load_model(folder / MODEL_FILE)
    settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
    config = dict(model_config or {})
    unknown = sorted(set(config) - set(PARAMS))
    if unknown:
        raise ServingInputError(f"model_config: unknown setting(s) {', '.join(unknown)}; the "
                                f"model takes {', '.join(PARAMS)}")
    return EmotionModel(pipeline, metadata, **settings, **config)
