"""Listing a corpus folder as a DataFrame of files and labels, without decoding any audio."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any, Literal

import pandas as pd

from ..exceptions import CorpusError
from ._corpus import AUDIO_EXTENSIONS, CorpusSpec, CorpusWarning, Record
from ._crema_d import CREMA_D
from ._emodb import EMODB
from ._home import get_data_home
from ._ravdess import RAVDESS
from ._savee import SAVEE
from ._tess import TESS

__all__ = ["audio_inputs", "available_corpora", "get_corpus_spec", "load_corpus"]

_CORPORA: dict[str, CorpusSpec] = {spec.name: spec for spec in (RAVDESS, CREMA_D, TESS, SAVEE,
                                                                 EMODB)}

#: The columns every frame starts with, in this order; each corpus adds its own after them.
BASE_COLUMNS = ("path", "emotion", "speaker", "corpus", "gender")

_ERRORS = ("warn", "raise", "ignore")

# How many file names a warning or error quotes before "...".
_N_QUOTED = 5

# Folders that hold no corpus files: macOS resource forks that zip tools leave behind.
_IGNORED_FOLDERS = frozenset({"__MACOSX"})


def available_corpora() -> list[str]:
    """The names :func:`load_corpus` accepts.

    Returns
    -------
    list of str
        Canonical corpus names, as written in the ``corpus`` column.

    Examples
    --------
    >>> from sersk.datasets import available_corpora
    >>> available_corpora()
    ['crema-d', 'emodb', 'ravdess', 'savee', 'tess']
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
    name: str | Sequence[str],
    root: str | os.PathLike | None = None,
    *,
    errors: Literal["warn", "raise", "ignore"] = "warn",
) -> pd.DataFrame:
    """List a corpus's audio files with their harmonised emotion labels and speakers.

    Only file and folder names are read: no audio is decoded, so listing a corpus of thousands
    of files takes a fraction of a second. Files keep their original names and layouts (the
    corpus as distributed, as ``.wav``, or re-encoded as ``.flac``; extensions in any case).

    Parameters
    ----------
    name : str or list of str
        A corpus from :func:`available_corpora` (``"ravdess"``, ``"crema-d"``, ``"tess"``,
        ``"savee"``, ``"emodb"``; case and punctuation do not matter, so ``"cremad"`` and
        ``"CREMA_D"`` work), or a list of them to combine into one frame.
    root : str or os.PathLike, default=None
        The corpus folder itself, or a data home holding one folder per corpus (``ravdess/``,
        ``emodb/``, ``CREMA-D/`` …, matched regardless of case). With several corpora it must be
        a data home. None means :func:`get_data_home`, where :func:`fetch_corpus` puts them.
    errors : {"warn", "raise", "ignore"}, default="warn"
        What to do about audio files whose names do not follow the corpus's naming, and about
        files that repeat a recording already listed (the same clip as ``.wav`` and ``.flac``,
        or a second copy of the corpus inside its folder). "warn" emits a
        :class:`CorpusWarning` naming how many and the first few; "raise" raises
        :class:`~sersk.exceptions.CorpusError`; "ignore" does neither. In every case they are
        listed in ``frame.attrs`` and never silently dropped: unparsed files are left out of the
        rows, repeated ones stay in.

    Returns
    -------
    frame : pandas.DataFrame
        One row per audio file, sorted by path, with the columns

        - ``path``: absolute path of the file (str);
        - ``emotion``: harmonised label, one of :data:`EMOTIONS`;
        - ``speaker``: speaker id, unique across corpora (``"ravdess-01"``, ``"emodb-03"``);
        - ``corpus``: canonical corpus name;
        - ``gender``: ``"male"``, ``"female"``, or missing where the corpus does not say;
        - ``original_label``: the corpus's own emotion code;
        - what else the file names carry: RAVDESS ``intensity``, ``statement``,
          ``repetition``; EmoDB ``text_code``, ``statement``, ``version``; CREMA-D
          ``statement_code``, ``statement``, ``intensity`` (and ``age`` from its
          demographics file); TESS ``word``, ``age``; SAVEE ``sentence``.

        ``frame.attrs`` holds ``"unparsed"`` (paths of audio files whose names could not be
        parsed), ``"duplicates"`` (paths of files that describe the same recording as another),
        ``"skipped"`` (parsed files outside the default selection, such as RAVDESS song or
        audio-visual recordings: sersk keeps RAVDESS audio-only speech) and ``"roots"`` (the
        folder read for each corpus).

    Raises
    ------
    CorpusError
        Unknown corpus name; a folder that does not exist, holds no audio files, or none named
        like the corpus's; unparsed or repeated files with ``errors="raise"``.

    See Also
    --------
    fetch_corpus : Download RAVDESS or EmoDB into the data home.
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
    names = [name] if isinstance(name, str) else list(name)
    if not names:
        raise CorpusError(f"no corpus named; known corpora are {', '.join(available_corpora())}")
    specs = [get_corpus_spec(n) for n in names]
    seen = [spec.name for spec in specs]
    repeated = sorted({n for n in seen if seen.count(n) > 1})
    if repeated:
        raise CorpusError(f"corpus {', '.join(repeated)} is named more than once in {names!r}")
    home = Path(get_data_home() if root is None else root).expanduser().absolute()

    frames, attrs = [], {"unparsed": [], "duplicates": [], "skipped": [], "roots": {}}
    for spec in specs:
        folder = _corpus_folder(spec, home, combined=len(specs) > 1, default_home=root is None)
        frame, report = _list_corpus(spec, folder)
        _report(spec, folder, report, errors)
        for key in ("unparsed", "duplicates", "skipped"):
            attrs[key].extend(report[key])
        attrs["roots"][spec.name] = str(folder)
        frames.append(frame)
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    frame = frame.sort_values("path", ignore_index=True, kind="stable")
    frame.attrs = attrs
    return frame


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
        if default_home and spec.name in ("ravdess", "emodb"):
            hint = f"; sersk.datasets.fetch_corpus({spec.name!r}) downloads it there"
        raise CorpusError(
            f"no {spec.title} folder in data home {root}{found}; expected a folder named "
            f"'{spec.name}' holding {spec.layout}{hint}"
        )
    return root


def _audio_files(folder: Path) -> list[str]:
    """Absolute paths of the audio files under ``folder``, hidden files and folders left out."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in _IGNORED_FOLDERS]
        for filename in filenames:
            # "._x.wav" files are macOS metadata, not audio.
            if filename.startswith("."):
                continue
            if os.path.splitext(filename)[1].lower() in AUDIO_EXTENSIONS:
                found.append(os.path.join(dirpath, filename))
    return found


