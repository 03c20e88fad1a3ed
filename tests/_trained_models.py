"""Small trained models for the tests of persistence, prediction, the command line, the demo and
serving. Each is trained once per test session (a few seconds) and copied by the tests that
change it."""

from __future__ import annotations

import functools
import os
import socket
import time
import urllib.request

import numpy as np
from conftest import SR, voice_like
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sersk.features import MFCC

LOW_F0, HIGH_F0 = 110.0, 260.0


@functools.cache
def pitch_model():
    """MFCC statistics -> logistic regression, telling low voices ("low") from high ("high").

    Predictable enough to check windows: a clip that goes from a low to a high voice goes from
    "low" to "high".
    """
    clips, labels = [], []
    for i in range(16):
        label = ["low", "high"][i % 2]
        f0 = (LOW_F0 if label == "low" else HIGH_F0) * (1 + 0.02 * (i // 2))
        clips.append((voice_like(f0=f0, duration=1.0 + 0.1 * (i % 5), seed=i), SR))
        labels.append(label)
    return make_pipeline(MFCC(n_mfcc=13), LogisticRegression(max_iter=1000)).fit(clips, labels)


@functools.cache
def registry_model():
    """The registry's mfcc-svm trained on a tiny synthetic corpus: (pipeline, frame)."""
    import pipelines
    from sersk.datasets import audio_inputs, make_emotional_speech

    frame = make_emotional_speech(n_speakers=3, n_utterances=2,
                                  emotions=("neutral", "angry", "sad"), random_state=0)
    model = pipelines.make("mfcc-svm").fit(audio_inputs(frame), frame["emotion"])
    return model, frame


def low_then_high(*, seconds: float = 7.0) -> np.ndarray:
    """A long clip: a low voice, then a high one."""
    return np.concatenate([voice_like(f0=LOW_F0, duration=seconds, seed=1),
                           voice_like(f0=HIGH_F0, duration=seconds, seed=2)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, *, timeout: float, process=None) -> None:
    """Poll ``url`` until it answers 200; fail early if ``process`` has exited."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before "
                               f"answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            last = exc
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout} s (last error: {last})")


def repo_env() -> dict:
    """The environment for a subprocess that must import this checkout's sersk."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


def stop(process, *, timeout: float = 10.0) -> None:
    """Stop a server started in its own session (start_new_session=True), with its children."""
    import signal
    import subprocess

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
