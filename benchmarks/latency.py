"""Single-clip prediction latency of saved models: what a user of ``sersk predict``, the demo
page or the REST endpoint waits for, once the model is loaded.

    python -m benchmarks.latency                              # handcrafted-svm (and Whisper if
                                                              # registered and configured)
    python -m benchmarks.latency --pipelines mfcc-svm handcrafted-svm --runs 200
    python -m benchmarks.latency --model ser.joblib           # a model you trained

Each pipeline is trained on a small synthetic corpus (the latency does not depend on what a
model learnt), saved with :func:`sersk.persistence.save_model` and loaded back with
:func:`~sersk.persistence.load_model`; then one clip of ``--duration`` seconds (a 16-bit WAV at
16 kHz, the format of the shared corpora) is classified ``--runs`` times after a few warm-up
runs, in two ways:

- ``predict_proba([path])``: the pipeline as any scikit-learn code uses it (decode, features,
  classifier);
- ``predict_clips(model, [path])``: sersk's own path (the CLI, the demo and the MLflow model),
  which also validates the audio and builds the table row.

The table gives the wall-clock median, 90th percentile and minimum in milliseconds, and the
median CPU time of this process per call: on a busy shared machine (the load average is
printed) the wall clock also counts the time other programs held the CPU, the CPU time does
not, and the minimum comes close to what an idle machine would take.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.latency",
        description="Time single-clip prediction with saved, loaded sersk models.",
    )
    parser.add_argument("--pipelines", nargs="*", metavar="NAME", default=None,
                        help="registered pipelines to time (default: handcrafted-svm, and the "
                        "whisper-* pipelines when $SERSK_WHISPER_MODEL is set; none when "
                        "--model is given)")
    parser.add_argument("--model", nargs="+", metavar="MODEL", default=[],
                        help="saved model files to time as well")
    parser.add_argument("--duration", type=float, default=4.0,
                        help="clip length in seconds (default: 4)")
    parser.add_argument("--runs", type=int, default=100,
                        help="timed runs per model and way (default: 100)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first (default: 5)")
    return parser


def default_pipelines() -> list[str]:
    import pipelines

    names = ["handcrafted-svm"]
    if os.environ.get("SERSK_WHISPER_MODEL"):
        names += [n for n in pipelines.available() if n.startswith("whisper")]
    return names


def make_clip(folder: Path, duration: float) -> Path:
    """A clip of synthetic speech-like sound, ``duration`` seconds, 16-bit WAV at 16 kHz."""
    from sersk.audio import save_audio
    from sersk.datasets import make_emotional_speech

    frame = make_emotional_speech(n_speakers=1, n_utterances=1, emotions=("neutral",),
                                  duration=duration, random_state=0)
    y, sr = frame.loc[0, "audio"]
    path = folder / f"clip_{duration:g}s.wav"
    save_audio(path, y, sr, subtype="PCM_16")
    return path


def train_and_save(name: str, folder: Path) -> Path:
    """The named pipeline trained on a small synthetic corpus, saved; the file."""
    import pipelines
    from sersk.datasets import audio_inputs, make_emotional_speech
    from sersk.persistence import save_model

    frame = make_emotional_speech(n_speakers=4, n_utterances=3, random_state=0)
    model = pipelines.make(name).fit(audio_inputs(frame), frame["emotion"])
    path = folder / f"{name}.joblib"
    save_model(model, path, pipeline_name=name, corpora=["synthetic"], n_train=len(frame))
    return path


def time_calls(call, *, runs: int, warmup: int) -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock and CPU milliseconds of each of ``runs`` calls."""
    for _ in range(warmup):
        call()
    wall, cpu = np.empty(runs), np.empty(runs)
    for i in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall[i] = time.perf_counter() - start
        cpu[i] = time.process_time() - start_cpu
    return wall * 1000, cpu * 1000


def measure(label: str, model_path: Path, clip: Path, args: argparse.Namespace) -> list[dict]:
    from sersk.inference import predict_clips
    from sersk.persistence import load_model

    model, meta = load_model(model_path)
    ways = {
        "predict_proba([path])": lambda: model.predict_proba([str(clip)]),
        "predict_clips(model, [path])": lambda: predict_clips(model, [str(clip)]),
    }
    rows = []
    for way, call in ways.items():
        ms, cpu_ms = time_calls(call, runs=args.runs, warmup=args.warmup)
        rows.append({
            "model": label, "call": way, "median_ms": np.median(ms),
            "p90_ms": np.percentile(ms, 90), "min_ms": ms.min(),
            "median_cpu_ms": np.median(cpu_ms), "runs": args.runs,
        })
        print(f"  {label}: {way}: median {np.median(ms):.1f} ms", file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.pipelines is not None:
        names = args.pipelines
    else:
        names = [] if args.model else default_pipelines()
    rows = []
    with tempfile.TemporaryDirectory(prefix="sersk-latency-") as tmp:
        folder = Path(tmp)
        clip = make_clip(folder, args.duration)
        for name in names:
            print(f"training and saving {name} …", file=sys.stderr, flush=True)
            rows += measure(name, train_and_save(name, folder), clip, args)
        for path in args.model:
            rows += measure(Path(path).name, Path(path), clip, args)
    table = pd.DataFrame(rows)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nSingle-clip latency, {args.duration:g} s clip (16-bit WAV, 16 kHz), model loaded; "
          f"{args.runs} runs after {args.warmup} warm-up")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{load}; Python {platform.python_version()}\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
