"""Saving and loading trained models: one file holding the fitted pipeline and what it is.

Two formats, chosen by the file's name:

- ``*.skops`` (:mod:`sersk._skops`): the pipeline stored as data by :mod:`skops.io`; loading
  rebuilds only the types of an explicit allow-list and refuses a file naming any other, so a
  file from anywhere can be loaded without running its code. The classic pipelines (MFCC,
  handcrafted features, SVM, XGBoost, SMOTE) can be stored this way; the Keras models and the
  pretrained encoders cannot (saving says so). Needs the ``skops`` extra.
- anything else, conventionally ``*.joblib``: a pickle, which any scikit-learn code loads
  with ``joblib.load``, and which **runs code from the file when loaded: load only joblib
  files from a trusted source.**

The joblib format:

A sersk model file is exactly what ``joblib.dump(pipeline, path)`` writes, so ``joblib.load``
in any scikit-learn code gives the fitted pipeline back, ready to predict from audio files.
The pipeline carries its metadata as the attribute ``sersk_metadata_`` (a dict: pipeline name,
classes, corpora, training size, cross-validation metrics, library versions, creation time).

The file ends with the same metadata as JSON, after the pickle (unpicklers stop at the pickle's
end and never read it)::

    <joblib pickle of the pipeline> b"\\nSERSK-MODEL-METADATA\\n" <UTF-8 JSON> <length: 8 bytes,
    little-endian> b"SERSKMD1"

so :func:`read_metadata` (and ``sersk info``) says what a file is without unpickling it.
That matters twice: unpickling runs code from the file (load only models you trust), and it
fails on files saved by incompatible library versions, which is exactly when the versions that
saved the file are worth knowing. The metadata is what the file says of itself: nothing
verifies it (a malicious pickle can carry a trailer copied from a genuine model).

Files are written with the permissions of any new file (``0o666`` less the umask), like
``joblib.dump`` writing in place would: a model holds no secret of its own.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import platform
import secrets
import struct
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from . import _skops
from .exceptions import SerskError
from .inference import sample_rate_of

__all__ = [
    "FORMAT_VERSION",
    "IncompatibleModelError",
    "ModelFileError",
    "ModelVersionWarning",
    "UntrustedModelError",
    "library_versions",
    "load_model",
    "read_metadata",
    "save_model",
]

#: Version of the file layout and metadata keys; files with a higher version are refused.
FORMAT_VERSION = 1

#: The name ending that selects the skops format in :func:`save_model`.
SKOPS_SUFFIX = ".skops"

_MARKER = b"\nSERSK-MODEL-METADATA\n"
_MAGIC = b"SERSKMD1"
_LENGTH = struct.Struct("<Q")
_TRAILER_END = _LENGTH.size + len(_MAGIC)

# The libraries whose versions decide whether a pickled pipeline loads and behaves the same.
_LIBRARIES = ("scikit-learn", "numpy", "scipy", "joblib", "librosa", "imbalanced-learn",
              "xgboost", "opensmile")
# Libraries published under more than one name: xgboost-cpu is the xgboost module without its
# CUDA build, what sersk installs where it exists (see pyproject.toml).
_DISTRIBUTIONS = {"xgboost": ("xgboost", "xgboost-cpu")}


class ModelFileError(SerskError, ValueError):
    """A model file that cannot be used: missing, not a model, truncated or corrupt."""


class IncompatibleModelError(ModelFileError):
    """A model file written by a version of sersk or its libraries that this one cannot load.

    Attributes
    ----------
    metadata : dict or None
        The file's metadata, when it could be read.
    """

    def __init__(self, message: str, metadata: dict | None = None):
        super().__init__(message)
        self.metadata = metadata

    def __reduce__(self):
        return (type(self), (self.args[0], self.metadata))


class UntrustedModelError(ModelFileError):
    """A skops model file naming types outside sersk's allow-list; it was not loaded.

    Attributes
    ----------
    types : list of str
        The types it names that are not trusted.
    """

    def __init__(self, message: str, types: Sequence[str] = ()):
        super().__init__(message)
        self.types = list(types)

    def __reduce__(self):
        return (type(self), (self.args[0], self.types))


class ModelVersionWarning(UserWarning):
    """A model loaded fine but was saved with other versions of sersk or scikit-learn."""


def library_versions() -> dict[str, str]:
    """Versions of Python, sersk and the libraries a saved pipeline depends on.

    Returns
    -------
    versions : dict of str to str
        ``{"sersk": ..., "python": ..., "scikit-learn": ..., ...}``; libraries that are not
        installed are left out.
    """
    import sersk

    versions = {"sersk": sersk.__version__, "python": platform.python_version()}
    for name in _LIBRARIES:
        for distribution in _DISTRIBUTIONS.get(name, (name,)):
            try:
                versions[name] = importlib_metadata.version(distribution)
                break
            except importlib_metadata.PackageNotFoundError:
                pass
    return versions


def save_model(
    pipeline: Any,
    path: str | os.PathLike,
    *,
    pipeline_name: str | None = None,
    corpora: Sequence[str] = (),
    n_train: int | None = None,
    metrics: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict:
    """Save a fitted pipeline with its metadata in one joblib or skops file.

    Parameters
    ----------
    pipeline : estimator
        A fitted classifier from audio inputs to emotions (with ``classes_``), typically a
        pipeline from :func:`pipelines.make`.
    path : str or os.PathLike
        The file to write, replaced atomically if it exists. A name ending in ``.skops``
        writes the skops format (loadable without running code from the file; needs the
        ``skops`` extra); any other (conventionally ``*.joblib``) a joblib pickle, which
        runs code when loaded. It gets the permissions of a new file (``0o666`` less the
        umask).
    pipeline_name : str, default=None
        The registry name it was built from, such as ``"handcrafted-svm"``.
    corpora : sequence of str, default=()
        The corpora it was trained on.
    n_train : int, default=None
        The number of training clips.
    metrics : mapping, default=None
        Evaluation results worth keeping with the model, such as cross-validated UAR. Values
        must be JSON-serialisable (numbers, strings, lists, dicts).
    extra : mapping, default=None
        Any other JSON-serialisable metadata (the command that trained it, its parameters …).

    Returns
    -------
    metadata : dict
        What was stored: the arguments above and ``classes``, ``sample_rate``, ``created``
        (UTC, ISO 8601), ``versions`` (:func:`library_versions`), ``format`` and
        ``format_version``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        The pipeline is not fitted.
    TypeError
        Metadata that JSON cannot represent; for a ``.skops`` name, a pipeline that the
        skops format cannot hold (Keras models, pretrained encoders) or that holds types
        outside sersk's allow-list.
    ValueError
        ``extra`` holds a key that save_model sets itself (``classes``, ``versions`` …).

    See Also
    --------
    load_model : The pipeline and its metadata back.
    read_metadata : The metadata alone, without unpickling the pipeline.

    Examples
    --------
    >>> import joblib, numpy as np, tempfile
    >>> from pathlib import Path
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sersk.features import MFCC
    >>> from sersk.persistence import load_model, save_model
    >>> rng = np.random.default_rng(0)
    >>> clips = [(rng.standard_normal(16_000) * (0.05 + 0.1 * (i % 2)), 16_000) for i in range(8)]
    >>> model = make_pipeline(MFCC(n_mfcc=13), LogisticRegression())
    >>> model = model.fit(clips, ["calm", "angry"] * 4)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = save_model(model, Path(tmp, "ser.joblib"), corpora=["toy"], n_train=8)
    ...     loaded, meta = load_model(Path(tmp, "ser.joblib"))
    ...     plain = joblib.load(Path(tmp, "ser.joblib"))         # any scikit-learn code
    >>> meta["classes"], meta["corpora"], plain.predict(clips[:2]).tolist()
    (['angry', 'calm'], ['toy'], ['calm', 'angry'])
    """
    import joblib
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(pipeline)
    classes = getattr(pipeline, "classes_", None)
    if classes is None:
        raise TypeError(
            f"{type(pipeline).__name__} has no classes_: save_model stores fitted classifiers"
        )
    meta = {
        "format": "sersk-model",
        "format_version": FORMAT_VERSION,
        "pipeline": pipeline_name,
        "classes": [_plain(c) for c in classes],
        "corpora": [str(c) for c in corpora],
        "n_train": None if n_train is None else int(n_train),
        "metrics": dict(metrics or {}),
        "sample_rate": sample_rate_of(pipeline),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
    }
    clash = sorted(set(extra or {}) & set(meta))
    if clash:
        raise ValueError(f"extra metadata cannot replace {', '.join(clash)}, which save_model "
                         "sets itself")
    meta.update(extra or {})
    if Path(path).suffix.lower() == SKOPS_SUFFIX:
        meta["format"] = "sersk-model-skops"
    try:
        payload = json.dumps(meta, ensure_ascii=False, allow_nan=True).encode("utf-8")
    except TypeError as exc:
        raise TypeError(f"model metadata must be JSON-serialisable: {exc}") from None

    # A shallow copy carries the attribute, so the caller's pipeline is left as it was.
    stored = copy.copy(pipeline)
    stored.sersk_metadata_ = json.loads(payload)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    skops = path.suffix.lower() == SKOPS_SUFFIX
    fd, tmp = _new_temporary_file(path)
    try:
        with os.fdopen(fd, "wb") as f:
            if skops:
                try:
                    _skops.dump(stored, f, payload)
                except TypeError as exc:
                    raise TypeError(f"{path}: {exc}") from None
            else:
                joblib.dump(stored, f)
                f.write(_MARKER + payload + _LENGTH.pack(len(payload)) + _MAGIC)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return meta


def read_metadata(path: str | os.PathLike) -> dict:
    """The metadata of a sersk model file, read without unpickling or loading the pipeline.

    The metadata is what the file says of itself; nothing verifies it.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    metadata : dict
        As :func:`save_model` returned it.

    Raises
    ------
    ModelFileError
        The file is missing, or has no sersk metadata (a plain joblib file, a truncated
        file, or not a model at all).
    IncompatibleModelError
        The file was written in a newer format than this sersk reads.
    """
    path = _existing_file(path)
    meta = _skops.read_metadata(path) if _skops.is_skops(path) else _read_trailer(path)
    if meta is None:
        raise ModelFileError(
            f"{path}: no sersk metadata found; the file is not a model saved by sersk "
            "(a plain joblib file loads with sersk.persistence.load_model), or it is truncated"
        )
    _check_format(path, meta)
    return meta


def load_model(path: str | os.PathLike) -> tuple[Any, dict]:
    """Load a model file: the fitted pipeline and its metadata.

    Files saved by :func:`save_model` are read with their metadata; a fitted classifier saved
    with plain ``joblib.dump`` loads too, with the little metadata that can be read from the
    pipeline itself (``classes``, ``sample_rate``). The format is read from the file's first
    bytes: a skops file (a zip archive) is loaded trusting only sersk's allow-list of types,
    anything else is unpickled.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    pipeline : estimator
        The fitted pipeline, with ``predict``, ``predict_proba`` and ``classes_``.
    metadata : dict
        As :func:`save_model` returned it.

    Raises
    ------
    ModelFileError
        The file is missing, truncated, corrupt, or holds something other than a fitted
        classifier.
    IncompatibleModelError
        The file comes from a sersk or library version this installation cannot load; the
        message names the versions that saved it and the ones installed.
    UntrustedModelError
        A skops file naming types outside sersk's allow-list (listed in the message); nothing
        of it was loaded.

    Warns
    -----
    ModelVersionWarning
        The file loaded but was saved with another version of sersk or scikit-learn; its
        predictions may differ from the ones measured when it was saved.

    Notes
    -----
    Loading a joblib file unpickles it, which can run arbitrary code: load only joblib files
    from a trusted source. A ``.skops`` file runs no code of its own when loaded.
    :func:`read_metadata` reads what a file is without loading either.
    """
    path = _existing_file(path)
    skops = _skops.is_skops(path)
    meta = _skops.read_metadata(path) if skops else _read_trailer(path)
    if meta is not None:
        _check_format(path, meta)
    pipeline = _load_skops(path, meta) if skops else _unpickle(path, meta)
    if not (hasattr(pipeline, "predict") and hasattr(pipeline, "classes_")):
        raise ModelFileError(
            f"{path}: holds a {type(pipeline).__name__}, not a fitted classifier (an object "
            "with predict and classes_)"
        )
    if meta is None:
        meta = getattr(pipeline, "sersk_metadata_", None) or {
            "format": "joblib", "format_version": None, "pipeline": None,
            "classes": [_plain(c) for c in pipeline.classes_], "corpora": [],
            "n_train": None, "metrics": {}, "sample_rate": sample_rate_of(pipeline),
            "created": None, "versions": {},
        }
    _warn_versions(path, meta)
    return pipeline, meta


def _load_skops(path: Path, meta: dict | None) -> Any:
    import zipfile

    try:
        return _skops.load(path)
    except PermissionError as exc:
        raise UntrustedModelError(
            f"{path}: refused: the skops file names types sersk does not trust, and loading "
            f"them could run code: {exc}", str(exc).split(", "),
        ) from None
    except (ImportError, AttributeError) as exc:
        if "skops" in str(exc) and isinstance(exc, ImportError):
            raise
        raise IncompatibleModelError(
            f"{path}: cannot be loaded with the installed libraries ({type(exc).__name__}: "
            f"{exc}). {_version_story(meta)}", meta,
        ) from exc
    except (zipfile.BadZipFile, ValueError, TypeError, KeyError, OSError) as exc:
        raise ModelFileError(
            f"{path}: cannot be read as a skops model ({type(exc).__name__}: {exc}); the file "
            "is truncated or corrupt"
        ) from exc


def _unpickle(path: Path, meta: dict | None) -> Any:
    import joblib

    try:
        with warnings.catch_warnings():
            # scikit-learn warns once per estimator; one ModelVersionWarning below says it.
            from sklearn.exceptions import InconsistentVersionWarning

            warnings.simplefilter("ignore", InconsistentVersionWarning)
            pipeline = joblib.load(path)
    except (ImportError, AttributeError) as exc:
        # A class or module the pickle names is gone or moved: another library version.
        raise IncompatibleModelError(
            f"{path}: cannot be loaded with the installed libraries ({type(exc).__name__}: "
            f"{exc}). {_version_story(meta)} Install the versions it was saved with, or train "
            "the model again with these.", meta,
        ) from exc
    except Exception as exc:  # noqa: BLE001 -- unpickling fails in many ways, all "corrupt"
        raise ModelFileError(
            f"{path}: cannot be read as a model ({type(exc).__name__}: {exc}); the file is "
            "truncated, corrupt, or not a joblib file"
        ) from exc
    return pipeline


def _new_temporary_file(path: Path) -> tuple[int, str]:
    """A new file next to ``path``, to be renamed over it: (descriptor, name).

    Created with mode ``0o666``, less the umask as for any new file: ``tempfile.mkstemp``
    would make it ``0o600``, but a model holds no secret, and a model shared with a group or a
    server should be readable as the user's umask says. ``O_EXCL`` never follows a link.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{path.parent}: no free name for a temporary file")


