"""fetch_corpus against a real HTTP server on 127.0.0.1 serving tiny archives laid out like
the real ones, with a Zenodo-style record API for the checksum."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import json
import threading
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sersk.audio import save_audio
from sersk.datasets import CorpusWarning, fetch_corpus, load_corpus
from sersk.exceptions import CorpusError, DownloadError

pytestmark = pytest.mark.network_server

RECORD = "/api/records/1188976"
RAVDESS_ZIP = "/records/1188976/files/Audio_Speech_Actors_01-24.zip"
EMODB_ZIP = "/download/download.zip"

RAVDESS_FILES = [
    "Actor_01/03-01-01-01-01-01-01.wav",
    "Actor_01/03-01-05-02-01-02-01.wav",
    "Actor_02/03-01-03-01-02-01-02.wav",
]
EMODB_FILES = ["wav/03a01Fa.wav", "wav/08a02Wb.wav", "wav/16b10Ta.wav"]

CAFE_RECORD = "/api/records/1478765"
CAFE_ZIP = "/records/1478765/files/CaFE_48k.zip"
CAFE_FILES = ["CaFE_48k/Colère/Faible/01-C-1-1.wav", "CaFE_48k/Neutre/02-N-3.wav"]
NEMO_FILES = ["nEMO-main/samples/EB0_anger_1.wav", "nEMO-main/samples/KS0_fear_2.wav"]
NEMO_TSV = (
    "file_id\temotion\traw_text\tnormalized_text\tspeaker_id\tgender\tage\n"
    "EB0_anger_1.wav\tanger\tLubię czytać.\tlubię czytać\t        EB0\tfemale\t27\n"
    "KS0_fear_2.wav\tfear\tNie wiem.\tnie wiem\t        KS0\tmale\t23\n"
)


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def wav_bytes(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("tone") / "tone.wav"
    save_audio(path, 0.1 * np.sin(2 * np.pi * 220 * np.arange(800) / 8000), 8000)
    return path.read_bytes()


@pytest.fixture
def ravdess_zip(wav_bytes) -> bytes:
    return make_zip(dict.fromkeys(RAVDESS_FILES, wav_bytes))


@pytest.fixture
def emodb_zip(wav_bytes) -> bytes:
    members = dict.fromkeys(EMODB_FILES, wav_bytes)
    members["erklaerung.txt"] = b"Berlin Database of Emotional Speech"
    members["silb/03a01Fa.silb"] = b"0 Der\n"
    return make_zip(members)


class Server:
    """Routes of (status, body, headers); counts requests per path."""

    def __init__(self):
        self.routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                path = self.path.split("?")[0]
                server.hits[path] += 1
                status, body, headers = server.routes.get(
                    path, (404, b"not found", {"Content-Type": "text/plain"})
                )
                self.send_response(status)
                headers = {"Content-Length": str(len(body)), **headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def serve(self, path: str, body: bytes, status: int = 200, **headers: str) -> str:
        self.routes[path] = (status, body, {"Content-Type": "application/zip", **headers})
        return self.url + path

    def record(self, key: str, body: bytes, *, md5: str | None = None, size: int | None = None,
               path: str = RECORD):
        entry = {
            "key": key,
            "size": len(body) if size is None else size,
            "checksum": f"md5:{md5 or hashlib.md5(body).hexdigest()}",
            "links": {"self": f"{self.url}{path}/files/{key}/content"},
        }
        payload = json.dumps({"id": int(path.rsplit("/", 1)[1]), "files": [entry]}).encode()
        self.routes[path] = (200, payload, {"Content-Type": "application/json"})


@pytest.fixture
def server(monkeypatch):
    server = Server()
    server.thread.start()
    monkeypatch.setenv("SERSK_RAVDESS_RECORD_URL", server.url + RECORD)
    monkeypatch.setenv("SERSK_CAFE_RECORD_URL", server.url + CAFE_RECORD)
    for name in ("RAVDESS", "EMODB", "CAFE", "NEMO", "URDU"):
        monkeypatch.delenv(f"SERSK_{name}_URL", raising=False)
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def fetch_ravdess(home: Path, url: str, **kwargs) -> str:
    # The tiny archive holds 3 of the 1,440 files, which fetch_corpus points out.
    with pytest.warns(CorpusWarning, match="holds 3 RAVDESS recordings; the published corpus "
                                           "has 1440") as record:
        path = fetch_corpus("ravdess", home, url=url, progress=False, **kwargs)
    assert not [w for w in record if "checksum" in str(w.message)]
    return path


def test_fetch_ravdess_verifies_and_is_idempotent(tmp_path, server, ravdess_zip):
    url = server.serve(RAVDESS_ZIP, ravdess_zip)
    server.record("Audio_Speech_Actors_01-24.zip", ravdess_zip)
    home = tmp_path / "home"

    path = fetch_ravdess(home, url)
    assert path == str(home / "ravdess")
    assert sorted(p.name for p in home.iterdir()) == ["ravdess"]  # no .part, no work folder
    frame = load_corpus("ravdess", home)
    assert len(frame) == 3
    assert set(frame["speaker"]) == {"ravdess-01", "ravdess-02"}
    assert server.hits == {RAVDESS_ZIP: 1, RECORD: 1}

    # Already there: nothing is downloaded.
    assert fetch_corpus("ravdess", home, url=url, progress=False) == path
    assert server.hits[RAVDESS_ZIP] == 1

    # force: downloaded again and replaced.
    (Path(path) / "stale.txt").write_text("from the previous copy")
    assert fetch_ravdess(home, url, force=True) == path
    assert server.hits[RAVDESS_ZIP] == 2
    assert not (Path(path) / "stale.txt").exists()
    assert sorted(p.name for p in home.iterdir()) == ["ravdess"]


def test_fetch_url_from_environment_with_progress_bar(tmp_path, server, ravdess_zip,
                                                      monkeypatch, capsys):
    from sersk import _progress

    # Bars are drawn on a terminal only (sersk._progress); capsys's stderr is not one.
    monkeypatch.setattr(_progress, "interactive", lambda stream=None: True)
    monkeypatch.setenv("SERSK_RAVDESS_URL", server.serve("/mirror.zip", ravdess_zip))
    server.record("Audio_Speech_Actors_01-24.zip", ravdess_zip)
    with pytest.warns(CorpusWarning, match="published corpus has 1440"):
        path = fetch_corpus("ravdess", tmp_path)
    assert server.hits["/mirror.zip"] == 1
    assert len(load_corpus("ravdess", path)) == 3
    assert "Audio_Speech_Actors_01-24.zip" in capsys.readouterr().err


def test_checksum_mismatch_leaves_nothing(tmp_path, server, ravdess_zip):
    url = server.serve(RAVDESS_ZIP, ravdess_zip)
    server.record("Audio_Speech_Actors_01-24.zip", ravdess_zip, md5="0" * 32)
    with pytest.raises(DownloadError, match=r"127\.0\.0\.1.*MD5 checksum mismatch.*expected "
                                            r"0{32} \(published in the Zenodo record"):
        fetch_corpus("ravdess", tmp_path, url=url, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_size_mismatch(tmp_path, server, ravdess_zip):
    url = server.serve(RAVDESS_ZIP, ravdess_zip)
    server.record("Audio_Speech_Actors_01-24.zip", ravdess_zip, size=208_468_073)
    with pytest.raises(DownloadError, match="bytes but the archive has 208468073"):
        fetch_corpus("ravdess", tmp_path, url=url, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_unreadable_record_falls_back_to_the_recorded_checksum(tmp_path, server, ravdess_zip,
                                                               monkeypatch):
    monkeypatch.setenv("SERSK_RAVDESS_RECORD_URL", server.url + "/no/such/record")
    url = server.serve(RAVDESS_ZIP, ravdess_zip)
    # The tiny archive is not the real one, so the real archive's MD5 rejects it.
    with pytest.raises(DownloadError, match=r"mismatch.*bc696df654c87fed845eb13823edef8a.*"
                                            r"recorded in sersk.*HTTP 404"):
        fetch_corpus("ravdess", tmp_path, url=url, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_http_404(tmp_path, server):
    server.record("Audio_Speech_Actors_01-24.zip", b"")
    url = server.url + "/missing.zip"
    with pytest.raises(DownloadError, match=r"http://127\.0\.0\.1:\d+/missing\.zip: the server "
                                            r"answered HTTP 404"):
        fetch_corpus("ravdess", tmp_path, url=url, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server(tmp_path, server):
    server.httpd.shutdown()
    server.httpd.server_close()
    with pytest.raises(DownloadError, match="cannot reach http://127.0.0.1"):
        fetch_corpus("emodb", tmp_path, url=server.url + EMODB_ZIP, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_fetch_emodb_warns_that_no_checksum_is_published(tmp_path, server, emodb_zip):
    url = server.serve(EMODB_ZIP, emodb_zip)
    with pytest.warns(CorpusWarning) as record:
        path = fetch_corpus("emodb", tmp_path, url=url, progress=False)
    messages = " ".join(str(w.message) for w in record)
    assert "cannot be checked against a published checksum" in messages
    assert "holds 3 EmoDB recordings" in messages
    assert path == str(tmp_path / "emodb")
    assert (tmp_path / "emodb" / "erklaerung.txt").exists()  # the whole archive is kept
    frame = load_corpus("emodb", tmp_path)
    assert frame["emotion"].tolist() == ["happy", "angry", "sad"]


def test_existing_corpus_folder_is_returned_without_download(tmp_path, server):
    (tmp_path / "EmoDB" / "wav").mkdir(parents=True)
    (tmp_path / "EmoDB" / "wav" / "03a01Fa.wav").touch()
    path = fetch_corpus("emodb", tmp_path, url=server.url + EMODB_ZIP, progress=False)
    assert path == str(tmp_path / "EmoDB")
    assert server.hits == {}


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"<html>Please log in</html>", "not a valid zip archive.*the server sent text/html"),
        ("corrupt", "not a valid zip archive|corrupt"),
        ("unsafe", "unsafe path '../evil.wav'"),
        ("empty", "does not hold the EmoDB corpus: none of the 1 audio files"),
    ],
)
def test_bad_archives(tmp_path, server, emodb_zip, wav_bytes, body, match):
    if body == "corrupt":
        body = bytearray(emodb_zip)
        body[len(body) // 3:len(body) // 3 + 64] = bytes(64)  # damage a member
        body = bytes(body)
    elif body == "unsafe":
        body = make_zip({"wav/03a01Fa.wav": wav_bytes, "../evil.wav": wav_bytes})
    elif body == "empty":
        body = make_zip({"readme.wav": wav_bytes})
    url = server.serve(EMODB_ZIP, body, **{"Content-Type": "text/html"})
    with warnings_allowed(), pytest.raises(DownloadError, match=match):
        fetch_corpus("emodb", tmp_path / "home", url=url, progress=False)
    assert list((tmp_path / "home").iterdir()) == []
    assert not (tmp_path / "evil.wav").exists()


def test_short_transfer(tmp_path, server, emodb_zip):
    # The server announces more bytes than it sends, then closes the connection.
    url = server.serve(EMODB_ZIP, emodb_zip, **{"Content-Length": str(len(emodb_zip) + 1000)})
    with warnings_allowed(), pytest.raises(DownloadError, match="cut short|interrupted"):
        fetch_corpus("emodb", tmp_path, url=url, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_fetch_cafe_from_its_zenodo_record(tmp_path, server, wav_bytes):
    archive = make_zip(dict.fromkeys(CAFE_FILES, wav_bytes))
    url = server.serve(CAFE_ZIP, archive)
    server.record("CaFE_48k.zip", archive, path=CAFE_RECORD)
    with pytest.warns(CorpusWarning, match="holds 2 CaFE recordings; the published corpus has "
                                           "936") as record:
        path = fetch_corpus("cafe", tmp_path, url=url, progress=False)
    assert not [w for w in record if "checksum" in str(w.message)]
    assert path == str(tmp_path / "cafe")
    frame = load_corpus("cafe", tmp_path)
    assert frame["emotion"].tolist() == ["angry", "neutral"]
    assert server.hits == {CAFE_ZIP: 1, CAFE_RECORD: 1}

    server.record("CaFE_48k.zip", archive, md5="0" * 32, path=CAFE_RECORD)
    with pytest.raises(DownloadError, match="MD5 checksum mismatch"):
        fetch_corpus("cafe", tmp_path / "other", url=url, progress=False)


@pytest.mark.parametrize("corpus", ["nemo", "urdu"])
def test_fetch_from_the_authors_repository(tmp_path, server, wav_bytes, corpus, monkeypatch):
    if corpus == "nemo":
        members = dict.fromkeys(NEMO_FILES, wav_bytes)
        members["nEMO-main/data.tsv"] = NEMO_TSV.encode()
    else:
        members = dict.fromkeys(["URDU-Dataset-master/Angry/SM1_F1_A01.wav",
                                 "URDU-Dataset-master/Sad/SF10_F1_S01.wav"], wav_bytes)
    monkeypatch.setenv(f"SERSK_{corpus.upper()}_URL", server.serve("/archive.zip",
                                                                   make_zip(members)))
    with pytest.warns(CorpusWarning) as record:
        path = fetch_corpus(corpus, tmp_path, progress=False)
    messages = " ".join(str(w.message) for w in record)
    assert "cannot be checked against a published checksum" in messages
    assert "holds 2" in messages
    assert path == str(tmp_path / corpus)
    frame = load_corpus(corpus, tmp_path)
    # nEMO's gender comes from its data.tsv, URDU's from the names.
    expected = ["female", "male"] if corpus == "nemo" else ["male", "female"]
    assert frame["gender"].tolist() == expected
    assert server.hits["/archive.zip"] == 1


def test_corpora_that_cannot_be_downloaded(tmp_path):
    with pytest.raises(CorpusError, match="cannot download TESS.*ravdess"):
        fetch_corpus("tess", tmp_path)
    for corpus in ("emovo", "esd", "jl-corpus", "enterface", "mesd"):
        with pytest.raises(CorpusError, match="download it yourself"):
            fetch_corpus(corpus, tmp_path)
    with pytest.raises(CorpusError, match="unknown corpus 'iemocap'"):
        fetch_corpus("iemocap", tmp_path)


@contextlib.contextmanager
def warnings_allowed():
    """EmoDB's no-checksum warning may come before the failure these tests look at."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusWarning)
        yield
