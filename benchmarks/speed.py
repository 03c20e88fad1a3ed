"""Feature-extraction speed: cold (empty cache) and warm (every clip cached), as × real time.

    python -m benchmarks.speed --corpus ravdess --data-home ../shared/corpora --n-jobs 2

Cold runs start from an empty cache folder, in this process, with worker start-up included;
warm runs read every clip's frames back from that cache (hashing the audio to find them) and
pool them. The duration is the sum of the clips' durations read from their headers.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

from sersk.datasets import load_corpus
from sersk.features import MFCC, HandcraftedFeatures

EXTRACTORS = {"handcrafted": HandcraftedFeatures, "mfcc": MFCC}


def _time(extractor, paths) -> float:
    start = time.perf_counter()
    extractor.fit(paths).transform(paths)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="ravdess")
    parser.add_argument("--data-home", required=True, help="folder holding the corpus folder")
    parser.add_argument("--features", choices=sorted(EXTRACTORS), default="handcrafted")
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--warm-runs", type=int, default=3)
    args = parser.parse_args(argv)

    frame = load_corpus(args.corpus, args.data_home)
    paths = frame["path"].tolist()
    seconds_of_audio = sum(sf.info(p).duration for p in paths)
    cache = Path(tempfile.mkdtemp(prefix="sersk-speed-"))
    try:
        extractor = EXTRACTORS[args.features](n_jobs=args.n_jobs, memory=cache)
        cold = _time(extractor, paths)
        warm = min(_time(extractor, paths) for _ in range(args.warm_runs))
    finally:
        shutil.rmtree(cache, ignore_errors=True)

    print(f"{args.corpus}: {len(paths)} clips, {seconds_of_audio / 3600:.2f} h of audio, "
          f"{args.features} features, n_jobs={args.n_jobs}")
    print(f"cold (empty cache): {cold:6.2f} s  = {seconds_of_audio / cold:7.0f} x real time")
    print(f"warm (all cached):  {warm:6.2f} s  = {seconds_of_audio / warm:7.0f} x real time "
          f"(best of {args.warm_runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
