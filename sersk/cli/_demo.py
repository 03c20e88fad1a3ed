"""``sersk demo``: serve the Streamlit demo page for a model."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import sersk

from ._common import MODEL_HELP, command, load_model_file, note


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
                        help="do not open a browser window")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..app import page_path
    from ..extras import require

    require("demo", "sersk demo")
    load_model_file(args.model)  # a bad model is reported here, not on the page
    argv = [
        sys.executable, "-m", "streamlit", "run", str(page_path()),
        "--server.address", args.host, "--server.port", str(args.port),
        "--server.headless", "true" if args.no_browser else "false",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
        "--", "--model", str(Path(args.model).resolve()),
    ]
    # The page imports sersk: make this sersk importable there even when it is not installed.
    env = dict(os.environ)
    root = str(Path(sersk.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    note(f"serving the demo for {args.model} on http://{args.host}:{args.port} "
         "(Ctrl+C stops it)")
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 0
