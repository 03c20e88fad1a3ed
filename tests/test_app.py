"""The demo page: what it computes, and the page itself in a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import urllib.request

import numpy as np
import pytest
from _trained_models import (
    free_port,
    low_then_high,
    pitch_model,
    registry_model,
    repo_env,
    stop,
    wait_for_http,
)
from conftest import SR, voice_like
from test_inference import wav_bytes

from sersk.app import analyse_clip, page_path, spectrogram_figure, waveform_figure
from sersk.audio import save_audio
from sersk.exceptions import AudioError
from sersk.persistence import save_model

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def missing(reason: str):
    """Skip where a browser-test tool is missing here; in CI (``$CI`` set) it must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, and CI must run the browser test (see .ci/run)")
    pytest.skip(reason)


# --- what the page shows, without Streamlit --------------------------------------------------

def test_analyse_clip_of_uploaded_bytes():
    upload = wav_bytes(voice_like(f0=260, duration=1.5, sr=22_050), 22_050)
    analysis = analyse_clip(pitch_model(), upload, name="up.wav")
    assert analysis.emotion == "high" and analysis.sr == 16_000
    assert analysis.duration == pytest.approx(1.5, rel=1e-3)  # resampled to the model's rate
    assert list(analysis.probabilities.index) == ["high", "low"]
    assert analysis.confidence == pytest.approx(analysis.probabilities.max())
    assert analysis.probabilities.sum() == pytest.approx(1.0)
    assert analysis.timeline is None


def test_analyse_long_clip_keeps_its_timeline():
    analysis = analyse_clip(pitch_model(), (low_then_high(seconds=7.0), SR))
    assert len(analysis.timeline) == 12
    np.testing.assert_allclose(analysis.probabilities["low"],
                               analysis.timeline["proba_low"].mean())


def test_analyse_clip_errors_are_readable():
    with pytest.raises(AudioError, match="^notes.txt: cannot be decoded as audio"):
        analyse_clip(pitch_model(), b"Dear diary, today I was happy.", name="notes.txt")
    with pytest.raises(AudioError, match="^up.wav: is too short to judge: 100 ms of audio"):
        analyse_clip(pitch_model(), wav_bytes(voice_like(duration=0.1), SR), name="up.wav")


@pytest.mark.parametrize("kind, n_rows", [("mfcc", 39), ("log-mel", 64)])
def test_spectrogram_figure(kind, n_rows):
    y = voice_like(duration=1.0)
    figure = spectrogram_figure(y, SR, kind=kind)
    image = figure.axes[0].get_images()[0]
    assert image.get_array().shape[0] == n_rows
    assert image.get_extent()[1] == pytest.approx(1.0)


def test_spectrogram_kind_is_checked():
    with pytest.raises(ValueError, match="kind must be"):
        spectrogram_figure(voice_like(), SR, kind="cqt")


def test_waveform_figure_of_short_and_long_clips():
    for seconds in (0.1, 30.0):
        figure = waveform_figure(voice_like(duration=seconds), SR)
        assert figure.axes[0].get_xlim() == pytest.approx((0, seconds))


def test_the_page_imports_streamlit_and_sersk_does_not():
    code = page_path().read_text()
    assert "import streamlit as st" in code
    result = subprocess.run(
        [sys.executable, "-c", "import sys, sersk.app, sersk.cli, sersk.inference; "
         "print('streamlit' in sys.modules)"],
        capture_output=True, text=True, env=repo_env(), timeout=120,
    )
    assert result.stdout.strip() == "False", result.stderr



