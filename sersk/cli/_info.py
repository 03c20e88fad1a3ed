"""``sersk info`` and ``sersk pipelines``: what a saved model is, what can be trained."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..exceptions import SerskError
from ._common import CommandError, command


def add_info_parser(commands) -> None:
    parser = command(
        commands, "info", "show what a saved model is",
        "Show what a saved model is: its pipeline, emotions, training corpora and size,\n"
        "cross-validation scores, when it was saved and with which versions of sersk and\n"
        "its libraries (those that differ from the installed ones are marked). The file is\n"
        "never unpickled nor loaded, whatever it holds, so this works on models that do not\n"
        "load here and runs no code from the file. What it shows is what the file says of\n"
        "itself, unverified. A joblib (pickle) model runs code when 'sersk predict',\n"
        "'evaluate', 'demo' or a server load it: use only joblib files from a trusted\n"
        "source. A .skops model loads without running code from the file; info lists the\n"
        "types it names that sersk does not trust (such a file is refused).",
    )
    parser.add_argument("model", metavar="MODEL", help="a model saved by 'sersk train'")
    parser.add_argument("--json", action="store_true", help="print the metadata as JSON")
    parser.set_defaults(handler=cmd_info)


def add_pipelines_parser(commands) -> None:
    parser = command(
        commands, "pipelines", "list the named pipelines, or describe one",
        "List the named pipelines 'sersk train' can train, with what each needs beyond the\n"
        "core install (an install extra, a pretrained model) and whether it is here, or\n"
        "describe one: what it does, how its defaults were chosen, its steps and its search\n"
        "space.",
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
        # Never unpickled: what a plain pickle says of itself is only known by running it.
        from .. import _skops

        skops = _skops.is_skops(path)
        note = "a skops file without sersk metadata" if skops else _NO_METADATA
        if args.json:
            print(json.dumps({"format": "skops" if skops else None, "note": note}, indent=2))
        else:
            print(f"{path} ({_size(path.stat().st_size)}): {note}")
            if skops:
                print(_trust_line(path))
        return 0
    if args.json:
        print(json.dumps(meta, indent=2, ensure_ascii=False))
        return 0
    print(_info_text(path, meta, library_versions()))
    return 0


_NO_METADATA = (
    "no sersk metadata: a plain joblib or pickle file, or not a model at all. sersk info "
    "does not unpickle it, since unpickling runs code from the file: load it only if you "
    "trust its source."
)


def _trust_line(path: Path) -> str:
    """What the format lets info claim about the file, without loading it."""
    from .. import _skops

    if not _skops.is_skops(path):
        return ("file       joblib (pickle): loading it runs code from the file, so load it "
                "only if you trust its source")
    try:
        outside = _skops.untrusted_types(path)
    except ImportError:
        return "file       skops (install skops to check the types it names)"
    except Exception as exc:  # noqa: BLE001 -- a corrupt archive, in skops's many ways
        return f"file       skops, unreadable ({type(exc).__name__}): load_model refuses it"
    if outside:
        return ("file       skops, naming types outside sersk's allow-list, so load_model "
                f"refuses it: {', '.join(outside)}")
    return ("file       skops: every type it names is in sersk's allow-list, so it loads "
            "without running code from the file")


def _info_text(path: Path, meta: dict, installed: dict) -> str:
    import pipelines

    name = meta.get("pipeline")
    summary = ""
    if name in pipelines.available():
        summary = f": {pipelines.get_spec(name).summary}"
    size = path.stat().st_size
    lines = [
        f"{path} ({_size(size)}, saved {meta.get('created') or 'at an unknown time'})",
        _trust_line(path),
        "metadata   below as the file states it, unverified",
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
    missing: dict[str, None] = {}  # what is missing here, each once, in order
    for name in pipelines.available():
        print(f"{name:<{width}}{pipelines.get_spec(name).summary}")
        required = pipelines.needs(name)
        if required:
            print(" " * width + "needs " + ", ".join(
                f"{need.what} ({_status(need)})" for need in required))
        missing.update(dict.fromkeys(need.missing for need in required if need.missing))
    if missing:
        print("\nMissing here:")
        for line in missing:
            print(f"  {line}")
    return 0


def _status(need) -> str:
    if need.extra is not None:
        return "not installed" if need.missing else "installed"
    return "not found" if need.missing else "found"


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1e6 else f"{n_bytes / 1e3:.0f} kB"
