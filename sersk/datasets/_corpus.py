"""What sersk knows about a corpus: its names, folder names, file-naming scheme and parser.

Each corpus module (``_ravdess.py``, ``_emodb.py`` …) describes its corpus with one
:class:`CorpusSpec`; :func:`~sersk.datasets.load_corpus` does the rest (finding the folder,
listing files, reporting what it could not parse) the same way for all of them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import pandas as pd

__all__ = [
    "AUDIO_EXTENSIONS",
    "FOLDER_LABELS",
    "CorpusSpec",
    "CorpusWarning",
    "Record",
    "find_side_file",
    "list_audio_files",
    "normalise_name",
]

#: File extensions listed as audio (compared lower-cased). Most corpora are distributed as WAV;
#: FLAC is the usual lossless re-encoding; CaFE's 192 kHz edition is AIFF. MP3 copies (CREMA-D
#: ships both) are left out on purpose, so that a folder holding both does not count every
#: recording twice.
AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".flac", ".aiff", ".aif")

#: The labels a file's folders may contradict its name on; where they do, the folders win.
FOLDER_LABELS: tuple[str, ...] = ("emotion", "speaker")

# Folders that hold no corpus files: macOS resource forks that zip tools leave behind.
_IGNORED_FOLDERS = frozenset({"__MACOSX"})

#: What a parser returns for one file: the columns it fills, or None when the name does not
#: follow the corpus's scheme.
Record = dict[str, Any]


class CorpusWarning(UserWarning):
    """Something about a corpus folder or download that deserves a look but is not fatal.

    Raised, for instance, when some audio files have names a corpus loader cannot parse, when
    two files describe the same recording, or when a download could not be checked against a
    published checksum.
    """


def normalise_name(name: str) -> str:
    """Lower-case a corpus or folder name and drop everything but letters and digits.

    ``"CREMA-D"``, ``"crema_d"`` and ``"Crema D"`` all become ``"cremad"``.
    """
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def find_side_file(frame: pd.DataFrame, root: Path, filename: str) -> Path | None:
    """A corpus's metadata file (``filename``, any case) beside its audio or in a folder above.

    Corpora ship their metadata at the top of the release (CREMA-D's ``VideoDemographics.csv``,
    nEMO's ``data.tsv``), one or more levels above the audio; a user may point
    :func:`~sersk.datasets.load_corpus` at the audio folder itself. So every folder holding a
    listed file is searched, then each folder above it, up to ``root``'s parent; the nearest
    match wins.

    Parameters
    ----------
    frame : pandas.DataFrame
        The listed files (column ``path``).
    root : pathlib.Path
        The corpus folder that was listed.
    filename : str
        The file to find, compared lower-cased.

    Returns
    -------
    pathlib.Path or None
        The file, or None when there is none.
    """
    stop = root.parent
    candidates: dict[Path, None] = {}
    for folder in sorted({Path(p).parent for p in frame["path"]}):
        while True:
            candidates.setdefault(folder, None)
            if folder in (stop, folder.parent):
                break
            folder = folder.parent
    for folder in candidates:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.lower() == filename.lower():
                return folder / name
    return None


def list_audio_files(folder: str | os.PathLike) -> list[str]:
    """Paths of the audio files under ``folder``, hidden files and folders left out.

    Audio files are those with an extension in :data:`AUDIO_EXTENSIONS`; the paths start with
    ``folder`` as given (absolute when it is).
    """
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


@dataclass(frozen=True)
class CorpusSpec:
    """How one corpus is named, laid out and parsed.

    Parameters
    ----------
    name : str
        Canonical name, as written in the ``corpus`` column (``"crema-d"``).
    title : str
        Human name used in messages (``"CREMA-D"``).
    parse : callable
        ``parse(path) -> dict or None``: the columns that ``path``'s name (and, where the
        corpus needs it, its folder) encodes, with at least ``emotion``, ``speaker`` and
        ``gender`` (``speaker`` None when the corpus does not say, and then
        ``unknown_speakers`` says why); None when the name does not follow the corpus's
        scheme.
    layout : str
        The expected names, for error messages (``"AudioWAV/1001_DFA_ANG_XX.wav"``).
    aliases : tuple of str
        Other accepted spellings of ``name``, compared after :func:`normalise_name`.
    folder_names : tuple of str
        Names the corpus folder goes by inside a data home, compared after
        :func:`normalise_name`.
    keep : callable, default=None
        ``keep(record) -> bool``: whether a parsed file belongs to the default selection
        (RAVDESS keeps audio-only speech). Files it rejects are listed in
        ``attrs["skipped"]``, not reported as problems.
    selection : str, default=""
        The default selection in words, for messages (``"audio-only speech"``).
    selection_columns : tuple of str, default=()
        Fields ``parse`` returns only for ``keep`` to read; left out of the frame.
    annotate : callable, default=None
        ``annotate(frame, root) -> frame``: adds what only the corpus's side files know
        (CREMA-D's actor demographics).
    parse_folder : callable, default=None
        ``parse_folder(path) -> dict or None``: the labels that ``path``'s folders give, for
        corpora laid out one folder per speaker or emotion (TESS's ``OAF_angry/``); None when
        the folders do not follow the layout. Where a file's name cannot be parsed but its
        folders can, or where the two disagree on the emotion or the speaker, the folders'
        labels are used and the file is listed in ``attrs["from_folder"]``.
    n_files : int, default=None
        Number of files in the complete default selection, as published.
    url : str, default=""
        Where the corpus is described and obtained.
    unknown_speakers : str, default=""
        For a corpus whose file names do not say who speaks (``parse`` returns ``speaker``
        None): why, in words, for ``frame.attrs["unknown_speakers"]`` and for the message that
        refuses a speaker-independent split. Empty when the speakers are known.
    """

    name: str
    title: str
    parse: Callable[[PurePath], Record | None]
    layout: str
    aliases: tuple[str, ...] = ()
    folder_names: tuple[str, ...] = ()
    keep: Callable[[Record], bool] | None = None
    selection: str = ""
    selection_columns: tuple[str, ...] = ()
    annotate: Callable[[pd.DataFrame, Path], pd.DataFrame] | None = None
    parse_folder: Callable[[PurePath], Record | None] | None = None
    n_files: int | None = None
    url: str = ""
    unknown_speakers: str = ""
    _keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = {normalise_name(self.name), *map(normalise_name, self.aliases)}
        object.__setattr__(self, "_keys", frozenset(keys))

    def matches_name(self, name: str) -> bool:
        """Whether ``name`` (any case or punctuation) designates this corpus."""
        return normalise_name(name) in self._keys

    def matches_folder(self, folder_name: str) -> bool:
        """Whether a folder called ``folder_name`` is this corpus's folder in a data home."""
        key = normalise_name(folder_name)
        return key in self._keys or key in {normalise_name(f) for f in self.folder_names}
