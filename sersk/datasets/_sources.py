"""Where the corpora that :func:`~sersk.datasets.fetch_corpus` downloads are published.

Only corpora with a stable public address are here: a Zenodo record (which also publishes each
file's size and MD5 checksum) or the authors' own site or repository. The others are
distributed under terms that need a person to obtain them (a signed form, a login) or only
through links that change; they are downloaded by hand and read with
:func:`~sersk.datasets.load_corpus`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SOURCES", "Source"]


@dataclass(frozen=True)
class Source:
    """Where a corpus's archive is published, and how it can be checked."""

    url: str
    filename: str
    url_env: str
    # A Zenodo record API address, which publishes each file's size and MD5 checksum.
    record_url: str | None = None
    record_env: str | None = None
    # The MD5 the Zenodo record lists, used only when the record itself cannot be read.
    md5: str | None = None


SOURCES: dict[str, Source] = {
    "ravdess": Source(
        url="https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip?download=1",
        filename="Audio_Speech_Actors_01-24.zip",
        url_env="SERSK_RAVDESS_URL",
        record_url="https://zenodo.org/api/records/1188976",
        record_env="SERSK_RAVDESS_RECORD_URL",
        md5="bc696df654c87fed845eb13823edef8a",
    ),
    "emodb": Source(
        url="http://emodb.bilderbar.info/download/download.zip",
        filename="download.zip",
        url_env="SERSK_EMODB_URL",
    ),
    "cafe": Source(
        url="https://zenodo.org/records/1478765/files/CaFE_48k.zip?download=1",
        filename="CaFE_48k.zip",
        url_env="SERSK_CAFE_URL",
        record_url="https://zenodo.org/api/records/1478765",
        record_env="SERSK_CAFE_RECORD_URL",
    ),
    "nemo": Source(
        url="https://github.com/amu-cai/nEMO/archive/HEAD.zip",
        filename="nEMO.zip",
        url_env="SERSK_NEMO_URL",
    ),
    "urdu": Source(
        url="https://github.com/siddiquelatif/URDU-Dataset/archive/HEAD.zip",
        filename="URDU-Dataset.zip",
        url_env="SERSK_URDU_URL",
    ),
}
