"""Predicting with a trained model: clips from files, bytes or waveforms, long audio in windows.

The command line, the demo app and the MLflow model all predict through these functions, so
they agree on what a prediction is: the emotion, its probability (the *confidence*) and one
``proba_<emotion>`` column per class.

Models are trained on clips of a few seconds. A long recording (a minute of speech) pooled
into one feature vector would look like nothing they have seen, so clips longer than
``long_clip`` seconds are cut into overlapping windows (3 s every 1 s by default), each window
is classified, and the clip's probabilities are the mean over its windows;
:func:`predict_timeline` gives the windows themselves (the emotion over time) and
:func:`timeline_figure` plots them.

A model may also decline to answer: with ``min_confidence=P`` a clip (or window) whose
confidence is below ``P`` gets the emotion :data:`UNCERTAIN`, its probabilities still shown
(:func:`abstain` is that rule, written once).

``emotions=`` restricts the output to a set of emotions (each prediction chosen among them,
their probabilities renormalised), and :func:`adapt_to_clips` adapts a model to the recording
conditions of a set of unlabelled clips (**transductive**; see
:func:`sersk.preprocessing.fit_domain`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .audio import DEFAULT_SAMPLE_RATE, describe_source, load_audio
from .exceptions import AudioError

__all__ = [
    "AUDIO_SUFFIXES",
    "PROBA_PREFIX",
    "UNCERTAIN",
    "abstain",
    "adapt_to_clips",
    "clip_probabilities",
    "find_audio_files",
    "load_input",
    "predict_clips",
    "predict_timeline",
    "sample_rate_of",
    "sliding_windows",
    "timeline_figure",
]

#: Prefix of the per-class probability columns: ``proba_angry``, ``proba_sad`` …
PROBA_PREFIX = "proba_"

#: File name endings taken as audio when a folder is searched (decoding decides in the end).
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".aiff", ".aif", ".aifc", ".mp3")

#: The emotion of a prediction whose confidence is below the ``min_confidence`` asked for.
UNCERTAIN = "uncertain"

DEFAULT_WINDOW = 3.0
DEFAULT_HOP = 1.0
DEFAULT_LONG_CLIP = 10.0


def sample_rate_of(model: Any) -> int:
    """The sample rate a pipeline analyses audio at: its feature step's ``sr``.

    Parameters
    ----------
    model : estimator

    Returns
    -------
    sr : int
        The first ``sr`` parameter among the model's (nested) parameters; 16000 if none.
    """
    get_params = getattr(model, "get_params", None)
    params = get_params(deep=True) if get_params is not None else {}
    for key, value in params.items():
        if (key == "sr" or key.endswith("__sr")) and isinstance(value, (int, np.integer)):
            return int(value)
    return DEFAULT_SAMPLE_RATE


def load_input(source: Any, *, sr: int, name: str | None = None) -> np.ndarray:
    """One audio input as a validated mono waveform at ``sr``; bytes of an audio file too.

    Parameters
    ----------
    source : path, bytes, (waveform, sample_rate) tuple, mapping or 1-D array
        Anything :func:`sersk.audio.load_audio` reads, or the bytes of a WAV, FLAC, OGG …
        file (an upload, a request body).
    sr : int
        Target sample rate.
    name : str, default=None
        Name of the input in error messages.

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32

    Raises
    ------
    AudioError
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        # sersk.audio decodes files; bytes go through a temporary file so that they get the
        # same checks (format from the header, truncation, rate, silence) as any file.
        name = name or "audio bytes"
        if len(source) == 0:
            raise AudioError(name, "is empty (0 bytes)")
        fd, tmp = tempfile.mkstemp(prefix="sersk-", suffix=".audio")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(source)
            try:
                return load_audio(tmp, sr=sr, name=name)
            except AudioError as exc:
                raise AudioError(name, exc.problem) from None
        finally:
            os.unlink(tmp)
    try:
        return load_audio(source, sr=sr, name=name)
    except AudioError as exc:
        if name is None or exc.source == name:
            raise
        # File errors name the path; the caller asked for the clip to be called otherwise.
        raise AudioError(name, exc.problem) from None


