"""The skops model format: a fitted pipeline stored as data, loaded without running its code.

A ``.skops`` file (:mod:`skops.io`, the scikit-learn ecosystem's secure persistence) is a zip
archive describing every object as data; loading rebuilds only the types it is told to trust.
sersk trusts the types :func:`trusted_types` lists: its own estimators and the scikit-learn,
imbalanced-learn and xgboost types its classic pipelines hold (skops trusts plain scikit-learn
estimators, numpy and builtins by itself). A file naming any other type is refused, with the
names. The metadata is kept as a JSON member of the archive, so it is read without loading.

The Keras models (``sersk.models.keras``) and the pretrained encoders
(``sersk.features.encoders``) cannot be stored this way: their pipelines are saved as joblib.
"""

from __future__ import annotations

import functools
import json
import zipfile
from pathlib import Path
from typing import Any

__all__ = ["METADATA_MEMBER", "trusted_types", "dump", "is_skops", "load", "read_metadata",
           "untrusted_types"]

#: The archive member holding the metadata (skops ignores members it does not know).
METADATA_MEMBER = "sersk-metadata.json"
_MAX_METADATA_BYTES = 10_000_000

# The explicit allow-list, as (module, names): the types a classic sersk pipeline holds that
# skops does not trust by itself. Module paths are taken from the classes, so a class that
# moves inside its package stays trusted under its new name.
_TRUSTED = (
    ("sersk.features", ("Chroma", "FixedLengthSequence", "FrameFeatureTransformer",
                        "HandcraftedFeatures", "LogMel", "MFCC", "OpenSmileFunctionals",
                        "OpenSmileLLD", "Pitch", "RMSEnergy", "SpectralContrast",
                        "StatisticsPooling", "ZeroCrossingRate")),
    ("sersk.preprocessing", ("DomainStandardScaler", "SpeakerStandardScaler")),
    ("sersk.samplers", ("AudioAugmenter", "SpecAugment")),
    ("sersk.models", ("DecisionCalibratedClassifier", "LabelEncodedClassifier")),
    # CalibratedClassifierCV's fitted parts, private classes skops does not list.
    ("sklearn.calibration", ("_CalibratedClassifier", "_TemperatureScaling",
                             "_SigmoidCalibration")),
    ("sklearn.isotonic", ("IsotonicRegression",)),
    ("imblearn.pipeline", ("Pipeline",)),
    ("imblearn.over_sampling", ("SMOTE", "RandomOverSampler", "BorderlineSMOTE", "ADASYN")),
    ("imblearn.under_sampling", ("RandomUnderSampler",)),
    ("xgboost", ("XGBClassifier", "Booster")),
)


@functools.cache
def trusted_types() -> tuple[str, ...]:
    """The allow-list: full names of the types sersk trusts in skops files, besides skops's."""
    import importlib

    names = []
    for module_name, classes in _TRUSTED:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # an optional library not installed: nothing of it to trust
            continue
        for name in classes:
            cls = getattr(module, name)
            names.append(f"{cls.__module__}.{cls.__qualname__}")
    return tuple(sorted(names))


def _skops_io():
    from .extras import require

    require("skops", "the skops model format")
    import skops.io

    return skops.io


def is_skops(path: Path) -> bool:
    """Whether the file is a zip archive (a skops file), judged by its first bytes."""
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04"


def untrusted_types(path: Path) -> list[str]:
    """The types the file names that neither skops nor sersk trusts; read without loading."""
    sio = _skops_io()
    return sorted(set(sio.get_untrusted_types(file=path)) - set(trusted_types()))


def dump(obj: Any, f, metadata_json: bytes) -> None:
    """Write ``obj`` in the skops format to the open binary file ``f``, metadata included.

    Raises TypeError when the object holds something skops cannot store, or types outside
    the allow-list (a file load_model would refuse).
    """
    import io

    sio = _skops_io()
    buffer = io.BytesIO()
    try:
        sio.dump(obj, buffer)
    except Exception as exc:  # noqa: BLE001 -- skops fails in many ways on what it cannot store
        raise TypeError(
            f"this pipeline cannot be stored in the skops format ({type(exc).__name__}: "
            f"{str(exc)[:200]}); Keras models and pretrained encoders cannot: save it as "
            ".joblib, a format to load only from trusted sources"
        ) from None
    outside = sorted(set(sio.get_untrusted_types(data=buffer.getvalue()))
                     - set(trusted_types()))
    if outside:
        raise TypeError(
            f"this pipeline holds types outside sersk's skops allow-list, which load_model "
            f"would refuse: {', '.join(outside)}; save it as .joblib instead"
        )
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(METADATA_MEMBER, metadata_json)
    f.write(buffer.getvalue())


def read_metadata(path: Path) -> dict | None:
    """The metadata member of a skops file, or None when it has none or is not a zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            # Metadata is a few kB; a member declaring more is not sersk's (a zip bomb?).
            if archive.getinfo(METADATA_MEMBER).file_size > _MAX_METADATA_BYTES:
                return None
            text = archive.read(METADATA_MEMBER)
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    try:
        meta = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return meta if isinstance(meta, dict) else None


def load(path: Path) -> Any:
    """The object of a skops file, trusting only skops's defaults and :func:`trusted_types`.

    Raises PermissionError naming the types outside them (nothing is loaded then).
    """
    sio = _skops_io()
    found = sio.get_untrusted_types(file=path)
    outside = sorted(set(found) - set(trusted_types()))
    if outside:
        raise PermissionError(", ".join(outside))
    return sio.load(path, trusted=list(found))
