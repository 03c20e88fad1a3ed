"""``sersk info`` and ``sersk pipelines``: what a saved model is, what can be trained."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..exceptions import SerskError
from ._common import CommandError, command, load_model_file, note


def add_info_parser(commands) -> None:
    parser = command(
        commands, "info", "show what a saved model is",
        "Show what a saved model is: its pipeline, emotions, training corpora and size,\n"
        "cross-validation scores, when it was saved and with which versions of sersk and\n"
        "its libraries (those that differ from the installed ones are marked). A model saved\n"
        "by sersk is not unpickled, so this works on models that do not load here, and is\n"
        "safe on files you do not trust; a plain joblib file is loaded to see what it is.",
    )
    parser.add_argument("model", metavar="MODEL", help="a model saved by 'sersk train'")
    parser.add_argument("--json", action="store_true", help="print the metadata as JSON")
    parser.set_defaults(handler=cmd_info)


def add_pipelines_parser(commands) -> None:
    parser = command(
        commands, "pipelines", "list the named pipelines, or describe one",
        "List the named pipelines 'sersk train' can train, or describe one: what it does, how\n"
        "its defaults were chosen, its steps and its search space.",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", default=None,
                        help="the pipeline to describe")
    parser.set_defaults(handler=cmd_pipelines)


def cmd_info(args: argparse.Namespace) -> int:
    from ..persistence import library_versions, read_metadata

    path = Path(args.model)
    try:
        meta = read_metadata(path)
    except SerskError as exc:
        if not path.is_file() or "no sersk metadata" not in str(exc):
            raise
        # No sersk metadata: a plain joblib file says what it is only once unpickled, and a
        # corrupt file is only known to be one when that fails; so load first, then say which.
        _, meta = load_model_file(args.model)
        note(f"{path} is a plain joblib file without sersk metadata; what follows was read "
             "by loading it")
    if args.json:
        print(json.dumps(meta, indent=2, ensure_ascii=False))
        return 0
    print(_info_text(path, meta, library_versions()))
    return 0


def _info_text(path: Path, meta: dict, installed: dict) -> str:
    import pipelines

    name = meta.get("pipeline")
    summary = ""
    if name in pipelines.available():
        summary = f": {pipelines.get_spec(name).summary}"
    size = path.stat().st_size
    lines = [
        f"{path} ({_size(size)}, saved {meta.get('created') or 'at an unknown time'})",
        f"pipeline   {name or 'unknown'}{summary}",
        f"emotions   {', '.join(map(str, meta.get('classes', [])))}",
        f"rate       {meta.get('sample_rate', '?')} Hz",
    ]
    corpora = ", ".join(meta.get("corpora") or []) or "unknown"
    trained = f"trained on {corpora}"
    if meta.get("n_train"):
        trained += f": {meta['n_train']} clips"
        if meta.get("n_speakers"):
            trained += f", {meta['n_speakers']} speakers"
    lines.append(f"data       {trained}")
    if meta.get("synthetic"):
        lines.append("           (synthetic sounds, not speech: not a real emotion model)")
    if meta.get("params"):
        lines.append("params     " + ", ".join(f"{k}={v}" for k, v in meta["params"].items()))
    metrics = meta.get("metrics") or {}
    if "uar_mean" in metrics:
        lines.append(
            f"scores     {metrics.get('protocol', '')} {metrics.get('n_splits', '?')}-fold CV: "
            f"UAR {metrics['uar_mean']:.3f} ± {metrics.get('uar_std', float('nan')):.3f}, "
            f"accuracy {metrics.get('accuracy_mean', float('nan')):.3f}, macro-F1 "
            f"{metrics.get('macro_f1_mean', float('nan')):.3f}"
        )
    else:
        lines.append("scores     none stored (train with --cv to store cross-validation "
                     "scores)")
    if meta.get("command"):
        lines.append(f"command    {meta['command']}")
    saved = meta.get("versions") or {}
    if saved:
        lines.append("versions   saved with:")
        for lib, version in saved.items():
            here = installed.get(lib, "not installed")
            mark = "" if here == version else f"   (installed here: {here})"
            lines.append(f"  {lib:<17} {version}{mark}")
    return "\n".join(lines)


def cmd_pipelines(args: argparse.Namespace) -> int:
    import pipelines

    if args.name:
        if args.name not in pipelines.available():
            raise CommandError(f"no pipeline named {args.name!r}; available: "
                               f"{', '.join(pipelines.available())}")
        print(pipelines.describe(args.name))
        return 0
    width = max(map(len, pipelines.available())) + 2
    for name in pipelines.available():
        print(f"{name:<{width}}{pipelines.get_spec(name).summary}")
    return 0


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1e6 else f"{n_bytes / 1e3:.0f} kB"
