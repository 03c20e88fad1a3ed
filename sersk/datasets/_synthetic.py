"""A synthetic emotional-speech corpus from a source-filter model: for tests and examples only.

Each clip is a string of syllable-like sounds: a glottal pulse train following an F0 contour
(declination, pitch accents, a final rise or fall, jitter, shimmer, tremor), with aspiration
noise for breathiness, shaped by the resonances of a vowel that changes from syllable to
syllable, cut into syllables by an amplitude envelope with frication at the onsets, coloured by
each speaker's recording channel and set to a loudness. Emotions move these parameters the way
the literature on vocal affect describes (Scherer 1986; Juslin & Laukka 2003): anger is loud,
bright and fast; sadness quiet, low, slow, breathy and flat; fear high, fast and trembling …
Speakers differ as much as that: male and female pitch, vocal-tract length, habitual loudness,
rate and voice quality, how strongly and in which way each expresses each emotion, and their
microphone. A classifier therefore does much better on clips of speakers it has heard than on
new speakers, as with real corpora.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..audio import save_audio

# scipy.signal and scikit-learn are imported where they are used, so that importing
# sersk.datasets to list a corpus does not pay for them.

__all__ = ["make_emotional_speech"]

DEFAULT_EMOTIONS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "fearful", "disgust")


@dataclass(frozen=True)
class _Expression:
    """How an emotion moves the voice away from the speaker's neutral voice."""

    f0: float  # pitch level, semitones
    f0_range: float  # pitch-accent range, factor
    rate: float  # syllables per second, factor
    loudness: float  # dB
    tilt: float  # spectral tilt above 500 Hz, dB per octave (positive: brighter)
    breathiness: float  # added aspiration-noise ratio
    jitter: float  # cycle-to-cycle F0 perturbation, relative
    shimmer: float  # cycle-to-cycle amplitude perturbation, relative
    f1: float  # first formant, factor (mouth opening)
    f2: float  # second formant, factor (spreading of the lips, centralisation)
    final: float  # pitch movement over the last syllable, semitones
    tremor: float  # 5-7 Hz F0 tremor depth, semitones


_EXPRESSIONS: dict[str, _Expression] = {
    "neutral": _Expression(0.0, 1.0, 1.0, 0.0, 0.0, 0.00, 0.004, 0.03, 1.00, 1.00, -2.0, 0.0),
    "calm": _Expression(-1.0, 0.8, 0.9, -3.0, -1.5, 0.04, 0.004, 0.03, 0.98, 1.00, -2.5, 0.0),
    "happy": _Expression(3.5, 1.7, 1.1, 3.0, 1.5, -0.01, 0.005, 0.03, 1.05, 1.06, -1.0, 0.0),
    "sad": _Expression(-2.0, 0.55, 0.78, -5.0, -3.0, 0.08, 0.009, 0.06, 0.94, 0.96, -3.0, 0.1),
    "angry": _Expression(2.5, 1.5, 1.12, 7.0, 4.0, -0.02, 0.007, 0.04, 1.12, 1.02, -3.5, 0.0),
    "fearful": _Expression(5.0, 1.2, 1.2, 1.0, 0.5, 0.06, 0.012, 0.06, 1.00, 1.03, 0.5, 0.6),
    "disgust": _Expression(-1.5, 1.1, 0.85, 1.0, 0.5, 0.02, 0.008, 0.05, 0.95, 0.93, -3.0, 0.0),
    "surprised": _Expression(5.5, 2.0, 1.0, 3.0, 1.5, 0.00, 0.005, 0.03, 1.06, 1.03, 5.0, 0.0),
    "boredom": _Expression(-2.5, 0.45, 0.8, -4.0, -2.5, 0.05, 0.006, 0.05, 0.95, 0.97, -1.5, 0.0),
}

# Formants F1-F5 (Hz) of English vowels for an adult male vocal tract (Peterson & Barney 1952,
# rounded); scaled per speaker by vocal-tract length. The last row is schwa, the centre.
_VOWELS = np.array([
    [270, 2290, 3010, 3500, 4500],  # i
    [390, 1990, 2550, 3500, 4500],  # I
    [530, 1840, 2480, 3500, 4500],  # E
    [660, 1720, 2410, 3500, 4500],  # ae
    [730, 1090, 2440, 3500, 4500],  # a
    [570, 840, 2410, 3500, 4500],  # o
    [440, 1020, 2240, 3500, 4500],  # U
    [300, 870, 2240, 3500, 4500],  # u
    [640, 1190, 2390, 3500, 4500],  # V
    [500, 1500, 2500, 3500, 4500],  # schwa
], dtype=float)
_BANDWIDTHS = np.array([80.0, 100.0, 140.0, 200.0, 250.0])

