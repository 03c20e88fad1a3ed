"""Fundamental frequency (F0) and periodicity of speech, frame by frame, with YIN."""

from __future__ import annotations

import numpy as np
import scipy.fft

__all__ = ["pitch", "PITCH_COLUMNS"]

PITCH_COLUMNS = ("f0_semitones", "periodicity", "voiced")

# Semitones are counted from this frequency; 100 Hz sits between typical male and female F0.
_REFERENCE_HZ = 100.0
_ANALYSIS_SR = 8_000


def pitch(
    *,
    y: np.ndarray,
    sr: int,
    fmin: float = 60.0,
    fmax: float = 500.0,
    frame_length: int = 1024,
    hop_length: int = 160,
    threshold: float = 0.2,
) -> np.ndarray:
    """Frame-level F0 contour, periodicity and voicing of a waveform (YIN).

    The difference function of YIN (de Cheveigné & Kawahara, 2002) is computed for all frames at
    once through the FFT; the period is the first dip of the cumulative mean normalised
    difference under ``threshold``, refined by parabolic interpolation. Frames are centred like
    librosa's (``1 + len(y) // hop_length`` frames), so the columns line up with the other frame
    features of sersk.

    Unvoiced frames get the F0 of their voiced neighbours (linear interpolation), so statistics
    over the contour are not polluted by octave errors on noise; a clip with no voiced frame at
    all gets 0 semitones (100 Hz) everywhere and ``voiced`` all zero.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform.
    sr : int
        Sample rate in Hz.
    fmin, fmax : float, default=60.0, 500.0
        Search range for F0 in Hz (covers adult male to child speech).
    frame_length : int, default=1024
        Analysis frame in samples; must hold at least one period at ``fmin``.
    hop_length : int, default=160
        Samples between frames (10 ms at 16 kHz).
    threshold : float, default=0.2
        Largest normalised difference that counts as periodic.

    Returns
    -------
    features : ndarray of shape (n_frames, 3)
        Columns ``f0_semitones`` (F0 in semitones relative to 100 Hz), ``periodicity``
        (1 minus the normalised difference at the chosen period, in [0, 1]) and ``voiced``
        (1.0 or 0.0).

    See Also
    --------
    Pitch : The transformer that maps this function over a batch of clips and pools it.
    librosa.yin, librosa.pyin : Reference implementations (pyin is far slower).

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.features import pitch
    >>> sr = 16_000
    >>> t = np.arange(sr) / sr
    >>> y = np.sign(np.sin(2 * np.pi * 200 * t)) * 0.1
    >>> f = pitch(y=y, sr=sr)
    >>> f.shape
    (101, 3)
    >>> round(float(100 * 2 ** (np.median(f[:, 0]) / 12)))
    200
    """
    if not 0 < fmin < fmax:
        raise ValueError(f"need 0 < fmin < fmax, got fmin={fmin}, fmax={fmax}")
    min_period = max(1, int(np.floor(sr / fmax)))
    max_period = int(np.ceil(sr / fmin))
    if max_period >= frame_length:
        raise ValueError(
            f"frame_length={frame_length} cannot hold a period of fmin={fmin} Hz at sr={sr} "
            f"({max_period} samples); raise frame_length or fmin"
        )
    y = np.asarray(y, dtype=np.float32)
    n_frames = 1 + len(y) // hop_length
    if sr >= 2 * _ANALYSIS_SR and fmax < _ANALYSIS_SR / 4:
        # F0 needs no more than 8 kHz: analysing a decimated copy halves (or better) every FFT,
        # and parabolic interpolation keeps sub-sample period resolution.
        factor = sr // _ANALYSIS_SR
        import soxr

        y = np.asarray(soxr.resample(y, sr, sr / factor, quality="MQ"), dtype=np.float32)
        sr, frame_length, hop_length = sr / factor, frame_length // factor, hop_length / factor
        min_period = max(1, int(np.floor(sr / fmax)))
        max_period = int(np.ceil(sr / fmin))
    padded = np.pad(y, frame_length // 2)
    starts = np.round(np.arange(n_frames) * hop_length).astype(np.int64)
    needed = int(starts[-1]) + frame_length
    if padded.size < needed:
        padded = np.pad(padded, (0, needed - padded.size))
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame_length)[starts]

    window = frame_length - max_period
    # Circular correlation is exact with an FFT as long as the frame: for j < window and
    # lag <= max_period, j + lag < frame_length never wraps around.
    n_fft = 1 << int(np.ceil(np.log2(frame_length)))
    spectrum_a = scipy.fft.rfft(frames[:, :window], n=n_fft, axis=1)
    spectrum_b = scipy.fft.rfft(frames, n=n_fft, axis=1)
    correlation = scipy.fft.irfft(np.conj(spectrum_a) * spectrum_b, n=n_fft, axis=1)[
        :, : max_period + 1
    ]
    # Energy of x[start + lag : start + lag + window] for every frame and lag, from one running
    # sum over the signal (in float64: the difference below subtracts nearly equal numbers).
    running = np.concatenate([[0.0], np.cumsum(padded.astype(np.float64) ** 2)])
    at_lag = starts[:, None] + np.arange(max_period + 1)
    energy_lagged = running[at_lag + window] - running[at_lag]
    frame_energy = running[starts + frame_length] - running[starts]
    difference = energy_lagged[:, :1] + energy_lagged - 2 * correlation
    difference[:, 0] = 0.0
    np.maximum(difference, 0.0, out=difference)

    lags = np.arange(1, max_period + 1)
    cumulative = np.cumsum(difference[:, 1:], axis=1)
    normalised = np.ones_like(difference)
    np.divide(
        difference[:, 1:] * lags, cumulative, out=normalised[:, 1:], where=cumulative > 1e-12
    )

    search = normalised[:, min_period : max_period + 1]
    is_dip = np.zeros_like(search, dtype=bool)
    is_dip[:, 1:-1] = (search[:, 1:-1] <= search[:, :-2]) & (search[:, 1:-1] <= search[:, 2:])
    candidates = is_dip & (search < threshold)
    has_candidate = candidates.any(axis=1)
    best = np.where(has_candidate, candidates.argmax(axis=1), search.argmin(axis=1))

    rows = np.arange(n_frames)
    period = best + min_period
    inner = (period > min_period) & (period < max_period)
    left = normalised[rows, np.maximum(period - 1, 0)]
    centre = normalised[rows, period]
    right = normalised[rows, np.minimum(period + 1, max_period)]
    curvature = left - 2 * centre + right
    shift = np.zeros(n_frames)
    ok = inner & (np.abs(curvature) > 1e-12)
    shift[ok] = np.clip(0.5 * (left[ok] - right[ok]) / curvature[ok], -1, 1)
    f0 = sr / (period + shift)

    periodicity = np.clip(1.0 - centre, 0.0, 1.0)
    loud = frame_energy > 1e-4 * max(float(frame_energy.max()), 1e-20)
    voiced = has_candidate & loud

    semitones = 12.0 * np.log2(f0 / _REFERENCE_HZ)
    if voiced.any():
        semitones = np.interp(rows, rows[voiced], semitones[voiced])
    else:
        semitones = np.zeros(n_frames)
    return np.column_stack([semitones, periodicity, voiced.astype(np.float64)]).astype(
        np.float32
    )
