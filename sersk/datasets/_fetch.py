"""Downloading corpora into the data home: verified, then extracted atomically.

A download goes to a ``.part`` file inside a hidden working folder of the data home, is checked
(length against ``Content-Length``; size and MD5 against those Zenodo publishes, where there
are any; zip integrity; that the archive really holds the corpus), extracted there, and only
then renamed into place as ``<data home>/<corpus>/``. Whatever fails, the working folder is
removed: the data home never holds a half-written corpus.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from ..exceptions import CorpusError, DownloadError
from ._corpus import CorpusSpec, CorpusWarning
from ._home import get_data_home
from ._load import get_corpus_spec, load_corpus
from ._sources import SOURCES, Source

__all__ = ["fetch_corpus"]

# Seconds a connection may stay silent before the download is abandoned.
_TIMEOUT = 60
_CHUNK = 1 << 20


def fetch_corpus(
    name: str,
    data_home: str | os.PathLike | None = None,
    *,
    force: bool = False,
    progress: bool = True,
    url: str | None = None,
) -> str:
    """Download a corpus into the data home, once, and return its folder.

    RAVDESS comes from its Zenodo record 1188976 (the speech-audio archive
    ``Audio_Speech_Actors_01-24.zip``, 1,440 files, about 200 MB; CC BY-NC-SA 4.0, for
    non-commercial use) and CaFE from its Zenodo record 1478765 (the 48 kHz edition
    ``CaFE_48k.zip``; CC BY-NC-SA 4.0), each checked against the size and MD5 checksum that
    Zenodo publishes for it. EmoDB comes from the download archive of its official site (about
    40 MB; free for research use), nEMO (CC BY-NC-SA 4.0) and URDU (research use) from their
    authors' GitHub repositories as archives; these publish no checksum, so only the transfer
    length, the zip's own CRCs and its content are checked, and a :class:`CorpusWarning` says
    so. The other corpora are distributed under terms that need a person to fetch them (a
    signed licence, a login) or through links that change; download them by hand and pass
    their folder to :func:`load_corpus`.

    Parameters
    ----------
    name : {"ravdess", "emodb", "cafe", "nemo", "urdu"}
        The corpus.
    data_home : str or os.PathLike, default=None
        The folder to put it in, as ``<data_home>/<name>/``; None means
        :func:`get_data_home`.
    force : bool, default=False
        Download again even if the corpus folder exists, replacing it once the new copy is
        verified.
    progress : bool, default=True
        Show a progress bar (tqdm, on stderr).
    url : str, default=None
        Download from this address (a mirror) instead of the official one, which the
        ``SERSK_<NAME>_URL`` environment variables (``SERSK_RAVDESS_URL``,
        ``SERSK_EMODB_URL``, ``SERSK_CAFE_URL``, ``SERSK_NEMO_URL``, ``SERSK_URDU_URL``) also
        override. RAVDESS and CaFE are still checked against their Zenodo records, whose
        addresses ``SERSK_RAVDESS_RECORD_URL`` and ``SERSK_CAFE_RECORD_URL`` override.

    Returns
    -------
    str
        The corpus folder, ready for ``load_corpus(name, path)``.

    Raises
    ------
    DownloadError
        The server cannot be reached or answers with an error, the transfer is cut short, the
        size or checksum does not match, the archive is corrupt or does not hold the corpus.
        The message names the address and the problem; nothing is left in the data home.
    CorpusError
        ``name`` is not a corpus sersk can download.

    See Also
    --------
    load_corpus : List the downloaded corpus as a DataFrame.

    Examples
    --------
    >>> from sersk.datasets import fetch_corpus, load_corpus
    >>> folder = fetch_corpus("emodb")  # doctest: +SKIP
    >>> load_corpus("emodb", folder).shape  # doctest: +SKIP
    (535, 9)
    """
    spec = get_corpus_spec(name)
    source = SOURCES.get(spec.name)
    if source is None:
        raise CorpusError(
            f"sersk cannot download {spec.title}: it has no stable public download address, or "
            f"its licence asks each user to obtain it ({spec.url}); download it yourself and "
            "pass its folder to load_corpus. "
            f"fetch_corpus knows {', '.join(sorted(SOURCES))}"
        )
    home = Path(get_data_home(data_home))
    existing = _existing_folder(spec, home)
    if existing is not None and not force:
        return str(existing)
    url = url or os.environ.get(source.url_env) or source.url

    work = Path(tempfile.mkdtemp(prefix=f".{spec.name}-download-", dir=home))
    try:
        md5, size, origin = _published_checksum(source)
        archive = work / source.filename
        received, digest, content_type = _download(url, archive, progress=progress)
        _verify(url, received=received, digest=digest, md5=md5, size=size, origin=origin)
        extracted = _extract(archive, work / spec.name, url=url, content_type=content_type)
        archive.unlink()
        _check_content(spec, extracted, url)
        target = existing if existing is not None else home / spec.name
        previous = work / "previous"
        if target.exists():
            os.replace(target, previous)
        try:
            os.replace(extracted, target)
        except OSError as exc:
            if previous.exists():
                os.replace(previous, target)
            raise DownloadError(
                f"{url}: cannot move the extracted corpus to {target}: {exc}"
            ) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return str(target)


def _existing_folder(spec: CorpusSpec, home: Path) -> Path | None:
    for child in sorted(home.iterdir()):
        if child.is_dir() and spec.matches_folder(child.name) and any(child.iterdir()):
            return child
    return None


def _request(url: str) -> Request:
    from .. import __version__

    return Request(url, headers={"User-Agent": f"sersk/{__version__} (Python urllib)"})


def _open(url: str):
    try:
        return urlopen(_request(url), timeout=_TIMEOUT)
    except HTTPError as exc:
        raise DownloadError(f"{url}: the server answered HTTP {exc.code} {exc.reason}") from exc
    except (URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot reach {url}: {reason}") from exc


def _published_checksum(source: Source) -> tuple[str | None, int | None, str]:
    """The archive's MD5 and size as published, with where they come from."""
    if source.record_url is None:
        return None, None, "its publisher gives no checksum"
    record_url = (os.environ.get(source.record_env) if source.record_env else None) or (
        source.record_url
    )
    try:
        with _open(record_url) as response:
            record = json.load(response)
        entry = next(f for f in _record_files(record) if f.get("key") == source.filename)
        algorithm, _, value = str(entry["checksum"]).partition(":")
        if algorithm.lower() != "md5" or len(value) != 32:
            raise ValueError(f"unexpected checksum {entry['checksum']!r}")
        size = int(entry["size"]) if entry.get("size") is not None else None
        return value.lower(), size, f"published in the Zenodo record {record_url}"
    except (DownloadError, ValueError, KeyError, TypeError, StopIteration, OSError) as exc:
        problem = (f"{source.filename} is not listed" if isinstance(exc, StopIteration)
                   else str(exc))
        if source.md5 is not None:
            return source.md5, None, (
                f"the Zenodo record's MD5 as recorded in sersk; the record {record_url} could "
                f"not be read: {problem}"
            )
        return None, None, f"the record {record_url} could not be read: {problem}"