# --- the demo server --------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux: read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    # The command name (field 2) may hold spaces; the fields after it do not.
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.slow
@pytest.mark.network_server
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_demo_starts_quietly_on_a_fresh_machine_and_stops_with_sigterm(tmp_path):
    """No ~/.streamlit, no terminal, no display: Streamlit's first-run e-mail prompt must not
    block the start (or end it with status 255), and SIGTERM to ``sersk demo`` must stop the
    Streamlit server it started, not leave it serving."""
    pytest.importorskip("streamlit")
    save_model(pitch_model(), tmp_path / "ser.joblib")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in repo_env().items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["HOME"] = str(home)
    port = free_port()
    health = f"http://127.0.0.1:{port}/_stcore/health"
    with open(tmp_path / "demo.log", "w") as log:
        demo = subprocess.Popen(
            [sys.executable, "-m", "sersk", "demo", str(tmp_path / "ser.joblib"),
             "--port", str(port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,
        )
        try:
            wait_for_http(health, timeout=90, process=demo)
            servers = _children(demo.pid)
            assert servers, "sersk demo runs Streamlit in a child process"
            demo.send_signal(signal.SIGTERM)
            assert demo.wait(timeout=60) == 0
        finally:
            stop(demo)  # whatever is left of its process group
    for pid in servers:
        assert not os.path.exists(f"/proc/{pid}"), "the Streamlit server outlived sersk demo"
    with pytest.raises(OSError):
        urllib.request.urlopen(health, timeout=2)
    output = (tmp_path / "demo.log").read_text()
    assert "email" not in output.lower() and "usage statistics" not in output.lower(), output
    assert not (home / ".streamlit").exists()


# --- the page in a browser -------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    try:
        import streamlit  # noqa: F401
    except ImportError:
        missing("Streamlit is not installed (pip install 'sersk[demo]')")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install playwright; never 'playwright "
                "install': the test drives the system's Chromium)")
    executable = os.environ.get("SERSK_CHROMIUM") or shutil.which("chromium")
    if not executable:
        missing("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def demo(browser, tmp_path_factory):
    """``sersk demo`` serving a small trained model on a free port: its URL."""
    folder = tmp_path_factory.mktemp("demo")
    model, _ = registry_model()
    save_model(model, folder / "ser.joblib", pipeline_name="mfcc-svm", corpora=["synthetic"],
               extra={"synthetic": True})
    port = free_port()
    log = open(folder / "demo.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "sersk", "demo", str(folder / "ser.joblib"), "--port", str(port),
         "--no-browser"],
        stdout=log, stderr=subprocess.STDOUT, env=repo_env(), start_new_session=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=90, process=server)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)
        log.close()


@pytest.mark.network_server
def test_demo_page_predicts_an_upload_and_explains_a_bad_one(browser, demo, tmp_path):
    from sersk.datasets import make_emotional_speech

    model, _ = registry_model()
    clip = make_emotional_speech(n_speakers=1, n_utterances=1, emotions=("angry",),
                                 random_state=9).loc[0, "audio"]
    wav = tmp_path / "angry_clip.wav"
    save_audio(wav, *clip)
    expected = model.predict([str(wav)])[0]

    page = browser.new_page(viewport={"width": 1100, "height": 1500})
    try:
        page.goto(demo)
        page.get_by_text("Speech emotion recognition").first.wait_for(timeout=60_000)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("mfcc-svm").wait_for(timeout=30_000)
        # Streamlit draws the sidebar element by element: wait for the warning, not just read.
        sidebar.get_by_text("synthetic sounds, not speech").wait_for(timeout=30_000)
        page.locator('input[type="file"]').set_input_files(str(wav))
        heading = page.get_by_text("Predicted emotion:")
        heading.wait_for(timeout=60_000)
        assert heading.inner_text().strip() == f"Predicted emotion: {expected}"
        page.get_by_text("Confidence:").wait_for()
        chart = page.locator('[data-testid="stVegaLiteChart"]')
        chart.first.wait_for(timeout=30_000)
        assert chart.count() == 1
        page.locator('[data-testid="stAudio"]').first.wait_for()
        images = page.locator('[data-testid="stImage"]')
        images.nth(1).wait_for(timeout=30_000)  # the waveform and the MFCCs
        if os.environ.get("SERSK_DEMO_SCREENSHOT"):
            page.wait_for_timeout(1500)  # let the chart finish drawing
            page.screenshot(path=os.environ["SERSK_DEMO_SCREENSHOT"])

        bad = tmp_path / "notes.wav"
        bad.write_text("this is a text file, not a recording")
        page.locator('input[type="file"]').set_input_files(str(bad))
        error = page.get_by_text("Cannot analyse this clip.")
        error.wait_for(timeout=60_000)
        assert "notes.wav: cannot be decoded as audio" in error.inner_text()
        assert page.get_by_text("Predicted emotion:").count() == 0
        assert "Traceback" not in page.content()
    finally:
        page.close()