def _list_corpus(spec: CorpusSpec, folder: Path) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    folder = folder.absolute()
    files = _audio_files(folder)
    if not files:
        raise CorpusError(
            f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) under {folder}; expected the "
            f"{spec.title} corpus: {spec.layout}"
        )
    records: list[Record] = []
    unparsed, skipped = [], []
    for path in files:
        record = spec.parse(PurePath(path))
        if record is None:
            unparsed.append(path)
        elif spec.keep is not None and not spec.keep(record):
            skipped.append(path)
        else:
            for key in spec.selection_columns:
                del record[key]
            records.append({"path": path, "corpus": spec.name, **record})
    if not records:
        if skipped:
            reason = (f"all {len(skipped)} {spec.title} files under {folder} lie outside the "
                      f"default selection (for RAVDESS: audio-only speech, modality 03 and "
                      f"vocal channel 01)")
        else:
            reason = (f"none of the {len(files)} audio files under {folder} follows the "
                      f"{spec.title} naming (e.g. {_quote(sorted(unparsed))})")
        raise CorpusError(f"{reason}; expected {spec.layout}")
    extra = [key for key in records[0] if key not in BASE_COLUMNS]
    frame = pd.DataFrame.from_records(records, columns=[*BASE_COLUMNS, *extra])
    frame = frame.sort_values("path", ignore_index=True, kind="stable")
    if spec.annotate is not None:
        frame = spec.annotate(frame, folder)
    duplicated = frame.drop(columns="path").duplicated(keep=False)
    report = {
        "unparsed": sorted(unparsed),
        "duplicates": frame.loc[duplicated, "path"].tolist(),
        "skipped": sorted(skipped),
    }
    return frame, report


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
