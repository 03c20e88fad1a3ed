"""``sersk demo``: serve the Streamlit demo page for a model."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import sersk

from ._common import MODEL_HELP, command, load_model_file, note

# Seconds the server gets to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0


def add_parser(commands) -> None:
    parser = command(
        commands, "demo", "serve the demo web page for a model (Streamlit)",
        "Serve a web page where you upload (or record) a clip, hear it, see its waveform and\n"
        "MFCCs or log-mel spectrogram, and get the emotion with its confidence and every\n"
        "emotion's probability. Needs Streamlit, the demo extra.\n\n"
        "example:\n"
        "  sersk demo ser.joblib --port 8501",
    )
    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; 0.0.0.0 for every interface (default: "
                        "%(default)s)")
    parser.add_argument("--port", type=int, default=8501,
                        help="port to listen on (default: %(default)s)")
    parser.add_argument("--no-browser", action="store_true",
                        help="do not open a browser window (none opens without a display)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..app import page_path
    from ..extras import require

    require("demo", "sersk demo")
    load_model_file(args.model)  # a bad model is reported here, not on the page
    # Headless always: a non-headless Streamlit asks for an e-mail address on its first run
    # (blocking, or exiting 255 without a terminal) and advertises itself; this command opens
    # the browser itself.
    argv = [
        sys.executable, "-m", "streamlit", "run", str(page_path()),
        "--server.address", args.host, "--server.port", str(args.port),
        "--server.headless", "true", "--server.showEmailPrompt", "false",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
        "--logger.level", "warning",
        "--", "--model", str(Path(args.model).resolve()),
    ]
    # The page imports sersk: make this sersk importable there even when it is not installed.
    env = dict(os.environ)
    root = str(Path(sersk.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    url = f"http://{host}:{args.port}"
    note(f"serving the demo for {args.model} on {url} (Ctrl+C stops it)")
    # No stdin: nothing the server runs can wait for an answer from the terminal.
    child = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)
    stopping = []

    def forward(signum, frame):
        # SIGTERM (a service manager, `kill`) reaches only this process: pass it on, or the
        # server would keep serving after this command is gone.
        stopping.append(signum)
        if child.poll() is None:
            child.send_signal(signum)

    signals = [s for s in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, s)]
    previous = {name: signal.signal(getattr(signal, name), forward) for name in signals}
    try:
        if not args.no_browser and _has_display():
            threading.Thread(target=_open_when_ready, args=(url, child), daemon=True).start()
        status = child.wait()
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    return 0 if stopping else status


def _has_display() -> bool:
    """Whether a browser window can open: always on macOS and Windows, with X or Wayland on
    Linux (elsewhere a browser would be a text one, taking over the terminal)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open_when_ready(url: str, child: subprocess.Popen, timeout: float = 60.0) -> None:
    import time
    import urllib.request
    import webbrowser

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                webbrowser.open(url)
                return
        except OSError:
            time.sleep(0.5)
