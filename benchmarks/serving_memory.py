"""Memory of a served model under repeated large requests: RSS before, during and after.

    python -m benchmarks.serving_memory                       # 20 requests of each kind
    python -m benchmarks.serving_memory --requests 5 --seconds 120
    python -m benchmarks.serving_memory --model ser.joblib    # a model you trained

A small mfcc-svm (trained on the synthetic corpus; what it learnt does not change its memory)
is written as an MLflow model and served with ``mlflow models serve --env-manager local -w 1``
on 127.0.0.1 only. Its resident memory (the server and its children, from ``/proc``) is read
once it answers a small request, then after each request of two kinds, sent one after another:

- ``within limits``: ``--rows`` clips of ``--seconds`` seconds each (16-bit WAV at 16 kHz,
  noise), as base64, inside the served model's default limits, so classified in windows;
- ``over limits``: one clip of ``--long-seconds`` seconds (30 minutes by default), which the
  server must refuse (HTTP 400) without decoding it.

Linux only (it reads ``/proc``). The table gives the RSS in MB and the seconds per request.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.serving_memory",
        description="RSS of 'mlflow models serve' over repeated large requests (loopback only).",
    )
    parser.add_argument("--model", default=None, help="a saved model (default: a small "
                        "mfcc-svm trained on the synthetic corpus)")
    parser.add_argument("--requests", type=int, default=20, help="requests of each kind")
    parser.add_argument("--rows", type=int, default=2, help="clips per request within limits")
    parser.add_argument("--seconds", type=float, default=300.0,
                        help="seconds per clip within limits (default: 300, the per-clip limit)")
    parser.add_argument("--long-seconds", type=float, default=1800.0,
                        help="seconds of the over-limit clip (default: 1800)")
    return parser


def _wav_base64(seconds: float, seed: int) -> str:
    import soundfile as sf

    rng = np.random.default_rng(seed)
    y = (0.1 * rng.standard_normal(int(seconds * 16_000))).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, y, 16_000, format="WAV", subtype="PCM_16")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        stack.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from sersk.tracking import save_mlflow_model

    with tempfile.TemporaryDirectory() as tmp:
        if args.model is None:
            import pipelines
            from sersk.datasets import audio_inputs, make_emotional_speech

            frame = make_emotional_speech(n_speakers=3, n_utterances=2, random_state=0)
            model = pipelines.make("mfcc-svm").fit(audio_inputs(frame), frame["emotion"])
        else:
            model = args.model
        folder = save_mlflow_model(model, Path(tmp, "model"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = open(Path(tmp, "serve.log"), "w")
        server = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "models", "serve", "-m", folder, "--env-manager",
             "local", "-h", "127.0.0.1", "-p", str(port), "-w", "1"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}/invocations"
        try:
            small = json.dumps({"dataframe_records": [{"audio_base64": _wav_base64(2, 0)}]})
            deadline = time.monotonic() + 180
            while True:
                try:
                    if _post(url, small.encode())[0] == 200:
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.5)
            base = _rss_mb(server.pid)
            print(f"server RSS after one small request: {base:.0f} MB")
            within = json.dumps({"dataframe_records": [
                {"audio_base64": _wav_base64(args.seconds, i)} for i in range(args.rows)]})
            over = json.dumps({"dataframe_records": [
                {"audio_base64": _wav_base64(args.long_seconds, 99)}]})
            for kind, body, expected in (("within limits", within, 200),
                                         ("over limits", over, 400)):
                body = body.encode()
                rss, times = [], []
                for _ in range(args.requests):
                    start = time.perf_counter()
                    status, answer = _post(url, body)
                    times.append(time.perf_counter() - start)
                    if status != expected:
                        raise RuntimeError(f"{kind}: HTTP {status}: {str(answer)[:300]}")
                    rss.append(_rss_mb(server.pid))
                note = answer.get("message", "") if expected == 400 else \
                    f"{sum(r['error'] is None for r in answer['predictions'])} clips answered"
                print(f"{kind}: {args.requests} requests of {len(body) / 1e6:.0f} MB, "
                      f"HTTP {expected}, median {np.median(times):.2f} s/request; RSS after "
                      f"the 1st {rss[0]:.0f} MB, max {max(rss):.0f} MB, after the last "
                      f"{rss[-1]:.0f} MB ({note})")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