def sliding_windows(
    y: np.ndarray, *, sr: int, window: float = DEFAULT_WINDOW, hop: float = DEFAULT_HOP
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a waveform into overlapping windows that cover all of it.

    Windows start every ``hop`` seconds; when the last one stops short of the end, one more
    window ends exactly at the end, so no audio is left out and none is padded.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    sr : int
        Its sample rate.
    window, hop : float, default=3.0, 1.0
        Window length and step, in seconds.

    Returns
    -------
    windows : ndarray of shape (n_windows, window_samples)
        A read-only view into ``y``; a clip shorter than one window is the single window.
    starts : ndarray of shape (n_windows,)
        Start of each window, in seconds.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.inference import sliding_windows
    >>> windows, starts = sliding_windows(np.zeros(5_500), sr=1000, window=3.0, hop=1.0)
    >>> windows.shape, starts.tolist()
    ((4, 3000), [0.0, 1.0, 2.0, 2.5])
    """
    if not (window > 0 and hop > 0):
        raise ValueError(f"window and hop must be positive seconds, got {window} and {hop}")
    y = np.asarray(y)
    size = max(1, round(window * sr))
    step = max(1, round(hop * sr))
    if y.shape[0] <= size:
        return y[np.newaxis, :], np.zeros(1)
    offsets = list(range(0, y.shape[0] - size + 1, step))
    if offsets[-1] + size < y.shape[0]:
        offsets.append(y.shape[0] - size)
    view = np.lib.stride_tricks.sliding_window_view(y, size)
    return view[offsets], np.asarray(offsets) / sr


def predict_timeline(
    model: Any,
    source: Any,
    *,
    window: float = DEFAULT_WINDOW,
    hop: float = DEFAULT_HOP,
    name: str | None = None,
    min_confidence: float | None = None,
    emotions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The emotion over time: one clip classified in overlapping windows.

    Parameters
    ----------
    model : fitted classifier
        A pipeline from audio inputs to emotions, with ``predict_proba`` and ``classes_``.
    source : path, bytes, (waveform, sample_rate) tuple, mapping or 1-D array
        The clip (see :func:`load_input`).
    window, hop : float, default=3.0, 1.0
        Window length and step, in seconds (see :func:`sliding_windows`).
    name : str, default=None
        Name of the clip in error messages.
    min_confidence : float in [0, 1] or None, default=None
        Windows whose confidence is below it get the emotion ``"uncertain"`` (see
        :func:`abstain`); None answers every window.
    emotions : sequence of str, default=None
        Restrict the output to these emotions (see :func:`predict_clips`).

    Returns
    -------
    timeline : pandas.DataFrame
        One row per window: ``start`` and ``end`` (seconds), ``emotion``, ``confidence`` and
        ``proba_<class>`` for every class.

    Raises
    ------
    AudioError
        The clip cannot be read or analysed.

    See Also
    --------
    timeline_figure : Plot it.
    predict_clips : One row per clip, long clips averaged over these windows.
    """
    model = _restricted(model, emotions)
    _check_min_confidence(min_confidence, model)
    sr = sample_rate_of(model)
    name = name or _name(source)
    y = load_input(source, sr=sr, name=name)
    return abstain(_timeline(model, y, sr, window=window, hop=hop, name=name), min_confidence)


def _timeline(model, y, sr, *, window, hop, name) -> pd.DataFrame:
    windows, starts = sliding_windows(y, sr=sr, window=window, hop=hop)
    proba = _predict_proba(model, [(w, sr) for w in windows], name)
    table = pd.DataFrame({"start": starts, "end": starts + windows.shape[1] / sr})
    return pd.concat([table, _probability_columns(model, proba)], axis=1)


def predict_clips(
    model: Any,
    sources: Sequence[Any],
    *,
    names: Sequence[str] | None = None,
    long_clip: float | None = DEFAULT_LONG_CLIP,
    window: float = DEFAULT_WINDOW,
    hop: float = DEFAULT_HOP,
    progress: bool = False,
    min_confidence: float | None = None,
    emotions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The emotion of each clip, with its confidence and every class's probability.

    Clips that cannot be read or analysed do not stop the others: their row says why.

    Parameters
    ----------
    model : fitted classifier
        A pipeline from audio inputs to emotions, with ``predict_proba`` and ``classes_``.
    sources : sequence of audio inputs
        Paths, bytes of audio files, ``(waveform, sample_rate)`` tuples, mappings or waveforms
        at the model's rate (see :func:`load_input`).
    names : sequence of str, default=None
        What to call each clip in the ``source`` column; by default the path, else
        ``"waveform #i"``.
    long_clip : float or None, default=10.0
        Clips longer than this many seconds are classified in windows and their window
        probabilities averaged; None classifies every clip whole.
    window, hop : float, default=3.0, 1.0
        Window length and step for long clips, in seconds.
    progress : bool, default=False
        Show a progress bar (on stderr).
    min_confidence : float in [0, 1] or None, default=None
        Clips whose confidence is below it get the emotion ``"uncertain"``, their confidence
        and probabilities unchanged (see :func:`abstain`); None answers every clip.
    emotions : sequence of str, default=None
        Restrict the output to these emotions, each one the model knows: the emotion is the
        most probable of them, and their probabilities are renormalised to sum to one (the
        probability of each given that the clip holds one of them). Only their
        ``proba_<emotion>`` columns are given. None: every emotion of the model.

    Returns
    -------
    predictions : pandas.DataFrame
        One row per clip, in order: ``source``, ``duration`` (seconds), ``n_windows`` (1 for
        clips classified whole), ``emotion``, ``confidence``, ``proba_<class>`` for every class
        of the model, and ``error`` (missing, or why the clip has no prediction; the clip's
        emotion and probabilities are then missing).

    See Also
    --------
    predict_timeline : The windows of one clip.
    abstain : The rule behind ``min_confidence``.
    adapt_to_clips : Adapt the model to the recording conditions of the clips first.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sersk.features import RMSEnergy
    >>> from sersk.inference import predict_clips
    >>> rng = np.random.default_rng(0)
    >>> clips = [(rng.standard_normal(16_000) * (0.02 + 0.3 * (i % 2)), 16_000) for i in range(8)]
    >>> model = make_pipeline(RMSEnergy(), LogisticRegression()).fit(clips, ["calm", "loud"] * 4)
    >>> table = predict_clips(model, [clips[1], np.zeros(100)])
    >>> table.loc[0, "emotion"], bool(table.loc[0, "confidence"] > 0.9)
    ('loud', True)
    >>> table.loc[1, "error"]
    'waveform #1: is silent (every sample is zero)'
    >>> predict_clips(model, [clips[1]], min_confidence=1.0).loc[0, "emotion"]
    'uncertain'
    """
    model = _restricted(model, emotions)
    _check_min_confidence(min_confidence, model)
    sr = sample_rate_of(model)
    sources = list(sources)
    if names is None:
        names = [_name(source, i) for i, source in enumerate(sources)]
    elif len(names) != len(sources):
        raise ValueError(f"got {len(names)} names for {len(sources)} sources")
    classes = list(model.classes_)
    rows = []
    iterator = zip(sources, names, strict=True)
    if progress:
        from ._progress import progress_bar

        iterator = progress_bar(iterator, total=len(sources), desc="predicting", unit="clip")
    for source, name in iterator:
        row = {"source": name, "duration": np.nan, "n_windows": 0, "emotion": None,
               "confidence": np.nan, **{_proba(c): np.nan for c in classes}, "error": None}
        try:
            y = load_input(source, sr=sr, name=name)
            row["duration"] = y.shape[0] / sr
            proba, timeline = clip_probabilities(model, y, long_clip=long_clip, window=window,
                                                 hop=hop, name=name)
            row["n_windows"] = 1 if timeline is None else len(timeline)
        except AudioError as exc:
            row["error"] = str(exc)
        else:
            best = int(np.argmax(proba))
            row.update(emotion=_plain(classes[best]), confidence=float(proba[best]))
            row.update({_proba(c): float(p) for c, p in zip(classes, proba, strict=True)})
        rows.append(row)
    columns = ["source", "duration", "n_windows", "emotion", "confidence",
               *(_proba(c) for c in classes), "error"]
    table = pd.DataFrame(rows, columns=columns)
    table["n_windows"] = table["n_windows"].astype(int)
    return abstain(table, min_confidence)


def abstain(predictions: pd.DataFrame, min_confidence: float | None) -> pd.DataFrame:
    """Say :data:`UNCERTAIN` where the confidence is below ``min_confidence``.

    The rule behind every ``min_confidence`` (:func:`predict_clips`, :func:`predict_timeline`,
    ``sersk predict --min-confidence``, the served model): a prediction whose confidence (the
    probability of its emotion) is below the threshold keeps its confidence and probabilities
    but its emotion becomes ``"uncertain"``; a confidence equal to the threshold is answered.
    Rows without a prediction (an error) are left as they are.

    Parameters
    ----------
    predictions : pandas.DataFrame
        With ``emotion`` and ``confidence`` columns, as :func:`predict_clips` and
        :func:`predict_timeline` return them.
    min_confidence : float in [0, 1] or None
        The threshold; None or 0 answers everything.

    Returns
    -------
    predictions : pandas.DataFrame
        A copy, ``emotion`` replaced below the threshold (the same frame when None).

    Raises
    ------
    ValueError
        ``min_confidence`` is not a number between 0 and 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from sersk.inference import abstain
    >>> table = pd.DataFrame({"emotion": ["angry", "sad"], "confidence": [0.9, 0.4]})
    >>> abstain(table, 0.5)["emotion"].tolist()
    ['angry', 'uncertain']
    """
    _check_min_confidence(min_confidence)
    if min_confidence is None:
        return predictions
    predictions = predictions.copy()
    below = (predictions["confidence"] < min_confidence).to_numpy()
    predictions.loc[below, "emotion"] = UNCERTAIN
    return predictions


def _check_min_confidence(min_confidence: float | None, model: Any = None) -> None:
    if min_confidence is None:
        return
    number = (int, float, np.integer, np.floating)
    if (isinstance(min_confidence, bool) or not isinstance(min_confidence, number)
            or not 0 <= min_confidence <= 1):
        raise ValueError(f"min_confidence must be a probability between 0 and 1 (or None), "
                         f"got {min_confidence!r}")
    if model is not None and UNCERTAIN in [str(c) for c in model.classes_]:
        raise ValueError(f"the model has a class named {UNCERTAIN!r}: with min_confidence, "
                         "its answers could not be told from abstentions")


def clip_probabilities(
    model: Any,
    y: np.ndarray,
    *,
    long_clip: float | None = DEFAULT_LONG_CLIP,
    window: float = DEFAULT_WINDOW,
    hop: float = DEFAULT_HOP,
    name: str = "waveform",
) -> tuple[np.ndarray, pd.DataFrame | None]:
    """Class probabilities of one waveform; a long one is classified in windows.

    Parameters
    ----------
    model : fitted classifier
    y : ndarray of shape (n_samples,)
        A waveform at the model's sample rate (:func:`sample_rate_of`), as :func:`load_input`
        returns it.
    long_clip : float or None, default=10.0
        Longer waveforms (in seconds) are classified in windows and the window probabilities
        averaged; None classifies every waveform whole.
    window, hop : float, default=3.0, 1.0
        Window length and step for long waveforms, in seconds.
    name : str, default="waveform"
        Name of the clip in error messages.

    Returns
    -------
    proba : ndarray of shape (n_classes,)
        In the order of ``model.classes_``.
    timeline : pandas.DataFrame or None
        The windows (as :func:`predict_timeline` gives them) of a long waveform, else None.

    Raises
    ------
    AudioError
        The model cannot analyse the waveform (too short for its analysis window …).
    """
    sr = sample_rate_of(model)
    if long_clip is not None and y.shape[0] / sr > long_clip:
        timeline = _timeline(model, y, sr, window=window, hop=hop, name=name)
        columns = [_proba(c) for c in model.classes_]
        return timeline[columns].to_numpy().mean(axis=0), timeline
    return _predict_proba(model, [(y, sr)], name)[0], None


def adapt_to_clips(
    model: Any,
    sources: Sequence[Any],
    *,
    min_clips: int | None = None,
    fallback: bool = False,
    names: Sequence[str] | None = None,
) -> Any:
    """The model adapted to the recording conditions of a set of clips (**transductive**).

    The clips (unlabelled) form one domain: the same microphone, room, session or speaker.
    Their features' mean and standard deviation replace the training statistics in the
    model's scaler (:func:`sersk.preprocessing.fit_domain`), which removes a shift that the
    new recording conditions cause; nothing is retrained. Predictions of the adapted model
    depend on these clips, so say so wherever its results are shown. Clips that cannot be
    read are left out of the statistics.

    Parameters
    ----------
    model : fitted pipeline
        With a fitted StandardScaler (or DomainStandardScaler) step.
    sources : sequence of audio inputs
        The new domain's clips (see :func:`load_input`).
    min_clips : int, default=None
        Fewest readable clips to estimate the statistics from; None:
        :data:`sersk.preprocessing.DEFAULT_MIN_CLIPS` (10).
    fallback : bool, default=False
        With fewer clips, return the model unchanged instead of raising.
    names : sequence of str, default=None
        What to call each clip in error messages.

    Returns
    -------
    adapted : fitted pipeline

    Raises
    ------
    DomainTooSmallError
        Fewer readable clips than ``min_clips`` and ``fallback`` is False.
    ValueError
        The model has no scaler to adapt.

    See Also
    --------
    predict_clips : Predict with the adapted model.
    """
    from .preprocessing import DEFAULT_MIN_CLIPS, fit_domain

    sr = sample_rate_of(model)
    sources = list(sources)
    names = [_name(s, i) for i, s in enumerate(sources)] if names is None else list(names)
    batch = []
    for source, name in zip(sources, names, strict=True):
        try:
            batch.append((load_input(source, sr=sr, name=name), sr))
        except AudioError:
            continue  # predict_clips reports it
    min_clips = DEFAULT_MIN_CLIPS if min_clips is None else min_clips
    return fit_domain(model, batch, min_clips=min_clips, fallback=fallback)


def find_audio_files(folder: str | os.PathLike, *, recursive: bool = True) -> list[str]:
    """The audio files in a folder, sorted, hidden files left out.

    Parameters
    ----------
    folder : str or os.PathLike
    recursive : bool, default=True
        Search the sub-folders too.

    Returns
    -------
    paths : list of str
        Files whose names end in one of :data:`AUDIO_SUFFIXES` (any case).
    """
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        found.extend(
            os.path.join(dirpath, f) for f in filenames
            if not f.startswith(".") and os.path.splitext(f)[1].lower() in AUDIO_SUFFIXES
        )
    return sorted(found)


def timeline_figure(timeline: pd.DataFrame, *, title: str | None = None):
    """The emotion over time as a matplotlib figure: stacked class probabilities per window.

    Drawn on the Agg canvas without ``pyplot``, so it works headless and inside other programs'
    matplotlib sessions.

    Parameters
    ----------
    timeline : pandas.DataFrame
        From :func:`predict_timeline`.
    title : str, default=None
        Title above the plot.

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = [c for c in timeline.columns if c.startswith(PROBA_PREFIX)]
    classes = [c[len(PROBA_PREFIX):] for c in columns]
    centres = ((timeline["start"] + timeline["end"]) / 2).to_numpy()
    figure = Figure(figsize=(8, 3.2))
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    if len(timeline) > 1:
        ax.stackplot(centres, timeline[columns].to_numpy().T, labels=classes, alpha=0.85)
        ax.set_xlim(centres[0], centres[-1])
    else:
        bottom = 0.0
        for column, label in zip(columns, classes, strict=True):
            value = float(timeline[column].iloc[0])
            ax.bar(centres[0], value, bottom=bottom, width=timeline["end"].iloc[0], label=label)
            bottom += value
    ax.set_ylim(0, 1)
    ax.set_xlabel("time (s, window centre)")
    ax.set_ylabel("probability")
    ax.set_title(title or "Emotion over time")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    figure.tight_layout()
    return figure


class _Restricted:
    """A fitted classifier's output restricted to some of its classes (for predict_clips)."""

    def __init__(self, model: Any, emotions: Sequence[str]):
        from .models import check_emotions

        self.model = model
        self.emotions = list(emotions)
        self.classes_ = np.asarray(model.classes_)[check_emotions(model.classes_, emotions)]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return self.model.get_params(deep=deep)

    def predict_proba(self, X: Any) -> np.ndarray:
        from .models import restrict_probabilities

        proba = self.model.predict_proba(X)
        return restrict_probabilities(proba, self.model.classes_, self.emotions)[0]


def _restricted(model: Any, emotions: Sequence[str] | None) -> Any:
    return model if emotions is None else _Restricted(model, emotions)


def _predict_proba(model: Any, batch: list, name: str) -> np.ndarray:
    from .features import AudioBatchError

    try:
        return np.asarray(model.predict_proba(batch), dtype=float)
    except AudioBatchError as exc:
        # The batch holds this clip's waveform(s): name the clip, not "waveform #0".
        first = next(iter(exc.errors.values()))
        raise AudioError(name, first.problem) from None


def _probability_columns(model: Any, proba: np.ndarray) -> pd.DataFrame:
    classes = list(model.classes_)
    best = proba.argmax(axis=1)
    table = pd.DataFrame({
        "emotion": [_plain(classes[i]) for i in best],
        "confidence": proba[np.arange(len(best)), best],
    })
    for j, c in enumerate(classes):
        table[_proba(c)] = proba[:, j]
    return table


def _proba(label: Any) -> str:
    return f"{PROBA_PREFIX}{label}"


def _name(source: Any, index: int | None = None) -> str:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "audio bytes" if index is None else f"audio bytes #{index}"
    return describe_source(source, index)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
