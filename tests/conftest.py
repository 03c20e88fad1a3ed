"""Shared fixtures: every test builds its own small, seeded audio; no corpus, no network."""

from __future__ import annotations

import numpy as np
import pytest

from sersk.audio import save_audio

SR = 16_000


def voice_like(
    *,
    f0: float = 150.0,
    duration: float = 1.0,
    sr: int = SR,
    formants: tuple[float, ...] = (700.0, 1200.0, 2600.0),
    amplitude: float = 0.3,
    seed: int = 0,
) -> np.ndarray:
    """A crude vowel: a vibrato harmonic series shaped by formant peaks, plus a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * sr)) / sr
    f0_track = f0 * (1 + 0.03 * np.sin(2 * np.pi * 4 * t))
    phase = 2 * np.pi * np.cumsum(f0_track) / sr
    y = np.zeros_like(t)
    for k in range(1, int(4000 // f0)):
        fk = k * f0
        gain = sum(1.0 / (1 + ((fk - fm) / 120.0) ** 2) for fm in formants) / k**0.5
        y += gain * np.sin(k * phase)
    y += 0.01 * rng.standard_normal(t.size)
    envelope = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.05)
    y = y * envelope
    return (amplitude * y / np.max(np.abs(y))).astype(np.float32)


@pytest.fixture
def make_voice():
    """Factory for voice-like waveforms: ``make_voice(f0=..., duration=..., seed=...)``."""
    return voice_like


@pytest.fixture
def voice_files(tmp_path):
    """Twelve short voice-like WAV files at mixed rates (0.8 to 1.35 s, all over
    sersk.audio.MIN_DURATION): (paths, labels)."""
    paths, labels = [], []
    for i in range(12):
        label = ["low", "high"][i % 2]
        f0 = 110.0 if label == "low" else 260.0
        sr = [16_000, 22_050, 44_100][i % 3]
        y = voice_like(f0=f0 + 5 * i, duration=0.8 + 0.05 * i, sr=sr, seed=i)
        path = tmp_path / f"clip_{i:02d}.wav"
        save_audio(path, y, sr)
        paths.append(str(path))
        labels.append(label)
    return paths, labels
