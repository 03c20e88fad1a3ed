"""Your own labelled recordings as a corpus frame: a CSV/TSV of files and labels, or a folder
with one folder per emotion.

The frame has the columns of a public corpus's (see :func:`~sersk.datasets.load_corpus`), so it
is combined with them, cross-validated and benchmarked the same way. Labels are taken as given
(a ``frustrated`` stays ``frustrated``); ``label_map`` maps them onto the harmonised vocabulary
when asked. Nothing is dropped: a row or file that cannot be used stops the loading, with the
file, the rows and the fix in a :class:`~sersk.exceptions.CorpusError`.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

import pandas as pd

from ..exceptions import CorpusError
from ._corpus import AUDIO_EXTENSIONS, list_audio_files

__all__ = [
    "LABEL_FILE_SUFFIXES",
    "apply_label_map",
    "is_labelled_source",
    "load_labelled_audio",
    "missing_speakers",
    "parse_label_map",
]

#: Label files read as tables: ``.tsv`` is tab-separated; the delimiter of the others (comma,
#: semicolon, tab or bar) is read off their first lines.
LABEL_FILE_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt")

# The columns a label file must have, those it may have, and those the frame itself writes.
_REQUIRED = ("path", "emotion")
_OPTIONAL = ("speaker", "gender")
_RESERVED = ("corpus", "original_label", "audio")

# Column names users often give the required columns: suggested when those are missing.
_ALIASES = {
    "path": {"file", "filename", "file_name", "filepath", "file_path", "wav", "audio_path"},
    "emotion": {"label", "labels", "class", "category", "emotions", "target"},
}

# How many rows or files an error quotes before "...".
_N_QUOTED = 5

# What a folder of one's own recordings looks like, for messages.
_FOLDER_LAYOUT = ("one folder per emotion, each holding its clips, optionally in one sub-folder "
                  "per speaker: ROOT/angry/001.wav or ROOT/angry/speaker01/001.wav")


def is_labelled_source(name: Any) -> bool:
    """Whether a ``load_corpus`` name designates one's own recordings rather than a corpus name.

    A path object, a name with a folder separator or a label-file suffix, or the name of an
    existing file or folder that is not a known corpus name.
    """
    from ._load import _CORPORA

    if isinstance(name, os.PathLike):
        return True
    text = str(name)
    if "/" in text or os.sep in text or Path(text).suffix.lower() in LABEL_FILE_SUFFIXES:
        return True
    if any(spec.matches_name(text) for spec in _CORPORA.values()):
        return False
    return os.path.exists(os.path.expanduser(text))


def load_labelled_audio(
    source: str | os.PathLike,
    *,
    name: str | None = None,
    speaker_pattern: str | None = None,
    label_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """List your own labelled recordings, from a label file or a folder per emotion.

    Parameters
    ----------
    source : str or os.PathLike
        Either a label file (``.csv``, ``.tsv`` or ``.txt``) with a header line and at least
        the columns

        - ``path``: the audio file (any format libsndfile reads), absolute or relative to the
          label file's folder;
        - ``emotion``: its label, taken as given;

        and optionally ``speaker`` and ``gender``; every other column is kept. Or a folder
        holding one folder per emotion, named by its label, each holding ``.wav`` or ``.flac``
        clips directly or in one sub-folder per speaker (``ROOT/angry/001.wav``,
        ``ROOT/angry/speaker01/001.wav``); the same layout throughout.
    name : str, default=None
        The ``corpus`` column, and the prefix of the speaker ids. None means the file's name
        without its suffix (``my_labels``), or the folder's name; characters other than
        letters, digits, ``_``, ``.`` and ``-`` become ``-``.
    speaker_pattern : str, default=None
        A regular expression that finds the speaker in each file's name (its folders left
        out, so that a pattern cannot take an emotion folder for part of a speaker), with
        :func:`re.search`. The speaker is its group named ``speaker``, else its first group,
        else the whole match: ``r"^([^_]+)_"`` takes ``alice`` from ``alice_001.wav``. In a
        folder, it replaces speaker sub-folders, and any folders below the emotion folders are
        then allowed; a label file with a ``speaker`` column cannot have one.
    label_map : mapping of str to str, default=None
        Labels to replace in ``emotion``, such as ``{"frustrated": "angry", "glad": "happy"}``;
        the others stay as given. ``original_label`` keeps the label as given.

    Returns
    -------
    frame : pandas.DataFrame
        One row per clip (in the label file's order, or sorted by path for a folder), with
        the columns of :func:`load_corpus`'s frames: ``path`` (absolute), ``emotion``,
        ``speaker`` (``"<name>-<speaker>"``, or None for every clip when the data do not say),
        ``corpus`` (``name``), ``gender`` (as given, or None), ``original_label``, then the
        label file's other columns. ``frame.attrs["roots"]`` maps ``name`` to ``source``.

    Raises
    ------
    CorpusError
        Naming the file, the first rows (label-file lines) or files concerned, and the fix:
        a source that does not exist; a label file without a ``path`` or ``emotion`` column,
        without rows, with blank cells in ``path``, ``emotion`` or ``speaker``, with two rows
        for the same file, or rows whose file does not exist (all of them are counted, none is
        left out); a folder without audio files, with files outside an emotion folder, or
        with a mixed layout; a file the speaker pattern does not match; a ``label_map`` key
        that no clip has.

    Notes
    -----
    **Without speakers, no speaker-independent evaluation.** When neither a ``speaker``
    column, speaker sub-folders nor ``speaker_pattern`` says who speaks, the ``speaker``
    column is left missing rather than guessed. Training works as usual, but speaker-grouped
    cross-validation (``cross_validate_speakers`` with ``protocol="speaker"`` or ``"loso"``,
    ``sersk train --cv``, the benchmark's default protocol) refuses such clips: making each
    file its own speaker would let one speaker's clips sit on both sides of a split and report
    speaker-dependent scores as speaker-independent. ``protocol="random"`` still runs, and is
    labelled speaker-dependent.

    See Also
    --------
    load_corpus : Public corpora by name, and these sources too, combined into one frame.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sersk.datasets import load_labelled_audio
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for clip in ["a.wav", "b.wav"]:
    ...         Path(folder, clip).touch()
    ...     _ = Path(folder, "my_labels.csv").write_text(
    ...         "path,emotion,speaker\\na.wav,frustrated,ann\\nb.wav,glad,bob\\n")
    ...     frame = load_labelled_audio(Path(folder, "my_labels.csv"),
    ...                                 label_map={"glad": "happy"})
    >>> frame[["emotion", "speaker", "corpus", "original_label"]]
          emotion          speaker     corpus original_label
    0  frustrated  my_labels-ann  my_labels     frustrated
    1       happy  my_labels-bob  my_labels           glad
    """
    path = Path(source).expanduser().absolute()
    if not path.exists():
        raise CorpusError(
            f"{path} does not exist; give a label file (CSV or TSV with 'path' and 'emotion' "
            f"columns) or a folder holding {_FOLDER_LAYOUT}"
        )
    name = _corpus_name(path) if name is None else str(name)
    pattern = _compile(speaker_pattern)
    if path.is_dir():
        frame = _read_folder(path, name, pattern)
    else:
        frame = _read_label_file(path, name, pattern)
    if label_map:
        frame = apply_label_map(frame, label_map)
    frame.attrs = {"unparsed": [], "duplicates": [], "skipped": [], "roots": {name: str(path)}}
    return frame


def apply_label_map(
    frame: pd.DataFrame, label_map: Mapping[str, str], *, labels: Any = None
) -> pd.DataFrame:
    """``frame`` with its ``emotion`` labels replaced as ``label_map`` says.

    Parameters
    ----------
    frame : pandas.DataFrame
        A corpus frame.
    label_map : mapping of str to str
        Old label to new label.
    labels : collection of str, default=None
        The labels every key of ``label_map`` must be among: by default ``frame``'s; pass
        those of several frames to map each of them with one map.

    Raises
    ------
    CorpusError
        ``label_map`` is not a mapping of labels to non-empty labels, or names a label that no
        clip has (a typo would otherwise leave the labels unchanged, silently).
    """
    if not isinstance(label_map, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
        for k, v in label_map.items()
    ):
        raise CorpusError(f"label_map must map labels to labels, such as "
                          f"{{'frustrated': 'angry'}}; got {label_map!r}")
    label_map = {k.strip(): v.strip() for k, v in label_map.items()}
    present = set(frame["emotion"] if labels is None else labels)
    unused = [k for k in label_map if k not in present]
    if unused:
        corpora = ", ".join(dict.fromkeys(frame["corpus"])) if "corpus" in frame else "the data"
        raise CorpusError(
            f"label_map maps {', '.join(map(repr, unused))}, but no clip of {corpora} is "
            f"labelled so; the labels are {', '.join(sorted(map(str, present)))}"
        )
    frame = frame.copy()
    frame["emotion"] = frame["emotion"].replace(label_map)
    return frame


def parse_label_map(text: str) -> dict[str, str]:
    """A label map written ``OLD=NEW[,OLD=NEW...]`` (``"frustrated=angry,glad=happy"``).

    Raises
    ------
    ValueError
        An item is not ``OLD=NEW`` with both sides non-empty.
    """
    label_map = {}
    for item in str(text).split(","):
        if not item.strip():
            continue
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ValueError(f"expected OLD=NEW[,OLD=NEW...], such as frustrated=angry; got "
                             f"{item.strip()!r}")
        label_map[old.strip()] = new.strip()
    if not label_map:
        raise ValueError("expected OLD=NEW[,OLD=NEW...], such as frustrated=angry")
    return label_map


def missing_speakers(frame: pd.DataFrame) -> str | None:
    """Why ``frame`` cannot be split by speaker, or None when every clip has a speaker.

    Names each corpus with clips of unknown speaker, its source, and how to name them.
    """
    if "speaker" not in frame or not frame["speaker"].isna().any():
        return None
    missing = frame.loc[frame["speaker"].isna()]
    roots = frame.attrs.get("roots", {})
    # Public corpora whose file names do not say who speaks (MESD): nothing to rename.
    unnamed = frame.attrs.get("unknown_speakers", {})
    parts, fixes = [], []
    for corpus, rows in missing.groupby("corpus", sort=False):
        where = f" ({roots[corpus]})" if corpus in roots else ""
        parts.append(f"{corpus}{where}: {_count(len(rows), 'clip')}")
        if corpus in unnamed:
            fixes.append(f"leave {corpus} out ({unnamed[corpus]}, so speaker-independent "
                         "evaluation is impossible on it)")
        elif corpus in roots:
            fixes.append("put each speaker's clips in a sub-folder of each emotion folder "
                         "(ROOT/angry/SPEAKER/*.wav)" if os.path.isdir(roots[corpus]) else
                         "add a 'speaker' column to the label file")
    if set(missing["corpus"]) - set(unnamed):
        fixes.append("give --speaker-pattern REGEX (speaker_pattern=) to find the speaker in "
                     "each file name")
    fixes = list(dict.fromkeys(fixes))
    return (
        f"the speaker of {len(missing)} of {len(frame)} clips is unknown ({'; '.join(parts)}), "
        f"so they cannot be split by speaker: {', or '.join(fixes)}"
    )


def _corpus_name(path: Path) -> str:
    stem = path.stem if path.is_file() else path.name
    return re.sub(r"[^\w.-]+", "-", stem).strip("-.") or "my-corpus"


def _compile(pattern: str | None) -> re.Pattern | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise CorpusError(f"speaker pattern {pattern!r} is not a regular expression: "
                          f"{exc}") from None


def _speaker_of(pattern: re.Pattern, text: str) -> str | None:
    found = pattern.search(text)
    if found is None:
        return None
    if "speaker" in pattern.groupindex:
        speaker = found.group("speaker")
    elif pattern.groups:
        speaker = found.group(1)
    else:
        speaker = found.group(0)
    return speaker or None


def _quote(items: list[str]) -> str:
    return ", ".join(items[:_N_QUOTED]) + (", ..." if len(items) > _N_QUOTED else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _frame(records: dict[str, list], name: str, extra: pd.DataFrame | None = None
           ) -> pd.DataFrame:
    """The corpus frame from its columns, in the order every corpus frame has."""
    labels = records["emotion"]
    frame = pd.DataFrame({
        "path": records["path"],
        "emotion": labels,
        "speaker": [None if s is None else f"{name}-{s}" for s in records["speaker"]],
        "corpus": name,
        "gender": records.get("gender", [None] * len(labels)),
        "original_label": labels,
    })
    if extra is not None and len(extra.columns):
        frame = pd.concat([frame, extra.reset_index(drop=True)], axis=1)
    return frame


def _pattern_speakers(pattern: re.Pattern, paths: list[str], source: Path) -> list[str]:
    names = [PurePath(p).name for p in paths]
    speakers = [_speaker_of(pattern, name) for name in names]
    unmatched = [name for name, s in zip(names, speakers, strict=True) if s is None]
    if unmatched:
        raise CorpusError(
            f"{source}: the speaker pattern {pattern.pattern!r} finds no speaker in "
            f"{_count(len(unmatched), 'file name')} ({_quote(unmatched)}); fix the pattern so "
            "that it matches every file name (searched with re.search in the name, folders "
            "left out; its group 'speaker', else its first group, is the speaker)"
        )
    return speakers


def _read_folder(root: Path, name: str, pattern: re.Pattern | None) -> pd.DataFrame:
    files = sorted(list_audio_files(root))
    if not files:
        others = [p.name for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
        found = (f"; it holds {_count(len(others), 'other file')} ({_quote(sorted(others))}): "
                 "convert them to WAV or FLAC, or list them in a label file (CSV), which may "
                 "name any format libsndfile reads") if others else ""
        raise CorpusError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) under {root}"
                          f"{found}; expected {_FOLDER_LAYOUT}")
    parts = [PurePath(os.path.relpath(f, root)).parts for f in files]
    loose = [f for f, p in zip(files, parts, strict=True) if len(p) == 1]
    if loose:
        raise CorpusError(
            f"{_count(len(loose), 'audio file')} {'lie' if len(loose) > 1 else 'lies'} "
            f"directly in {root}, outside any emotion "
            f"folder ({_quote([os.path.basename(f) for f in loose])}): move each into a folder "
            f"named after its emotion; expected {_FOLDER_LAYOUT}"
        )
    relative = [PurePath(*p).as_posix() for p in parts]
    if pattern is not None:
        speakers = _pattern_speakers(pattern, files, root)
    else:
        depths = {len(p) for p in parts}
        if depths == {2}:
            speakers = [None] * len(files)
        elif depths == {3}:
            speakers = [p[1] for p in parts]
        else:
            deep = [r for r, p in zip(relative, parts, strict=True) if len(p) > 3]
            shallow = [r for r, p in zip(relative, parts, strict=True) if len(p) == 2]
            example = _quote(deep) if deep else _quote(shallow)
            raise CorpusError(
                f"{root} mixes layouts: files at different depths (such as {example}); "
                f"expected {_FOLDER_LAYOUT}, the same throughout; or give a speaker pattern "
                "that finds the speaker in each file name, and any folders are allowed below "
                "the emotion folders"
            )
    records = {"path": files, "emotion": [p[0] for p in parts], "speaker": speakers}
    return _frame(records, name)


def _delimiter(path: Path, text: str) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _read_label_file(path: Path, name: str, pattern: re.Pattern | None) -> pd.DataFrame:
    from io import StringIO

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path} is not a UTF-8 text file ({exc}); save the label file as "
                          "UTF-8 CSV") from None
    if not text.strip():
        raise CorpusError(f"{path} is empty; a label file starts with a header line naming "
                          "its columns (at least path,emotion), then one line per clip")
    sep = _delimiter(path, text)
    try:
        # Every cell as text: speaker "01" stays "01" and a blank stays blank, to be reported.
        table = pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            skip_blank_lines=False)
    except pd.errors.ParserError as exc:
        raise CorpusError(f"{path} cannot be read as a table: {exc}; check its quoting and "
                          "that every line has as many cells as the header") from None
    table.columns = [str(c).strip() for c in table.columns]
    _check_columns(path, table, sep)
    table = table.apply(lambda column: column.str.strip())
    lines = pd.Series(table.index + 2, index=table.index)  # the header is line 1
    table = table[(table != "").any(axis=1)]  # blank lines are not rows
    if table.empty:
        raise CorpusError(f"{path} has a header but no rows; add one line per clip "
                          "(path,emotion...)")

    problems = []
    known = [c for c in (*_REQUIRED, *_OPTIONAL) if c in table]
    for column in [c for c in known if c != "gender"]:
        blank = table.index[table[column] == ""]
        if len(blank):
            problems.append(
                f"{_count(len(blank), 'row')} with a blank {column!r} "
                f"({_quote([f'line {lines[i]}' for i in blank])}): fill them in or remove "
                "those rows"
            )
    resolved = [_resolve(cell, path.parent) if cell else "" for cell in table["path"]]
    table = table.assign(_resolved=resolved)
    listed = table[table["_resolved"] != ""]
    repeated = listed[listed["_resolved"].duplicated(keep=False)]
    if len(repeated):
        groups = repeated.groupby("_resolved", sort=False).groups
        quoted = [f"{os.path.basename(p)} (lines {', '.join(str(lines[i]) for i in idx)})"
                  for p, idx in groups.items()]
        problems.append(
            f"{_count(len(groups), 'file')} listed more than once ({_quote(quoted)}): keep one "
            "row per file (a clip counted twice would be in training and test folds at once)"
        )
    missing = listed[~listed["_resolved"].map(os.path.isfile)]
    if len(missing):
        quoted = [f"line {lines[i]} ({table.at[i, 'path']})" for i in missing.index]
        problems.append(
            f"{_count(len(missing), 'row')} name{'s' * (len(missing) == 1)} a file that does "
            f"not exist ({_quote(quoted)}): relative paths are read from the label file's "
            f"folder, {path.parent}; fix the paths, or remove those rows"
        )
    if problems:
        if len(problems) == 1:
            raise CorpusError(f"{path}: {problems[0]}")
        raise CorpusError(f"{path} has {len(problems)} problems:\n"
                          + "\n".join(f"- {p}" for p in problems))

    if pattern is not None:
        if "speaker" in table:
            raise CorpusError(f"{path} has a 'speaker' column and a speaker pattern was "
                              "given as well; use one of them")
        speakers = _pattern_speakers(pattern, table["path"].tolist(), path)
    elif "speaker" in table:
        speakers = table["speaker"].tolist()
    else:
        speakers = [None] * len(table)
    records = {
        "path": table["_resolved"].tolist(),
        "emotion": table["emotion"].tolist(),
        "speaker": speakers,
    }
    if "gender" in table:
        records["gender"] = [g or None for g in table["gender"]]
    extra = table[[c for c in table.columns
                   if c not in (*_REQUIRED, *_OPTIONAL, "_resolved")]]
    return _frame(records, name, extra.apply(_typed))


def _check_columns(path: Path, table: pd.DataFrame, sep: str) -> None:
    columns = list(table.columns)
    reserved = [c for c in _RESERVED if c in columns]
    if reserved:
        raise CorpusError(
            f"{path}: column{'s' * (len(reserved) > 1)} {', '.join(map(repr, reserved))} "
            f"{'are' if len(reserved) > 1 else 'is'} written by sersk itself; rename "
            f"{'them' if len(reserved) > 1 else 'it'} in the label file"
        )
    absent = [c for c in _REQUIRED if c not in columns]
    if not absent:
        return
    hints = []
    for wanted in absent:
        near = [c for c in columns if c.lower() == wanted or c.lower() in _ALIASES[wanted]]
        if near:
            hints.append(f"rename {near[0]!r} to {wanted!r}")
    fix = "; ".join(hints) if hints else (
        "its first line must name the columns, with at least 'path' (the audio file) and "
        "'emotion' (its label)")
    shown = ", ".join(map(repr, columns[:8])) + (", ..." if len(columns) > 8 else "")
    separator = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar"}.get(sep, repr(sep))
    raise CorpusError(
        f"{path} has no {' or '.join(map(repr, absent))} column (its header, read as "
        f"{separator}-separated, names {shown}): {fix}"
    )


def _resolve(cell: str, folder: Path) -> str:
    candidate = Path(cell).expanduser()
    if not candidate.is_absolute():
        candidate = folder / candidate
    return os.path.normpath(candidate)


def _typed(column: pd.Series) -> pd.Series:
    """An extra column as numbers when every filled cell is one, else as text; blanks None."""
    filled = column[column != ""]
    numbers = pd.to_numeric(filled, errors="coerce")
    if len(filled) and numbers.notna().all():
        return pd.to_numeric(column.where(column != ""), errors="coerce")
    return column.where(column != "", None)
