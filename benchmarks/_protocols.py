"""The benchmark's protocols beyond k-fold: cross-corpus and leave-one-corpus-out runs,
adaptation (per-domain or per-speaker standardisation), and the duplicate check across every
split.

- ``--protocol cross-corpus`` trains on one corpus and tests on another, for every ordered
  pair of the corpora named, and with three or more also on all but one → the one left out,
  over the emotions the corpora involved share (``sersk.model_selection.cross_corpus_evaluate``).
- ``--protocol loco`` is leave-one-corpus-out over all the corpora named (RAVDESS, EmoDB and
  nEMO by default): one run per pipeline, one fold per corpus, trained on every clip of the
  others and tested on the emotions the model knows, each prediction chosen among the test
  corpus's emotions (``--no-restrict`` lets it predict any emotion it learnt).
- ``--adapt corpus|speaker`` puts a ``DomainStandardScaler`` in place of each pipeline's
  StandardScaler (``sersk.preprocessing.adapt_pipeline``): every corpus (speaker), the test one
  included, is standardised with its own clips' statistics. Rows say ``…, transductive
  (adapted per corpus)``; MLflow tag ``adapt``.
- ``--transductive`` puts a ``SpeakerStandardScaler`` before each pipeline's ``scaler``: every
  speaker, test speakers included, is standardised with their own clips' statistics. Its rows
  say ``…, transductive`` in the protocol column, in summary.md and in MLflow (tag
  ``transductive``).
- Before any run, every clip of every corpus is fingerprinted (``find_duplicates``); each
  run's rows get ``n_duplicates``, the pairs of copies that straddle that fold's training and
  test clips, a warning is printed when there are any, and summary.md lists them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ADAPT_CHOICES",
    "CROSS_CORPUS",
    "LOCO",
    "LOCO_CORPORA",
    "PROTOCOL_CHOICES",
    "DuplicateCheck",
    "add_protocol_arguments",
    "append_duplicate_section",
    "check_duplicates",
    "cross_corpus_runs",
    "n_folds",
    "plan_runs",
    "protocol_label",
    "run_cross_corpus",
    "run_tags",
    "with_adaptation",
    "with_speaker_normalisation",
]

CROSS_CORPUS = "cross-corpus"
LOCO = "loco"

#: ``--protocol`` choices: the protocols of sersk.model_selection, then cross-corpus.
PROTOCOL_CHOICES = ["speaker", "loso", "random", LOCO, CROSS_CORPUS]

#: The corpora of the leave-one-corpus-out table when no --corpus is given (those loadable).
LOCO_CORPORA = ("ravdess", "emodb", "nemo")

#: ``--adapt`` choices: what a domain is.
ADAPT_CHOICES = ("corpus", "speaker")

PROTOCOL_HELP = (
    "speaker: speaker-independent folds (default); loso: leave-one-speaker-out (as many folds "
    "as speakers); random: speaker-dependent folds; loco: leave-one-corpus-out over all the "
    "corpora named (one run, one fold per corpus; default corpora ravdess emodb nemo); "
    "cross-corpus: train on one corpus, test on another, over their shared emotions (every "
    "ordered pair of the corpora named, and all-but-one -> the one left out with three or more)"
)

# Separates the training corpora from the test corpus in a cross-corpus run's corpus column.
_ARROW = " → "


def add_protocol_arguments(parser: argparse.ArgumentParser) -> None:
    """``--adapt``, ``--no-restrict``, ``--transductive`` and ``--no-duplicate-check``."""
    group = parser.add_argument_group("protocols")
    group.add_argument(
        "--adapt", choices=ADAPT_CHOICES, default=None,
        help="adaptation from unlabelled audio: standardise each corpus's (speaker's) features "
        "with its own statistics, in place of the pipeline's StandardScaler; the test corpus "
        "(speaker) is standardised with its own unlabelled clips, so results are labelled "
        "transductive; off by default",
    )
    group.add_argument(
        "--no-restrict", action="store_true",
        help="loco: let the model predict any emotion it learnt, not only the test corpus's "
        "(rows labelled unrestricted)",
    )
    group.add_argument(
        "--transductive", action="store_true",
        help="standardise each speaker's features with that speaker's own statistics (a "
        "SpeakerStandardScaler before the pipeline's scaler): test speakers are normalised "
        "with their own unlabelled clips, so results are labelled transductive; off by default",
    )
    group.add_argument(
        "--no-duplicate-check", action="store_true",
        help="do not look for exact and near-duplicate audio across training and test clips",
    )


def cross_corpus_runs(corpora: list[str]) -> list[tuple[tuple[str, ...], str]]:
    """(training corpora, test corpus) of every cross-corpus run.

    Every ordered pair; with three or more corpora, also each corpus against all the others.
    """
    runs = [((a,), b) for a in corpora for b in corpora if a != b]
    if len(corpora) > 2:
        runs += [(tuple(c for c in corpora if c != test), test) for test in corpora]
    return runs


def cross_corpus_key(train: tuple[str, ...], test: str) -> str:
    """The corpus column of a cross-corpus run: ``"ravdess → emodb"``."""
    return "+".join(train) + _ARROW + test


def _split_key(key: str) -> tuple[list[str], str]:
    train, test = key.split(_ARROW)
    return train.split("+"), test


def loco_key(corpora: list[str]) -> str:
    """The corpus column of a leave-one-corpus-out run: ``"ravdess+emodb+nemo"``."""
    return "+".join(corpora)


def plan_runs(
    corpora: list[str], names: list[str], protocols: list[str]
) -> list[tuple[str, str, str]]:
    """(corpus, pipeline, protocol) of every run; a cross-corpus or leave-one-corpus-out
    run's corpus is its key."""
    runs = []
    for protocol in protocols:
        if protocol == LOCO:
            runs += [(loco_key(corpora), name, protocol) for name in names]
        elif protocol == CROSS_CORPUS:
            runs += [(cross_corpus_key(train, test), name, protocol)
                     for train, test in cross_corpus_runs(corpora) for name in names]
        else:
            runs += [(corpus, name, protocol) for corpus in corpora for name in names]
    return runs