def _plain(value: Any) -> Any:
    """numpy scalars as Python scalars, for JSON."""
    return value.item() if hasattr(value, "item") else value


def _existing_file(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: model file not found")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder, not a model file")
    if path.stat().st_size == 0:
        raise ModelFileError(f"{path}: model file is empty (0 bytes)")
    return path


def _read_trailer(path: Path) -> dict | None:
    """The JSON metadata at the end of the file, or None when it has none."""
    size = path.stat().st_size
    if size < _TRAILER_END + len(_MARKER):
        return None
    with open(path, "rb") as f:
        f.seek(size - _TRAILER_END)
        end = f.read(_TRAILER_END)
        if end[-len(_MAGIC):] != _MAGIC:
            return None
        (length,) = _LENGTH.unpack(end[: _LENGTH.size])
        start = size - _TRAILER_END - length
        if start < len(_MARKER):
            return None
        f.seek(start - len(_MARKER))
        block = f.read(len(_MARKER) + length)
    if not block.startswith(_MARKER):
        return None
    try:
        meta = json.loads(block[len(_MARKER):].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return meta if isinstance(meta, dict) else None


def _check_format(path: Path, meta: dict) -> None:
    version = meta.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise IncompatibleModelError(
            f"{path}: saved in model format {version} by sersk "
            f"{meta.get('versions', {}).get('sersk', '?')}; this sersk "
            f"({library_versions()['sersk']}) reads format {FORMAT_VERSION} and older. "
            "Upgrade sersk to load it.", meta,
        )


def _version_story(meta: dict | None) -> str:
    """Which versions saved the file and which are installed, where they differ."""
    if not meta or not meta.get("versions"):
        return "The file does not say which versions saved it."
    saved = meta["versions"]
    installed = library_versions()
    differ = [f"{name} {saved[name]} (installed: {installed.get(name, 'none')})"
              for name in saved if saved[name] != installed.get(name)]
    if not differ:
        return "It was saved with the versions installed here."
    return f"It was saved with {', '.join(differ)}."


def _warn_versions(path: Path, meta: dict) -> None:
    saved = meta.get("versions") or {}
    installed = library_versions()
    differ = [name for name in ("sersk", "scikit-learn") if name in saved
              and saved[name] != installed.get(name)]
    if differ:
        story = ", ".join(f"{name} {saved[name]} (installed: {installed.get(name)})"
                          for name in differ)
        warnings.warn(
            f"{path} was saved with {story}; it loaded, but its predictions may differ from "
            "those measured when it was saved", ModelVersionWarning, stacklevel=3,
        )