# Level of a neutral clip of an average speaker, RMS in dBFS over the speech.
_REFERENCE_DB = -30.0
_PEAK = 0.95


@dataclass(frozen=True)
class _Speaker:
    gender: str
    f0: float  # Hz
    f0_range: float  # semitones, standard deviation of pitch accents
    vtl: float  # formant scale: shorter vocal tracts have higher formants
    rate: float  # syllables per second
    loudness: float  # dB
    tilt: float  # dB per octave
    breathiness: float
    jitter: float  # factor on the emotion's jitter
    expressiveness: float  # factor on every emotion's departure from neutral
    style: dict[str, np.ndarray]  # the speaker's own twist on each emotion
    channel: np.ndarray  # microphone and room: (centre Hz, gain dB, Q) of three peaking filters
    frication: float  # high-pass corner of the speaker's fricatives, Hz
    noise_db: float  # background noise, dBFS


def make_emotional_speech(
    *,
    n_speakers: int = 8,
    n_utterances: int = 10,
    emotions: Sequence[str] = DEFAULT_EMOTIONS,
    duration: float | tuple[float, float] = (1.5, 2.5),
    sr: int = 16_000,
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
    directory: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Generate a labelled corpus of synthetic emotional speech-like sounds.

    **This is not real speech**, and nothing learnt or measured on it says anything about real
    emotional speech. The clips are babble from a source-filter model (a glottal pulse train
    through vowel resonances, cut into syllables) whose pitch, pitch range, speaking rate,
    loudness, spectral tilt, voice quality and articulation follow the emotion the way acted
    emotional speech roughly does, and whose speakers differ as much as real ones. It exists so
    that tests, examples and benchmarks of the whole pipeline run without a corpus: emotions
    can be learnt from MFCC, pitch and energy statistics, and accuracy on speakers held out is
    clearly lower than on a random split. Every frame it returns says ``corpus="synthetic"``
    and has ``attrs["synthetic"] = True``.

    Parameters
    ----------
    n_speakers : int, default=8
        Number of speakers, alternately male (odd ids) and female (even ids).
    n_utterances : int, default=10
        Clips per speaker and emotion.
    emotions : sequence of str, default=("neutral", "happy", "sad", "angry", "fearful", \
"disgust")
        Emotions to generate: any of the first nine of :data:`EMOTIONS` (neutral … boredom);
        JL-Corpus's states (excited, anxious …) have no synthetic voice.
    duration : float or (float, float), default=(1.5, 2.5)
        Clip duration in seconds, or the range each clip's duration is drawn from uniformly.
    sr : int, default=16000
        Sample rate in Hz.
    random_state : int, RandomState instance, Generator or None, default=None
        Seed for reproducible output; speaker ``k``'s voice depends only on the seed and ``k``.
    directory : str or os.PathLike, default=None
        If given, each clip is also written there as 16-bit FLAC
        (``synthetic-01_angry_03.flac``) and its path filled in.

    Returns
    -------
    frame : pandas.DataFrame of shape (n_speakers * len(emotions) * n_utterances, 8)
        Columns ``path`` (absolute file path, or None without ``directory``), ``emotion``,
        ``speaker`` (``"synthetic-01"`` …), ``corpus`` (``"synthetic"``), ``gender``,
        ``utterance`` (index within speaker and emotion), ``duration`` (seconds) and
        ``audio``: a ``(waveform, sr)`` tuple, the waveform a float32 array of shape
        ``(round(duration * sr),)``. Rows are ordered by speaker, emotion, utterance.

    See Also
    --------
    load_corpus : The same columns for real corpora.
    audio_inputs : What to pass to a pipeline (here, the in-memory waveforms).

    Examples
    --------
    >>> from sersk.datasets import make_emotional_speech
    >>> frame = make_emotional_speech(n_speakers=2, n_utterances=1, random_state=0)
    >>> frame.shape
    (12, 8)
    >>> frame[["emotion", "speaker", "gender"]].head(3)
       emotion       speaker gender
    0  neutral  synthetic-01   male
    1    happy  synthetic-01   male
    2      sad  synthetic-01   male
    >>> y, sr = frame["audio"][0]
    >>> y.dtype, sr
    (dtype('float32'), 16000)
    >>> bool(frame.attrs["synthetic"])
    True
    """
    from scipy import signal

    n_speakers = _check_count(n_speakers, "n_speakers")
    n_utterances = _check_count(n_utterances, "n_utterances")
    emotions = _check_emotions(emotions)
    low, high = _check_duration(duration)
    sr = _check_sample_rate(sr)
    seed = _seed(random_state)
    if directory is not None:
        directory = Path(directory).expanduser().absolute()
        directory.mkdir(parents=True, exist_ok=True)

    rows = []
    for k, seed_k in enumerate(np.random.SeedSequence(seed).spawn(n_speakers), start=1):
        rng = np.random.default_rng(seed_k)
        speaker = _draw_speaker(rng, gender="male" if k % 2 else "female")
        speaker_id = f"synthetic-{k:02d}"
        channel = _channel_filter(speaker.channel, sr)
        filters = {
            "channel": channel,
            "frication": np.vstack([
                signal.butter(2, min(speaker.frication, 0.4 * sr), "highpass", fs=sr,
                              output="sos"),
                channel,
            ]),
        }
        for emotion in emotions:
            for utterance in range(n_utterances):
                clip_duration = float(rng.uniform(low, high))
                y = _synthesise(rng, speaker, emotion, duration=clip_duration, sr=sr,
                                filters=filters)
                path = None
                if directory is not None:
                    path = str(directory / f"{speaker_id}_{emotion}_{utterance:02d}.flac")
                    save_audio(path, y, sr)
                rows.append({
                    "path": path,
                    "emotion": emotion,
                    "speaker": speaker_id,
                    "corpus": "synthetic",
                    "gender": speaker.gender,
                    "utterance": utterance,
                    "duration": y.size / sr,
                    "audio": (y, sr),
                })
    frame = pd.DataFrame(rows, columns=list(rows[0]))
    frame.attrs = {"synthetic": True, "sr": sr}
    return frame


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_emotions(emotions: Any) -> list[str]:
    if isinstance(emotions, str) or not isinstance(emotions, Sequence) or not emotions:
        raise ValueError(
            f"emotions must be a non-empty list of emotion names, got {emotions!r}; choose from "
            f"{', '.join(_EXPRESSIONS)}"
        )
    unknown = [e for e in emotions if e not in _EXPRESSIONS]
    if unknown:
        raise ValueError(
            f"unknown emotion(s) {unknown!r}; choose from {', '.join(_EXPRESSIONS)}"
        )
    if len(set(emotions)) != len(emotions):
        raise ValueError(f"emotions must not repeat, got {list(emotions)!r}")
    return list(emotions)


def _check_duration(duration: Any) -> tuple[float, float]:
    try:
        bounds = [float(duration)] * 2 if np.isscalar(duration) else [float(d) for d in duration]
    except (TypeError, ValueError):
        bounds = []
    if len(bounds) != 2 or not 0.1 <= bounds[0] <= bounds[1] <= 60:
        raise ValueError(
            f"duration must be seconds between 0.1 and 60, or a (min, max) pair of them with "
            f"min <= max; got {duration!r}"
        )
    return bounds[0], bounds[1]


def _check_sample_rate(sr: Any) -> int:
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or not 8_000 <= sr <= 96_000:
        raise ValueError(f"sr must be a whole number of Hz between 8000 and 96000, got {sr!r}")
    return int(sr)


def _seed(random_state: Any) -> int:
    from sklearn.utils import check_random_state

    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**32))
    return int(check_random_state(random_state).randint(2**31 - 1))


def _draw_speaker(rng: np.random.Generator, *, gender: str) -> _Speaker:
    male = gender == "male"
    # The speaker's own version of each emotion, drawn for the whole vocabulary so that a
    # speaker's voice does not depend on which emotions are asked for.
    style = {
        emotion: rng.normal(0.0, [1.2, 0.15, 0.06, 1.5, 1.0]) for emotion in _EXPRESSIONS
    }
    return _Speaker(
        gender=gender,
        f0=(115.0 if male else 210.0) * float(np.exp(rng.normal(0.0, 0.12))),
        f0_range=2.0 * float(np.exp(rng.normal(0.0, 0.3))),
        vtl=(1.0 if male else 1.17) * float(np.exp(rng.normal(0.0, 0.05))),
        rate=4.5 * float(np.exp(rng.normal(0.0, 0.15))),
        loudness=float(rng.normal(0.0, 3.0)),
        tilt=float(rng.normal(0.0, 2.0)),
        breathiness=(0.05 if male else 0.08) + abs(float(rng.normal(0.0, 0.03))),
        jitter=float(np.exp(rng.normal(0.0, 0.3))),
        expressiveness=float(np.exp(rng.normal(0.0, 0.3))),
        style=style,
        channel=np.column_stack([
            np.exp(rng.uniform(np.log([200.0, 800.0, 3000.0]), np.log([600.0, 2500.0, 6000.0]))),
            rng.normal(0.0, 3.0, size=3),
            rng.uniform(0.7, 1.5, size=3),
        ]),
        frication=float(rng.uniform(2500.0, 5000.0)),
        noise_db=float(rng.uniform(-65.0, -50.0)),
    )


def _synthesise(
    rng: np.random.Generator,
    speaker: _Speaker,
    emotion: str,
    *,
    duration: float,
    sr: int,
    filters: dict[str, np.ndarray],
) -> np.ndarray:
    """One clip: ``round(duration * sr)`` float32 samples.

    ``filters`` holds the speaker's fixed filters at ``sr`` as second-order sections:
    ``"channel"`` (microphone and room) and ``"frication"`` (the high-pass of their fricatives,
    then the channel).
    """
    from scipy import signal

    e = _EXPRESSIONS[emotion]
    neutral = _EXPRESSIONS["neutral"]
    # Expressiveness scales the departure from neutral; the speaker's style and the
    # utterance's own variation are added on top.
    x = speaker.expressiveness
    d_f0, d_range, d_rate, d_loud, d_tilt = speaker.style[emotion]
    f0_shift = x * e.f0 + d_f0 + rng.normal(0.0, 0.7)
    f0_range = speaker.f0_range * max(0.15, 1 + x * (e.f0_range - 1) + d_range)
    rate = speaker.rate * max(0.4, 1 + x * (e.rate - 1) + d_rate) * np.exp(rng.normal(0.0, 0.07))
    loudness = speaker.loudness + x * e.loudness + d_loud + rng.normal(0.0, 1.5)
    tilt = speaker.tilt + x * e.tilt + d_tilt + rng.normal(0.0, 0.7)
    breathiness = max(0.005, speaker.breathiness + x * (e.breathiness - neutral.breathiness))
    jitter = e.jitter * speaker.jitter

    n = max(1, round(duration * sr))
    # One draw of noise serves aspiration, frication and background, at offsets far apart
    # enough (over 60 ms) for the three to be uncorrelated.
    offset = 1024 * max(1, sr // 16_000)
    noise = rng.standard_normal(n + 2 * offset, dtype=np.float32)
    aspiration_noise, frication_noise, background = (
        noise[k * offset:k * offset + n] for k in range(3)
    )

    # Syllables: durations around 1/rate, between leading and trailing silence; each starts
    # with a consonant-like dip (sometimes fricated) and carries a vowel.
    lead, trail = (min(rng.uniform(0.08, 0.2), 0.15 * duration) for _ in range(2))
    start = round(lead * sr)
    stop = max(start + 1, n - round(trail * sr))
    n_syllables = max(1, min(stop - start, round((stop - start) / sr * rate)))
    lengths = rng.gamma(8.0, 1.0, size=n_syllables)
    bounds = start + np.round(
        np.concatenate([[0.0], np.cumsum(lengths) / lengths.sum()]) * (stop - start)
    ).astype(int)
    bounds[1:] = np.maximum(bounds[1:], bounds[:-1] + 1)
    bounds[-1] = stop
    sizes = np.diff(bounds)
    onsets = rng.uniform(0.2, 0.4, size=n_syllables)
    nuclei = bounds[:-1] + np.round(onsets * sizes).astype(int)
    centres = (nuclei + bounds[1:]) / 2 / sr

    # Syllable envelopes at a 0.5 ms control rate: position within the syllable (0 to 1),
    # the vowel's rise and fall after the onset, and frication during some onsets.
    step = max(1, round(0.0005 * sr))
    ticks = np.arange(start, stop, step)
    index = np.searchsorted(bounds, ticks, side="right") - 1
    position = (ticks - bounds[index]) / sizes[index]
    onset = onsets[index]
    nucleus = np.clip((position - onset) / (1 - onset), 0.0, 1.0)
    stress = np.exp(rng.normal(0.0, 0.25, size=n_syllables))
    fricated = (rng.random(n_syllables) < 0.5)[index] & (position < onset)
    voiced = np.zeros(n)
    voiced[start:stop] = np.repeat(np.sqrt(np.sin(np.pi * nucleus)) * stress[index],
                                   step)[:stop - start]
    frication = np.zeros(n)
    frication[start:stop] = np.repeat(
        np.where(fricated, np.sin(np.pi * position / onset) ** 2, 0.0), step
    )[:stop - start]

    # F0 at a 2 ms control rate: declination, an accent per syllable, the final movement,
    # tremor and jitter (a new perturbation every period).
    hop = max(1, round(0.002 * sr))
    times = np.arange(0, n + hop, hop) / sr
    accents = rng.normal(0.0, f0_range, size=n_syllables)
    accents[-1] += e.final * x
    targets = f0_shift + np.linspace(1.0, -1.0, n_syllables) + accents
    semitones = _smooth(np.interp(times, centres, targets), 25)
    semitones += e.tremor * x * np.sin(2 * np.pi * rng.uniform(5.0, 7.0) * times
                                       + rng.uniform(0, 7))
    f0 = np.repeat(speaker.f0 * 2 ** (semitones / 12), hop)[:n]
    period = max(1, round(sr / speaker.f0))
    f0 *= 1 + jitter * np.repeat(rng.standard_normal(n // period + 1), period)[:n]
    f0 = np.clip(f0, 50.0, 600.0)

    # Source: a pulse per glottal cycle (split between the two samples around its exact time)
    # with shimmer; glottal roll-off, lip radiation and the emotion's tilt; aspiration noise
    # strongest at the start of each cycle.
    phase = np.cumsum(f0) / sr
    cycles = np.floor(phase)
    wraps = np.flatnonzero(np.diff(cycles)) + 1
    late = np.clip((phase[wraps] - cycles[wraps]) * sr / f0[wraps], 0.0, 1.0)
    amplitude = 1 + e.shimmer * rng.standard_normal(wraps.size)
    pulses = np.zeros(n)
    pulses[wraps] += amplitude * (1 - late)
    pulses[wraps - 1] += amplitude * late
    source = _glottal(pulses, f0=speaker.f0, tilt=tilt, sr=sr)
    source /= np.sqrt(np.mean(source**2)) + 1e-12
    cycle = 1 - (phase - cycles)
    source += np.sqrt(breathiness) * 2.2 * cycle * cycle * aspiration_noise
    source *= voiced

    # Vocal tract: one vowel per syllable (the source is silent at syllable boundaries, where
    # the formants jump); sad, calm, bored and disgusted voices articulate less (more
    # schwa-like).
    vowels = _VOWELS[rng.integers(0, len(_VOWELS) - 1, size=n_syllables)]
    centralise = 0.3 if e.f2 < 1 else 0.0
    vowels = (1 - centralise) * vowels + centralise * _VOWELS[-1]
    vowels = vowels * speaker.vtl * np.array([e.f1, e.f2, 1.0, 1.0, 1.0])
    vowels *= np.exp(rng.normal(0.0, 0.04, size=vowels.shape))
    y = _vocal_tract(source, bounds[:-1], vowels,
                     bandwidths=_BANDWIDTHS * (1 + 3 * breathiness), sr=sr,
                     channel=filters["channel"])

    # Frication: high-passed noise in the onsets, through the same microphone.
    y /= np.sqrt(np.mean(y[start:stop] ** 2)) + 1e-12
    y += 0.3 * frication * signal.sosfilt(filters["frication"], frication_noise)

    # Loudness of the speech, then the recording's background noise.
    y *= 10 ** ((_REFERENCE_DB + loudness) / 20) / (np.sqrt(np.mean(y[start:stop] ** 2)) + 1e-12)
    y += 10 ** (speaker.noise_db / 20) * background
    peak = np.max(np.abs(y))
    if peak > _PEAK:
        y *= _PEAK / peak
    return y.astype(np.float32)


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Moving average over ``width`` samples, edges held."""
    if width < 2:
        return x
    padded = np.pad(x, (width // 2, width - 1 - width // 2), mode="edge")
    cumulative = np.concatenate([[0.0], np.cumsum(padded)])
    return (cumulative[width:] - cumulative[:-width]) / width


def _glottal(pulses: np.ndarray, *, f0: float, tilt: float, sr: int) -> np.ndarray:
    """Glottal flow roll-off (-6 dB/octave above F0), lip radiation (+6 dB/octave) and a shelf
    that tilts the spectrum by ``tilt`` dB per octave over 500-4000 Hz.

    The vocal-tract resonators, each with unit gain at 0 Hz, add the fall of natural speech
    spectra above the first formant.
    """
    from scipy import signal

    # A first-order shelf: 6 dB/octave between its corner frequencies, which span
    # 3 * |tilt| dB; a zero below the pole brightens, a pole below the zero darkens.
    low = 500.0
    high = min(low * 10 ** (3 * abs(tilt) / 20), 0.45 * sr)
    zero, pole = (low, high) if tilt > 0 else (high, low)
    # Bilinear transform of (1 + s / wz) / (1 + s / wp), written out.
    k = 2.0 * sr
    kz, kp = k / (2 * np.pi * zero), k / (2 * np.pi * pole)
    shelf_b = np.array([1 + kz, 1 - kz]) / (1 + kp)
    shelf_a = np.array([1.0, (1 - kp) / (1 + kp)])
    # One filter for all three: flow (one pole at F0), radiation (a difference), shelf.
    flow = np.exp(-2 * np.pi * f0 / sr)
    b = (1 - flow) * np.convolve([1.0, -1.0], shelf_b)
    a = np.convolve([1.0, -flow], shelf_a)
    return signal.lfilter(b, a, pulses)


def _vocal_tract(
    source: np.ndarray, edges: np.ndarray, formants: np.ndarray, *, bandwidths: np.ndarray,
    sr: int, channel: np.ndarray,
) -> np.ndarray:
    """Filter ``source`` through a cascade of formant resonators, then the ``channel``
    sections, segment by segment.

    Segment ``i`` runs from ``edges[i]`` to ``edges[i + 1]`` (the last to the end) with the
    formants ``formants[i]``; the filter state carries over, so resonances ring on across
    segment boundaries, which fall where the source is silent or nearly so.
    """
    from scipy import signal

    out = np.empty_like(source)
    edges = np.clip(np.append(edges, source.size), 0, source.size)
    edges[0] = 0
    state = np.zeros((formants.shape[1] + len(channel), 2))
    for begin, end, peaks in zip(edges[:-1], edges[1:], formants, strict=True):
        if end <= begin:
            continue
        sos = np.vstack([_resonators(np.minimum(peaks, 0.45 * sr), bandwidths, sr), channel])
        out[begin:end], state = signal.sosfilt(sos, source[begin:end], zi=state)
    return out


def _resonators(frequencies: np.ndarray, bandwidths: np.ndarray, sr: int) -> np.ndarray:
    """Second-order sections of Klatt's digital resonators, each with unit gain at 0 Hz."""
    r = np.exp(-np.pi * bandwidths / sr)
    a1 = -2 * r * np.cos(2 * np.pi * frequencies / sr)
    a2 = r**2
    sos = np.zeros((len(frequencies), 6))
    sos[:, 0] = 1 + a1 + a2
    sos[:, 3] = 1
    sos[:, 4] = a1
    sos[:, 5] = a2
    return sos


def _channel_filter(peaks: np.ndarray, sr: int) -> np.ndarray:
    """Second-order sections of peaking filters, one per row of (centre Hz, gain dB, Q).

    The audio-EQ-cookbook peaking filter (R. Bristow-Johnson); peaks above 0.45 * sr are left
    out.
    """
    peaks = peaks[peaks[:, 0] < 0.45 * sr]
    w0 = 2 * np.pi * peaks[:, 0] / sr
    amplitude = 10 ** (peaks[:, 1] / 40)
    alpha = np.sin(w0) / (2 * peaks[:, 2])
    b = np.column_stack([1 + alpha * amplitude, -2 * np.cos(w0), 1 - alpha * amplitude])
    a = np.column_stack([1 + alpha / amplitude, -2 * np.cos(w0), 1 - alpha / amplitude])
    return np.hstack([b, a]) / a[:, :1]