def _record_files(record: Any) -> list[dict]:
    # Zenodo's record API lists files as a list; its /files endpoint under "entries".
    files = record.get("files", []) if isinstance(record, dict) else []
    if isinstance(files, dict):
        files = files.get("entries", [])
    return [f for f in files if isinstance(f, dict)]


def _download(url: str, dest: Path, *, progress: bool) -> tuple[int, str, str]:
    """Stream ``url`` to ``dest`` through ``dest.part``: (bytes received, MD5, content type)."""
    from .._progress import progress_bar

    part = dest.with_name(dest.name + ".part")
    received, md5 = 0, hashlib.md5()
    with _open(url) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        content_type = response.headers.get("Content-Type", "")
        with open(part, "wb") as f, progress_bar(
            total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=dest.name,
            disable=not progress, leave=False,
        ) as bar:
            try:
                while chunk := response.read(_CHUNK):
                    f.write(chunk)
                    md5.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            except (OSError, http.client.HTTPException) as exc:
                raise DownloadError(
                    f"{url}: the download was interrupted after {received} bytes ({exc})"
                ) from exc
    if total is not None and received != total:
        raise DownloadError(
            f"{url}: received {received} bytes but the server announced {total}; the transfer "
            "was cut short, try again"
        )
    os.replace(part, dest)
    return received, md5.hexdigest(), content_type


def _verify(
    url: str, *, received: int, digest: str, md5: str | None, size: int | None, origin: str
) -> None:
    if size is not None and received != size:
        raise DownloadError(
            f"{url}: received {received} bytes but the archive has {size} ({origin}); the file "
            "is not the published archive"
        )
    if md5 is None:
        warnings.warn(
            f"{url}: the download cannot be checked against a published checksum ({origin}); "
            "only its length, the zip's own CRCs and its content were checked",
            CorpusWarning,
            stacklevel=3,
        )
    elif digest != md5:
        raise DownloadError(
            f"{url}: MD5 checksum mismatch: the download has {digest}, expected {md5} "
            f"({origin}); the file is corrupt or not the published archive, and was deleted"
        )


def _extract(archive: Path, dest: Path, *, url: str, content_type: str) -> Path:
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                parts = PurePosixPath(info.filename.replace("\\", "/")).parts
                if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in info.filename:
                    raise DownloadError(
                        f"{url}: the archive holds an unsafe path {info.filename!r}; not extracted"
                    )
            corrupt = zf.testzip()
            if corrupt is not None:
                raise DownloadError(
                    f"{url}: the archive is corrupt ({corrupt} fails its CRC check)"
                )
            zf.extractall(dest)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        sent = f"; the server sent {content_type}" if content_type else ""
        raise DownloadError(f"{url}: not a valid zip archive ({exc}{sent})") from exc
    return dest


def _check_content(spec: CorpusSpec, folder: Path, url: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CorpusWarning)
            frame = load_corpus(spec.name, folder, errors="ignore")
    except CorpusError as exc:
        raise DownloadError(
            f"{url}: the archive does not hold the {spec.title} corpus: {exc}"
        ) from exc
    if spec.n_files is not None and len(frame) != spec.n_files:
        warnings.warn(
            f"{url}: the archive holds {len(frame)} {spec.title} recordings; the published "
            f"corpus has {spec.n_files}",
            CorpusWarning,
            stacklevel=3,
        )
