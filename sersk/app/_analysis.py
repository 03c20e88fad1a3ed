"""What the demo page shows about a clip, computed and drawn without Streamlit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..inference import (
    DEFAULT_HOP,
    DEFAULT_LONG_CLIP,
    DEFAULT_WINDOW,
    clip_probabilities,
    load_input,
    sample_rate_of,
)

__all__ = ["ClipAnalysis", "analyse_clip", "spectrogram_figure", "waveform_figure"]


@dataclass(frozen=True)
class ClipAnalysis:
    """A clip, as the model hears it, and what the model makes of it.

    Attributes
    ----------
    name : str
        The clip's name (the uploaded file's).
    waveform : ndarray of shape (n_samples,)
        Mono, at the model's rate.
    sr : int
        The model's sample rate.
    emotion : str
        The most probable emotion.
    confidence : float
        Its probability.
    probabilities : pandas.Series
        The probability of every emotion the model knows, indexed by emotion.
    timeline : pandas.DataFrame or None
        For clips longer than ``long_clip``: the windows they were classified in (see
        :func:`sersk.inference.predict_timeline`); the probabilities are their mean.
    """

    name: str
    waveform: np.ndarray
    sr: int
    emotion: str
    confidence: float
    probabilities: pd.Series
    timeline: pd.DataFrame | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.waveform.shape[0] / self.sr


def analyse_clip(
    model: Any,
    source: Any,
    *,
    name: str = "clip",
    long_clip: float | None = DEFAULT_LONG_CLIP,
    window: float = DEFAULT_WINDOW,
    hop: float = DEFAULT_HOP,
) -> ClipAnalysis:
    """Read a clip and predict its emotion, keeping what the page draws.

    Parameters
    ----------
    model : fitted classifier
        A pipeline from audio inputs to emotions.
    source : bytes, path, or (waveform, sample_rate)
        The clip; bytes are an audio file's (an upload or a recording).
    name : str, default="clip"
        Its name in error messages.
    long_clip : float or None, default=10.0
        Clips longer than this many seconds are classified in windows.
    window, hop : float, default=3.0, 1.0
        Window length and step for long clips.

    Returns
    -------
    ClipAnalysis

    Raises
    ------
    AudioError
        The clip cannot be read or analysed; the message says why.
    """
    sr = sample_rate_of(model)
    y = load_input(source, sr=sr, name=name)
    classes = [c.item() if isinstance(c, np.generic) else c for c in model.classes_]
    proba, timeline = clip_probabilities(model, y, long_clip=long_clip, window=window, hop=hop,
                                         name=name)
    probabilities = pd.Series(proba, index=pd.Index([str(c) for c in classes], name="emotion"),
                              name="probability")
    best = int(np.argmax(proba))
    return ClipAnalysis(name=name, waveform=y, sr=sr, emotion=str(classes[best]),
                        confidence=float(proba[best]), probabilities=probabilities,
                        timeline=timeline)


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def waveform_figure(y: np.ndarray, sr: int):
    """The waveform against time, as a matplotlib figure (Agg canvas, no ``pyplot``).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    sr : int

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    figure = _figure(8, 1.8)
    ax = figure.add_subplot()
    # Long clips are drawn from their per-pixel extremes, which look the same and draw faster.
    step = max(1, y.shape[0] // 4000)
    t = np.arange(y.shape[0]) / sr
    if step > 1:
        n = y.shape[0] // step * step
        blocks = y[:n].reshape(-1, step)
        ax.fill_between(t[:n:step], blocks.min(axis=1), blocks.max(axis=1), linewidth=0)
    else:
        ax.plot(t, y, linewidth=0.6)
    ax.set_xlim(0, y.shape[0] / sr)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    figure.tight_layout()
    return figure


def spectrogram_figure(y: np.ndarray, sr: int, *, kind: str = "mfcc"):
    """MFCCs or the log-mel spectrogram against time, as a matplotlib figure.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    sr : int
    kind : {"mfcc", "log-mel"}, default="mfcc"
        MFCCs 1 to 39 (the 0th, the clip's loudness, would swamp the others' colours), or 64
        log-mel bands in dBFS; sersk's default 25 ms windows every 10 ms.

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    from ..features import log_mel, mfcc

    if kind == "mfcc":
        image = mfcc(y=y, sr=sr, delta_order=0)[:, 1:]
        limit = float(np.percentile(np.abs(image), 99)) or 1.0
        style = {"cmap": "coolwarm", "vmin": -limit, "vmax": limit}
        label, ylabel, bottom = None, "MFCC", 1
    elif kind == "log-mel":
        image = log_mel(y=y, sr=sr)
        style = {"cmap": "magma", "vmin": max(float(image.min()), float(image.max()) - 80)}
        label, ylabel, bottom = "dBFS", "mel band", 0
    else:
        raise ValueError(f"kind must be 'mfcc' or 'log-mel', got {kind!r}")
    figure = _figure(8, 2.4)
    ax = figure.add_subplot()
    shown = ax.imshow(image.T, origin="lower", aspect="auto", interpolation="nearest",
                      extent=(0, y.shape[0] / sr, bottom, bottom + image.shape[1]), **style)
    figure.colorbar(shown, ax=ax, label=label, pad=0.01)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    figure.tight_layout()
    return figure
