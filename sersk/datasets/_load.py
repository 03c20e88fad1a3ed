"""Listing a corpus folder as a DataFrame of files and labels, without decoding any audio."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any, Literal

import pandas as pd

from ..exceptions import CorpusError
from ._aesdd import AESDD
from ._ased import ASED
from ._cafe import CAFE
from ._corpus import (
    AUDIO_EXTENSIONS,
    FOLDER_LABELS,
    CorpusSpec,
    CorpusWarning,
    Record,
    list_audio_files,
)
from ._crema_d import CREMA_D
from ._emodb import EMODB
from ._emovo import EMOVO
from ._enterface import ENTERFACE
from ._esd import ESD
from ._home import get_data_home
from ._jl_corpus import JL_CORPUS
from ._labelled import apply_label_map, is_labelled_source, load_labelled_audio
from ._mesd import MESD
from ._nemo import NEMO
from ._ravdess import RAVDESS
from ._savee import SAVEE
from ._shemo import SHEMO
from ._sources import SOURCES
from ._subesco import SUBESCO
from ._tess import TESS
from ._turev import TUREV_DB
from ._urdu import URDU

__all__ = ["audio_inputs", "available_corpora", "get_corpus_spec", "load_corpus"]

_CORPORA: dict[str, CorpusSpec] = {
    spec.name: spec
    for spec in (
        RAVDESS, CREMA_D, TESS, SAVEE, EMODB, NEMO, EMOVO, ASED, TUREV_DB, URDU, SUBESCO, SHEMO,
        JL_CORPUS, ESD, CAFE, AESDD, ENTERFACE, MESD,
    )
}

#: The columns every frame starts with, in this order; each corpus adds its own after them.
BASE_COLUMNS = ("path", "emotion", "speaker", "corpus", "gender")

_ERRORS = ("warn", "raise", "ignore")

# How many file names a warning or error quotes before "...".
_N_QUOTED = 5


def available_corpora() -> list[str]:
    """The names :func:`load_corpus` accepts.

    Returns
    -------
    list of str
        Canonical corpus names, as written in the ``corpus`` column.

    Examples
    --------
    >>> from sersk.datasets import available_corpora
    >>> {"ravdess", "emodb", "nemo"} <= set(available_corpora())
    True
    """
    return sorted(_CORPORA)


def get_corpus_spec(name: str) -> CorpusSpec:
    """The :class:`CorpusSpec` for a corpus name or alias (``"cremad"``, ``"EmoDB"`` …).

    Raises
    ------
    CorpusError
        ``name`` is not a known corpus; the message lists those that are.
    """
    if isinstance(name, str):
        for spec in _CORPORA.values():
            if spec.matches_name(name):
                return spec
    raise CorpusError(
        f"unknown corpus {name!r}; known corpora are {', '.join(available_corpora())}"
    )


def load_corpus(
    name: str | os.PathLike | Sequence[str | os.PathLike],
    root: str | os.PathLike | None = None,
    *,
    errors: Literal["warn", "raise", "ignore"] = "warn",
    label_map: Mapping[str, str] | None = None,
    speaker_pattern: str | None = None,
) -> pd.DataFrame:
    """List a corpus's audio files with their harmonised emotion labels and speakers.

    Only file and folder names are read: no audio is decoded, so listing a corpus of thousands
    of files takes a fraction of a second. Files keep their original names and layouts (the
    corpus as distributed, as ``.wav``, or re-encoded as ``.flac``; extensions in any case).

    Parameters
    ----------
    name : str, path, or list of them
        A corpus from :func:`available_corpora` (``"ravdess"``, ``"crema-d"``, ``"tess"``,
        ``"savee"``, ``"emodb"``, ``"nemo"`` …; case and punctuation do not matter, so
        ``"cremad"`` and ``"CREMA_D"`` work), or your own recordings: the path of a label file
        or of a folder per emotion, read by :func:`load_labelled_audio` (a path is anything
        with a folder separator or a ``.csv``/``.tsv``/``.txt`` suffix, or an existing file or
        folder whose name is not a corpus name: write ``./emodb`` for a folder called
        ``emodb``). Or a list of them to combine into one frame.
    root : str or os.PathLike, default=None
        The corpus folder itself, or a data home holding one folder per corpus (``ravdess/``,
        ``emodb/``, ``CREMA-D/`` …, matched regardless of case). With several corpora it must be
        a data home. None means :func:`get_data_home`, where :func:`fetch_corpus` puts them.
        Paths of your own recordings are not read from it.
    errors : {"warn", "raise", "ignore"}, default="warn"
        What to do about audio files whose names do not follow the corpus's naming, and about
        files that repeat a recording already listed (the same clip as ``.wav`` and ``.flac``,
        or a second copy of the corpus inside its folder). "warn" emits a
        :class:`CorpusWarning` naming how many and the first few; "raise" raises
        :class:`~sersk.exceptions.CorpusError`; "ignore" does neither. In every case they are
        listed in ``frame.attrs`` and never silently dropped: unparsed files are left out of the
        rows, repeated ones stay in. (Your own recordings are never partly listed: any problem
        with them raises.)
    label_map : mapping of str to str, default=None
        Emotion labels to replace, in every corpus named, such as ``{"frustrated": "angry"}``
        to bring your own labels onto :data:`EMOTIONS`, or ``{"calm": "neutral"}``; labels it
        does not name stay as they are, and ``original_label`` keeps the corpus's own.
    speaker_pattern : str, default=None
        For your own recordings: a regular expression finding the speaker in each file's
        path (see :func:`load_labelled_audio`).

    Returns
    -------
    frame : pandas.DataFrame
        One row per audio file, sorted by path, with the columns

        - ``path``: absolute path of the file (str);
        - ``emotion``: harmonised label, one of :data:`EMOTIONS` (your own recordings: your
          labels, mapped by ``label_map``);
        - ``speaker``: speaker id, unique across corpora (``"ravdess-01"``, ``"emodb-03"``;
          None where your own recordings do not say, and for every MESD clip: its file names
          do not say who speaks);
        - ``corpus``: canonical corpus name (your own recordings: see
          :func:`load_labelled_audio`);
        - ``gender``: ``"male"``, ``"female"``, or missing where the corpus does not say;
        - ``original_label``: the corpus's own emotion code;
        - what else the file names carry, and the corpus's metadata files where it ships
          them: RAVDESS ``intensity``, ``statement``, ``repetition``; EmoDB ``text_code``,
          ``statement``, ``version``; CREMA-D ``statement_code``, ``statement``,
          ``intensity`` (and ``age`` from its demographics file); TESS ``word``, ``age``;
          SAVEE ``sentence``; nEMO ``sentence`` (and ``age``, ``statement``,
          ``normalized_text`` from its ``data.tsv``); the other corpora's parsers
          (``sersk.datasets._<name>.parse_<name>``) list theirs; your label file's other
          columns. A column a corpus does not have is missing in a combined frame's rows of
          that corpus.

        ``frame.attrs`` holds ``"unparsed"`` (paths of audio files whose names could not be
        parsed), ``"duplicates"`` (paths of files that describe the same recording as another),
        ``"skipped"`` (parsed files outside the default selection, such as RAVDESS song or
        audio-visual recordings: sersk keeps RAVDESS audio-only speech), ``"from_folder"``
        (files whose labels come from their folders because their names cannot be parsed or
        disagree with them, such as TESS's ``OAF_neutral/OA_bite_neutral.wav``),
        ``"roots"`` (the folder or file read for each corpus) and ``"unknown_speakers"``
        (for each corpus whose files do not name their speakers, such as MESD, why: its rows
        cannot be split by speaker, so a speaker-independent evaluation refuses the frame).

    Raises
    ------
    CorpusError
        Unknown corpus name; a folder that does not exist, holds no audio files, or none named
        like the corpus's; unparsed or repeated files with ``errors="raise"``; two corpora of
        the same name; a ``label_map`` key no clip has; any problem with your own recordings
        (see :func:`load_labelled_audio`).

    See Also
    --------
    load_labelled_audio : Your own recordings, from a label file or a folder per emotion.
    fetch_corpus : Download a corpus that has a stable public address into the data home.
    audio_inputs : What to pass to a pipeline for the rows of a frame.
    make_emotional_speech : A synthetic corpus with the same columns.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sersk.datasets import load_corpus
    >>> with tempfile.TemporaryDirectory() as home:
    ...     actor = Path(home, "ravdess", "Actor_01")
    ...     actor.mkdir(parents=True)
    ...     for name in ["03-01-01-01-01-01-01.wav", "03-01-05-02-01-02-01.wav"]:
    ...         (actor / name).touch()
    ...     frame = load_corpus("ravdess", home)
    >>> frame[["emotion", "speaker", "gender", "intensity", "repetition"]]
       emotion     speaker gender intensity  repetition
    0  neutral  ravdess-01   male    normal           1
    1    angry  ravdess-01   male    strong           2
    """
    if errors not in _ERRORS:
        raise ValueError(f"errors must be one of {', '.join(map(repr, _ERRORS))}; got {errors!r}")
    names = [name] if isinstance(name, (str, os.PathLike)) else list(name)
    if not names:
        raise CorpusError(f"no corpus named; known corpora are {', '.join(available_corpora())}")
    own = [n for n in names if is_labelled_source(n)]
    specs = [_spec_or_path(n) for n in names if n not in own]
    seen = [spec.name for spec in specs]
    repeated = sorted({n for n in seen if seen.count(n) > 1})
    if repeated:
        raise CorpusError(f"corpus {', '.join(repeated)} is named more than once in {names!r}")
    if speaker_pattern is not None and not own:
        raise CorpusError("speaker_pattern applies to your own recordings (a label file or "
                          "folder), and none is named")
    # Only public corpora are looked for in the data home (created if missing).
    home = (Path(get_data_home() if root is None else root).expanduser().absolute()
            if specs else None)

    frames, attrs = [], {
        "unparsed": [], "duplicates": [], "skipped": [], "from_folder": [], "roots": {},
        "unknown_speakers": {},
    }
    for item in names:
        if item in own:
            frame = load_labelled_audio(item, speaker_pattern=speaker_pattern)
            corpus, source = next(iter(frame.attrs["roots"].items()))
        else:
            spec = get_corpus_spec(item)
            folder = _corpus_folder(spec, home, combined=len(specs) > 1,
                                    default_home=root is None)
            frame, report = _list_corpus(spec, folder)
            _report(spec, folder, report, errors)
            for key in ("unparsed", "duplicates", "skipped", "from_folder"):
                attrs[key].extend(report[key])
            corpus, source = spec.name, str(folder)
            if spec.unknown_speakers:
                attrs["unknown_speakers"][corpus] = spec.unknown_speakers
        if corpus in attrs["roots"]:
            raise CorpusError(
                f"corpus {corpus} is named more than once in {[os.fspath(n) for n in names]!r}"
                f" ({attrs['roots'][corpus]} and {source}); your own recordings are named after "
                "their file or folder: rename one"
            )
        attrs["roots"][corpus] = source
        frames.append(frame)
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    frame = frame.sort_values("path", ignore_index=True, kind="stable")
    if label_map:
        frame = apply_label_map(frame, label_map)
    frame.attrs = attrs
    return frame


def _spec_or_path(name: Any) -> CorpusSpec:
    """The spec of a corpus name, or an error saying that paths are accepted too."""
    try:
        return get_corpus_spec(name)
    except CorpusError as exc:
        raise CorpusError(
            f"{exc}, or the path of your own recordings (a label file or a folder per "
            f"emotion); there is no file or folder {name!r} here ({os.getcwd()})"
        ) from None


def audio_inputs(frame: pd.DataFrame) -> list[Any]:
    """What to pass to a pipeline for each row of a corpus frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame from :func:`load_corpus` or :func:`make_emotional_speech`, or a subset or
        combination of them.

    Returns
    -------
    list
        Per row, the in-memory ``(waveform, sample_rate)`` of the ``audio`` column where there
        is one (synthetic frames: no decoding needed), else the file ``path``.

    Raises
    ------
    CorpusError
        A row has neither.

    Examples
    --------
    >>> import pandas as pd
    >>> from sersk.datasets import audio_inputs
    >>> audio_inputs(pd.DataFrame({"path": ["/data/a.wav", "/data/b.wav"]}))
    ['/data/a.wav', '/data/b.wav']
    """
    n = len(frame)
    audio = frame["audio"].tolist() if "audio" in frame.columns else [None] * n
    paths = frame["path"].tolist() if "path" in frame.columns else [None] * n
    inputs = []
    for label, waveform, path in zip(frame.index, audio, paths, strict=True):
        if not _missing(waveform):
            inputs.append(waveform)
        elif not _missing(path):
            inputs.append(path)
        else:
            raise CorpusError(
                f"row {label!r} has neither an 'audio' waveform nor a 'path'; a corpus frame "
                "needs one of them for every row"
            )
    return inputs


def _missing(value: Any) -> bool:
    # pd.isna would test a (waveform, sr) tuple element-wise.
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _corpus_folder(spec: CorpusSpec, root: Path, *, combined: bool, default_home: bool) -> Path:
    """The folder to list: a child of ``root`` named like the corpus, else ``root`` itself."""
    if not root.exists():
        raise CorpusError(
            f"{root} does not exist; pass the {spec.title} folder itself ({spec.layout}), or "
            f"a data home holding a '{spec.name}' folder"
        )
    if not root.is_dir():
        raise CorpusError(f"{root} is a file; pass the folder holding the {spec.title} corpus")
    children = sorted(p for p in root.iterdir() if p.is_dir())
    for child in children:
        if spec.matches_folder(child.name):
            return child
    others = sorted({
        other.name for child in children for other in _CORPORA.values()
        if other is not spec and other.matches_folder(child.name)
    })
    if combined or default_home or (others and not spec.matches_folder(root.name)):
        found = f" (it holds folders for {', '.join(others)})" if others else ""
        hint = ""
        if default_home and spec.name in SOURCES:
            hint = f"; sersk.datasets.fetch_corpus({spec.name!r}) downloads it there"
        raise CorpusError(
            f"no {spec.title} folder in data home {root}{found}; expected a folder named "
            f"'{spec.name}' holding {spec.layout}{hint}"
        )
    return root


def _list_corpus(spec: CorpusSpec, folder: Path) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    folder = folder.absolute()
    files = list_audio_files(folder)
    if not files:
        raise CorpusError(
            f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) under {folder}; expected the "
            f"{spec.title} corpus: {spec.layout}"
        )
    records: list[Record] = []
    unparsed, skipped, from_folder = [], [], []
    for path in files:
        record, by_folder = _parse(spec, PurePath(path))
        if record is None:
            unparsed.append(path)
        elif spec.keep is not None and not spec.keep(record):
            skipped.append(path)
        else:
            for key in spec.selection_columns:
                record.pop(key, None)
            records.append({"path": path, "corpus": spec.name, **record})
            if by_folder:
                from_folder.append(path)
    if not records:
        if skipped:
            reason = (f"all {len(skipped)} {spec.title} files under {folder} lie outside the "
                      f"default selection ({spec.selection})")
        else:
            reason = (f"none of the {len(files)} audio files under {folder} follows the "
                      f"{spec.title} naming (e.g. {_quote(sorted(unparsed))})")
        raise CorpusError(f"{reason}; expected {spec.layout}")
    # Files labelled by their folders alone may lack some of the name's columns.
    extra = list(dict.fromkeys(key for r in records for key in r if key not in BASE_COLUMNS))
    frame = pd.DataFrame.from_records(records, columns=[*BASE_COLUMNS, *extra])
    frame = frame.sort_values("path", ignore_index=True, kind="stable")
    if spec.annotate is not None:
        frame = spec.annotate(frame, folder)
    duplicated = frame.drop(columns="path").duplicated(keep=False)
    report = {
        "unparsed": sorted(unparsed),
        "duplicates": frame.loc[duplicated, "path"].tolist(),
        "skipped": sorted(skipped),
        "from_folder": sorted(from_folder),
    }
    return frame, report


def _parse(spec: CorpusSpec, path: PurePath) -> tuple[Record | None, bool]:
    """A file's columns, and whether its labels come from its folders rather than its name.

    The folders win where the name cannot be parsed, or where name and folders disagree on
    the emotion or the speaker (TESS's ``OAF_neutral/OA_bite_neutral.wav``).
    """
    record = spec.parse(path)
    folder = spec.parse_folder(path) if spec.parse_folder is not None else None
    if folder is None:
        return record, False
    if record is None:
        # Folders that give only some of the labels (an emotion folder) cannot stand alone.
        if all(key in folder for key in FOLDER_LABELS):
            return dict(folder), True
        return None, False
    if all(record.get(key) == folder.get(key) for key in FOLDER_LABELS if key in folder):
        return record, False
    return {**record, **folder}, True


def _quote(paths: list[str]) -> str:
    names = [os.path.basename(p) for p in paths[:_N_QUOTED]]
    return ", ".join(names) + (", ..." if len(paths) > _N_QUOTED else "")


def _report(spec: CorpusSpec, folder: Path, report: dict[str, list[str]], errors: str) -> None:
    problems = []
    if report["unparsed"]:
        n = len(report["unparsed"])
        problems.append(
            f"{n} audio file{'s' if n > 1 else ''} under {folder} "
            f"{'do' if n > 1 else 'does'} not follow the {spec.title} naming and "
            f"{'were' if n > 1 else 'was'} left out ({_quote(report['unparsed'])}; all in "
            f"frame.attrs['unparsed']); expected {spec.layout}"
        )
    if report["duplicates"]:
        n = len(report["duplicates"])
        problems.append(
            f"{n} {spec.title} files under {folder} describe the same recordings as one another "
            f"({_quote(report['duplicates'])}; all in frame.attrs['duplicates']): the folder "
            "holds more than one copy of some clips (as .wav and .flac, or a nested copy of the "
            "corpus); they are all kept, so remove the copies before splitting the data"
        )
    if not problems or errors == "ignore":
        return
    message = "; ".join(problems)
    if errors == "raise":
        raise CorpusError(message)
    # Points at the caller of load_corpus: _report <- load_corpus <- caller.
    warnings.warn(message, CorpusWarning, stacklevel=3)