def with_speaker_normalisation(model: Any, name: str) -> Any:
    """The pipeline with a ``SpeakerStandardScaler`` inserted before its ``scaler`` step."""
    from sersk.model_selection import ProtocolError
    from sersk.preprocessing import SpeakerStandardScaler

    steps = [step for step, _ in model.steps]
    if "scaler" not in steps:
        raise ProtocolError(
            f"--transductive puts a SpeakerStandardScaler before a pipeline's 'scaler' step, "
            f"and {name} has none (its steps: {', '.join(steps)}); leave {name} out or run "
            "without --transductive"
        )
    model.steps.insert(steps.index("scaler"), ("speaker_scaler", SpeakerStandardScaler()))
    return model


def with_adaptation(model: Any, name: str) -> Any:
    """The pipeline with a ``DomainStandardScaler`` in place of its StandardScaler."""
    from sersk.model_selection import ProtocolError
    from sersk.preprocessing import adapt_pipeline

    try:
        return adapt_pipeline(model)
    except ValueError as exc:
        raise ProtocolError(f"--adapt: {name}: {exc}; leave {name} out or run without "
                            "--adapt") from None


def domains_of(frame: pd.DataFrame, args: argparse.Namespace) -> np.ndarray | None:
    """The domain of every clip under ``--adapt``: its corpus or its speaker; else None."""
    adapt = getattr(args, "adapt", None)
    return None if adapt is None else frame[adapt].to_numpy()


def protocol_label(corpus: str, protocol: str, args: argparse.Namespace) -> str:
    """The protocol column of a run's rows, known before the run (for failed runs)."""
    from sersk.model_selection import PROTOCOLS, cross_corpus_label, transductive_label

    if protocol == CROSS_CORPUS:
        label = cross_corpus_label(*_split_key(corpus))
    else:
        label = PROTOCOLS[protocol]
    if protocol == LOCO and getattr(args, "no_restrict", False):
        label = f"{label}, unrestricted"
    if getattr(args, "adapt", None):
        return transductive_label(label, args.adapt)
    return transductive_label(label) if getattr(args, "transductive", False) else label


