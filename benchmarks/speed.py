"""Feature-extraction speed: cold (empty cache) and warm (every clip cached), as × real time.

    python -m benchmarks.speed --corpus ravdess --data-home ../shared/corpora --n-jobs 2
    python -m benchmarks.speed --features handcrafted egemaps compare --limit 100 \
        --data-home ../shared/corpora --n-jobs 1
    python -m benchmarks.speed --features whisper --whisper-model DIR --layer 2 3 4 \
        --data-home ../shared/corpora --n-jobs 2 --limit 300 --warm-runs 1

Cold runs start from an empty cache folder, in this process, with worker start-up included;
warm runs read every clip's frames back from that cache (hashing the audio to find them) and
pool them. The duration is the sum of the clips' durations read from their headers.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

from sersk.datasets import load_corpus
from sersk.features import MFCC, HandcraftedFeatures, OpenSmileFunctionals

EXTRACTORS = {
    "handcrafted": HandcraftedFeatures,
    "mfcc": MFCC,
    # openSMILE's sets need the opensmile extra.
    "egemaps": functools.partial(OpenSmileFunctionals, feature_set="eGeMAPSv02"),
    "compare": functools.partial(OpenSmileFunctionals, feature_set="ComParE_2016"),
    "whisper": None,
}


def _whisper(args, **params):
    from sersk.features.encoders import WhisperEncoderEmbedding

    if args.whisper_model is None:
        raise SystemExit("--features whisper needs --whisper-model DIR")
    layer = args.layer[0] if len(args.layer) == 1 else tuple(args.layer)
    return WhisperEncoderEmbedding(
        model=args.whisper_model, layer=layer, pad_to_seconds=args.pad_to_seconds,
        compute_type=args.compute_type, pooling="mean_std", **params,
    )


def _time(extractor, paths) -> float:
    start = time.perf_counter()
    extractor.fit(paths).transform(paths)
    return time.perf_counter() - start


def _time_features(features, args, paths) -> tuple[float, float | None]:
    """Seconds to extract every clip from an empty cache, then the best of the warm runs."""
    cache = Path(tempfile.mkdtemp(prefix="sersk-speed-"))
    try:
        params = {"n_jobs": args.n_jobs, "memory": cache}
        if features == "whisper":
            extractor = _whisper(args, **params)
        else:
            extractor = EXTRACTORS[features](**params)
        cold = _time(extractor, paths)
        warm = min((_time(extractor, paths) for _ in range(args.warm_runs)), default=None)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return cold, warm


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="ravdess")
    parser.add_argument("--data-home", required=True, help="folder holding the corpus folder")
    parser.add_argument("--features", choices=sorted(EXTRACTORS), nargs="+",
                        default=["handcrafted"],
                        help="one or more feature sets, timed one after the other on the same "
                        "clips")
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="time N clips drawn at random (seed 0) instead of all")
    whisper = parser.add_argument_group("whisper features")
    whisper.add_argument("--whisper-model", metavar="DIR")
    whisper.add_argument("--layer", type=int, nargs="+", default=[2, 3, 4])
    whisper.add_argument("--pad-to-seconds", type=float, default=None)
    whisper.add_argument("--compute-type", default="int8")
    args = parser.parse_args(argv)

    frame = load_corpus(args.corpus, args.data_home)
    if args.limit is not None and args.limit < len(frame):
        frame = frame.sample(n=args.limit, random_state=0)
    paths = frame["path"].tolist()
    seconds_of_audio = sum(sf.info(p).duration for p in paths)
    print(f"{args.corpus}: {len(paths)} clips, {seconds_of_audio / 3600:.2f} h of audio, "
          f"n_jobs={args.n_jobs}")
    for features in args.features:
        cold, warm = _time_features(features, args, paths)
        what = features
        if features == "whisper":
            what += (f" (layer {' '.join(map(str, args.layer))}, pad_to_seconds="
                     f"{args.pad_to_seconds}, {args.compute_type})")
        print(f"{what} features")
        print(f"  cold (empty cache): {cold:6.2f} s  = {seconds_of_audio / cold:7.0f} x real "
              f"time, {cold / len(paths):.4f} s/clip")
        if warm is not None:
            print(f"  warm (all cached):  {warm:6.2f} s  = {seconds_of_audio / warm:7.0f} x real "
                  f"time (best of {args.warm_runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
