"""Screening a corpus for clips that cannot be used, before a long run depends on them.

A corpus of thousands of clips can hold a few damaged ones (a truncated copy, an empty file,
a silent or far too short recording). :func:`screen_clips` decodes every clip once with
:func:`sersk.audio.load_audio` and checks it with :func:`sersk.audio.validate_waveform` (the
library's one definition of a usable clip), and splits the frame into the rows to keep and the
rows left out, each with its reason. With a cache folder, each clip's verdict is stored under
its content (as features are), so a later run reads a few bytes instead of decoding again.

It lives with the corpora because it works on a corpus frame, as :func:`audio_inputs` does,
and is what ``sersk train`` and ``benchmarks.run`` call before anything is fitted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..audio import (
    DEFAULT_SAMPLE_RATE,
    MIN_DURATION,
    check_duration,
    describe_source,
    is_audio_path,
    load_audio,
    validate_waveform,
)
from ..exceptions import AudioError
from ._load import audio_inputs

__all__ = ["screen_clips"]

# Bumped when what makes a clip usable changes in a way the cache key does not see.
_SCREENING_VERSION = "1"


def screen_clips(
    frame: pd.DataFrame,
    *,
    sr: int = DEFAULT_SAMPLE_RATE,
    memory: Any = None,
    strict: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a corpus frame into usable clips and the clips left out, each with its reason.

    Every clip is decoded and validated once (:func:`sersk.audio.load_audio`, then
    :func:`sersk.audio.validate_waveform` and :func:`sersk.audio.check_duration`): a missing,
    empty, truncated or undecodable file, a silent or non-finite waveform, or one shorter than
    the features' minimum duration (:data:`sersk.audio.MIN_DURATION`) is left out.

    Parameters
    ----------
    frame : pandas.DataFrame
        A corpus frame (:func:`load_corpus`, :func:`load_labelled_audio`,
        :func:`make_emotional_speech`), with a ``path`` or an ``audio`` column.
    sr : int, default=16000
        Sample rate the clips are decoded at, as the pipelines will.
    memory : str, path or joblib.Memory, default=None
        Folder of the feature cache: each clip's verdict is stored there under the clip's
        content, so a second screening decodes nothing (an edited file is decoded again).
    strict : bool, default=False
        Raise instead of leaving bad clips out.

    Returns
    -------
    kept : pandas.DataFrame
        The rows of ``frame`` whose clips are usable, index and columns unchanged.
    left_out : pandas.DataFrame
        The other rows, with ``frame``'s columns and ``source`` (the path, or
        ``"row <label>"`` for an in-memory waveform) and ``reason`` first.

    Raises
    ------
    AudioBatchError
        With ``strict=True``, when any clip is unusable: its message lists every one.

    See Also
    --------
    sersk.audio.validate_waveform : What a usable clip is.
    audio_inputs : What a pipeline is given for each row.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sersk.datasets import screen_clips
    >>> tone = np.sin(np.arange(16000) / 10.0)
    >>> frame = pd.DataFrame({"audio": [(tone, 16000), (np.zeros(16000), 16000)],
    ...                       "emotion": ["angry", "sad"]})
    >>> kept, left_out = screen_clips(frame)
    >>> len(kept), left_out[["source", "reason"]].values.tolist()
    (1, [['row 1', 'is silent (every sample is zero)']])
    """
    from ..features._base import AudioBatchError
    from ..features._cache import FeatureCache, content_key, resolve_cache_location

    location = resolve_cache_location(memory)
    # The minimum duration, whatever it is, belongs to the verdict's key.
    cache = (FeatureCache(location, f"screening-v{_SCREENING_VERSION}-{sr}-{MIN_DURATION!r}")
             if location is not None else None)
    inputs = audio_inputs(frame)
    sources = [describe_source(x) if is_audio_path(x) else f"row {label}"
               for x, label in zip(inputs, frame.index, strict=True)]
    reasons: list[str] = []
    for source, name in zip(inputs, sources, strict=True):
        key = None
        if cache is not None:
            try:
                key = content_key(source)
            except OSError:  # unreadable: decoding says why
                key = None
            stored = cache.get(key) if key is not None else None
            if stored is not None:
                reasons.append(str(stored))
                continue
        reason = _reason(source, name, sr)
        if key is not None:
            cache.put(key, np.array(reason))
        reasons.append(reason)
    bad = np.array([bool(r) for r in reasons], dtype=bool)
    left_out = frame[bad].copy()
    left_out.insert(0, "reason", [r for r in reasons if r])
    left_out.insert(0, "source", [s for s, b in zip(sources, bad, strict=True) if b])
    if strict and bad.any():
        positions = np.flatnonzero(bad)
        raise AudioBatchError(
            {int(i): AudioError(sources[i], reasons[i]) for i in positions}, len(frame)
        )
    return frame[~bad], left_out


def _reason(source: Any, name: str, sr: int) -> str:
    """Why a clip cannot be used, or ``""``."""
    try:
        y = load_audio(source, sr=sr, name=name)
        validate_waveform(y, sr=sr, source=name)
        check_duration(y, sr=sr, source=name)
    except AudioError as exc:
        return exc.problem
    return ""