def n_folds(corpus: str, protocol: str, frames: dict[str, pd.DataFrame],
            args: argparse.Namespace) -> int:
    """How many folds a run has: one cross-corpus, one per corpus LOCO, one per speaker LOSO,
    else --folds."""
    if protocol == CROSS_CORPUS:
        return 1
    if protocol == LOCO:
        return len(corpus.split("+"))
    if protocol == "loso":
        return int(frames[corpus]["speaker"].nunique())
    return args.folds


def run_tags(args: argparse.Namespace) -> dict[str, str]:
    """MLflow tags every run of this benchmark gets from its protocol options."""
    adapt = getattr(args, "adapt", None)
    return {"transductive": str(bool(getattr(args, "transductive", False) or adapt)).lower(),
            "adapt": adapt or "none"}


def run_cross_corpus(
    key: str, frames: dict[str, pd.DataFrame], name: str, args: argparse.Namespace,
    cache: Path, extraction: dict[tuple[str, str], float],
    predictions: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Train one pipeline on the training corpora of ``key`` and test it on its test corpus.

    Its rows have the columns of ``run_one``'s (one fold), the corpus column being
    ``"ravdess → emodb"``, plus ``train_corpora``, ``test_corpus``, ``emotions``,
    ``dropped_emotions`` and ``n_duplicates``.
    """
    import pipelines
    from sersk.datasets import audio_inputs
    from sersk.model_selection import cross_corpus_evaluate, tabulate_folds

    from .run import SYNTHETIC, _feature_key, _warm_cache, needs_whisper_model

    train, test = _split_key(key)
    frame = pd.concat([frames[c] for c in [*train, test]], ignore_index=True)
    X = audio_inputs(frame)
    y = frame["emotion"].to_numpy()
    speakers = frame["speaker"].to_numpy()
    corpora = frame["corpus"].to_numpy()
    extra = {"whisper_model": args.whisper_model} if needs_whisper_model(name) else {}
    model = pipelines.make(name, memory=str(cache), n_jobs=args.n_jobs, **extra)
    if args.transductive:
        model = with_speaker_normalisation(model, name)
    if getattr(args, "adapt", None):
        model = with_adaptation(model, name)
    feature_key = _feature_key(model)
    seconds = []
    for corpus in [*train, test]:  # extraction timed once per corpus and feature set
        part = frames[corpus]
        if (corpus, feature_key) not in extraction:
            extraction[(corpus, feature_key)] = _warm_cache(model, audio_inputs(part))
        seconds.append(extraction[(corpus, feature_key)] * len(part))
    extract = sum(seconds) / len(frame)
    # Corpora hold "corpus" values of their canonical names; the synthetic one says synthetic.
    results, clips = cross_corpus_evaluate(
        model, X, y, corpora=corpora, train=train, test=test, speakers=speakers,
        domains=domains_of(frame, args), error_score=np.nan, return_predictions=True,
    )
    protocol = results.attrs["protocol"]
    print(f"{key} / {name}: UAR {results.loc[0, 'uar']:.3f} on {results.loc[0, 'emotions']} "
          f"(dropped {results.loc[0, 'dropped_emotions'] or 'none'})", flush=True)
    if predictions is not None and len(clips):
        from ._outputs import EXPERIMENT, label_predictions

        predictions.append(label_predictions(clips, frame, corpus=key, pipeline=name,
                                             protocol=protocol))
    run_id = None
    if not args.no_mlflow:
        from sersk.tracking import log_cross_validation

        run_id = log_cross_validation(
            results, corpus=key, pipeline=name, estimator=model, out_dir=args.out,
            experiment=EXPERIMENT,
            params={"seed": args.seed, "n_clips": int(results.loc[0, "n_train"]
                                                      + results.loc[0, "n_test"]),
                    "n_speakers": len(set(speakers)), "n_classes": len(results.attrs["labels"]),
                    "train_corpora": " ".join(train), "test_corpus": test,
                    "emotions": results.loc[0, "emotions"],
                    "dropped_emotions": results.loc[0, "dropped_emotions"] or "none"},
            metrics={"extract_seconds_per_clip": extract},
            tags={"synthetic": str(SYNTHETIC in (*train, test)).lower(), "cross_corpus": "true",
                  **run_tags(args)},
        )
    table = tabulate_folds(results)
    table.insert(0, "pipeline", name)
    table.insert(0, "corpus", key)
    table["extract_seconds_per_clip"] = extract
    table["mlflow_run_id"] = run_id
    check = getattr(args, "duplicate_check", None)
    if check is not None:
        train_index = np.flatnonzero(np.isin(corpora, train))
        test_index = np.flatnonzero(corpora == test)
        ids = check.ids([*train, test])
        count = len(check.straddling(ids[train_index], ids[test_index]))
        table["n_duplicates"] = count
        check.warn(f"{key}/{name}/{protocol}", {1: count})
    return table


class DuplicateCheck:
    """The duplicate pairs of every clip of the corpora, and counts of those a split straddles.

    Pairs are found once, over all corpora together (so copies across corpora count in
    cross-corpus runs), and kept as positions in the corpora's frames laid end to end.
    """

    def __init__(self, frames: dict[str, pd.DataFrame], pairs: pd.DataFrame, seconds: float):
        self.frames = frames
        self.pairs = pairs
        self.seconds = seconds
        sizes = [len(frame) for frame in frames.values()]
        self.offsets = dict(zip(frames, np.cumsum([0, *sizes[:-1]]).tolist(), strict=True))
        self.warnings: list[str] = []

    def ids(self, corpora: list[str]) -> np.ndarray:
        """Global positions of the rows of these corpora's frames, laid end to end."""
        return np.concatenate([self.offsets[c] + np.arange(len(self.frames[c]))
                               for c in corpora])

    def straddling(self, train_ids: np.ndarray, test_ids: np.ndarray) -> pd.DataFrame:
        """The pairs with one clip among ``train_ids`` and the other among ``test_ids``."""
        from sersk.model_selection import split_duplicates

        return split_duplicates(self.pairs, train_ids, test_ids)

    def fold_counts(
        self, corpus: str, frame: pd.DataFrame, protocol: str, n_splits: int, seed: int
    ) -> dict[int, int]:
        """Per fold of a k-fold protocol, the pairs straddling its training and test clips.

        The folds are those of ``cross_validate_speakers`` with the same arguments (the
        splitters are deterministic given their seed). A leave-one-corpus-out run's
        ``corpus`` is its key and ``frame`` its corpora's frames laid end to end.
        """
        from sersk.model_selection import CORPUS_GROUPED, SPEAKER_GROUPED, make_splitter

        y, speakers = frame["emotion"].to_numpy(), frame["speaker"].to_numpy()
        cv = make_splitter(protocol, n_splits=n_splits, random_state=seed)
        ids = self.ids(corpus.split("+") if protocol in CORPUS_GROUPED else [corpus])
        groups = (frame["corpus"].to_numpy() if protocol in CORPUS_GROUPED
                  else speakers if protocol in SPEAKER_GROUPED else None)
        splits = cv.split(np.zeros(len(y)), y, groups=groups)
        return {fold: len(self.straddling(ids[train], ids[test]))
                for fold, (train, test) in enumerate(splits, start=1)}

    def annotate(self, table: pd.DataFrame, corpus: str, frame: pd.DataFrame, name: str,
                 protocol: str, args: argparse.Namespace) -> pd.DataFrame:
        """Add the ``n_duplicates`` column to a k-fold run's rows; warn if any."""
        counts = self.fold_counts(corpus, frame, protocol, args.folds, args.seed)
        table["n_duplicates"] = table["fold"].map(counts)
        label = table["protocol"].iloc[0] if len(table) else protocol
        self.warn(f"{corpus}/{name}/{label}", counts)
        return table

    def warn(self, run: str, counts: dict[int, int]) -> None:
        """Print a warning line when a run's splits straddle duplicates."""
        import sys

        bad = {fold: n for fold, n in counts.items() if n}
        if bad:
            folds = ", ".join(f"fold {fold}: {n}" for fold, n in bad.items())
            line = (f"{run}: {sum(bad.values())} duplicate pair(s) across training and test "
                    f"clips ({folds}); its scores are optimistic (see summary.md)")
            self.warnings.append(line)
            print(f"warning: {line}", file=sys.stderr, flush=True)

    def describe(self, corpus_of: np.ndarray, speaker_of: np.ndarray,
                 name_of: np.ndarray) -> list[str]:
        """Markdown lines: the pairs found, by corpus, and the runs they affected."""
        pairs = self.pairs
        lines = ["## Duplicates", "",
                 f"Every clip was fingerprinted and compared "
                 f"(`sersk.model_selection.find_duplicates`: exact = identical decoded samples; "
                 f"near = coarse log-mel fingerprint correlation ≥ "
                 f"{pairs.attrs.get('threshold', 0.95):.2f} at the best shift) in "
                 f"{self.seconds:.1f} s for {len(corpus_of)} clips.", ""]
        if pairs.empty:
            lines.append("No duplicate pairs found.")
        else:
            lines.append(f"{len(pairs)} pair(s) found:")
            lines.append("")
            for row in pairs.head(20).itertuples(index=False):
                if pd.isna(speaker_of[row.i]) or pd.isna(speaker_of[row.j]):
                    same = "speaker unknown"
                elif speaker_of[row.i] == speaker_of[row.j]:
                    same = "same speaker"
                else:
                    same = "different speakers"
                lines.append(f"- {row.kind} ({row.similarity:.3f}): {corpus_of[row.i]} "
                             f"`{name_of[row.i]}` and {corpus_of[row.j]} `{name_of[row.j]}` "
                             f"({same})")
            if len(pairs) > 20:
                lines.append(f"- … and {len(pairs) - 20} more.")
            lines += ["", "Pairs of the same speaker never straddle a speaker-grouped split "
                      "(speaker-independent, leave-one-speaker-out); they can in "
                      "speaker-dependent folds."]
        lines.append("")
        if self.warnings:
            lines += ["Runs whose training and test clips share a recording "
                      "(column `n_duplicates` of results.csv):", "",
                      *(f"- {w}" for w in self.warnings)]
        else:
            lines.append("No run had a duplicate pair across its training and test clips "
                         "(column `n_duplicates` of results.csv).")
        return lines


def check_duplicates(
    frames: dict[str, pd.DataFrame], args: argparse.Namespace, cache: Path
) -> DuplicateCheck | None:
    """Fingerprint every clip of every corpus (cached) and find the duplicate pairs.

    None with ``--no-duplicate-check``, and when some clips cannot be read (every one is
    listed in a warning; :func:`benchmarks._bad_clips.screen_corpora` has left out those that
    could not be read earlier)."""
    if getattr(args, "no_duplicate_check", False):
        return None
    from sersk.datasets import audio_inputs
    from sersk.features import AudioBatchError
    from sersk.model_selection import find_duplicates

    X = [x for frame in frames.values() for x in audio_inputs(frame)]
    start = time.perf_counter()
    try:
        pairs = find_duplicates(X, memory=str(cache), n_jobs=args.n_jobs)
    except AudioBatchError as exc:
        # Screened clips decode; one that no longer does (changed since) skips the check.
        print(f"warning: duplicate check skipped: {exc}", file=sys.stderr, flush=True)
        return None
    seconds = time.perf_counter() - start
    check = DuplicateCheck(frames, pairs, seconds)
    counts = pairs["kind"].value_counts().to_dict()
    print(f"duplicate check: {len(X)} clips in {seconds:.1f} s: {counts.get('exact', 0)} "
          f"exact and {counts.get('near', 0)} near-duplicate pair(s)", flush=True)
    return check


def append_duplicate_section(path: Path, check: DuplicateCheck | None) -> None:
    """Add the duplicate check's section to summary.md."""
    if check is None:
        return
    frame = pd.concat(list(check.frames.values()), ignore_index=True)
    if "path" in frame:
        names = frame["path"].map(lambda p: Path(p).name if isinstance(p, str) else None)
    else:
        names = pd.Series([None] * len(frame))
    names = np.where(names.isna(), [f"clip {i}" for i in range(len(frame))], names)
    lines = check.describe(frame["corpus"].to_numpy(), frame["speaker"].to_numpy(), names)
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n" + "\n".join(lines) + "\n")
