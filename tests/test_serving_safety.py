"""The served model and untrusted requests: server paths, limits, one-line errors."""

from __future__ import annotations

import base64
import json
import os

import numpy as np
import pandas as pd
import pytest
from _trained_models import pitch_model
from conftest import SR, voice_like
from test_inference import wav_bytes

from sersk import inference
from sersk.audio import save_audio
from sersk.serving import LIMITS, EmotionModel, ServingInputError
from sersk.tracking import save_mlflow_model

mlflow_pyfunc = pytest.importorskip("mlflow.pyfunc")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture
def files(tmp_path):
    """An allowed folder with a clip, a clip outside it, and links from inside to both."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    save_audio(allowed / "in.wav", voice_like(f0=260), SR)
    save_audio(tmp_path / "out.wav", voice_like(f0=260), SR)
    (allowed / "link-out.wav").symlink_to(tmp_path / "out.wav")
    (allowed / "link-in.wav").symlink_to(allowed / "in.wav")
    return tmp_path, allowed


def test_path_rows_are_refused_without_allowed_folders(files):
    tmp_path, allowed = files
    table = EmotionModel(pitch_model()).predict(pd.DataFrame({"path": [
        str(allowed / "in.wav"), "/etc/shadow", str(tmp_path / "missing.wav"), "../../etc"]}))
    # Existing, unreadable and missing files get the same answer: nothing to probe.
    assert table["error"].tolist() == [f"{p}: path not allowed" for p in table["source"]]
    assert table["emotion"].isna().all()


def test_path_rows_inside_allowed_folders_symlinks_resolved(files):
    tmp_path, allowed = files
    link_to_allowed = tmp_path / "allowed-link"
    link_to_allowed.symlink_to(allowed)
    model = EmotionModel(pitch_model(), allowed_folders=[str(link_to_allowed)])
    paths = [allowed / "in.wav", allowed / "link-in.wav", allowed / "link-out.wav",
             tmp_path / "out.wav", allowed / ".." / "out.wav", allowed / "missing.wav"]
    table = model.predict(pd.DataFrame({"path": [str(p) for p in paths]}))
    errors = table["error"].tolist()
    assert errors[:2] == [None, None] and table["emotion"].tolist()[:2] == ["high", "high"]
    assert errors[2:5] == [f"{p}: path not allowed" for p in paths[2:5]]
    assert errors[5] == f"{paths[5]}: file not found"  # inside the folder: said plainly
    # A folder named like the allowed one is not inside it.
    (tmp_path / "allowed-other").mkdir()
    save_audio(tmp_path / "allowed-other" / "x.wav", voice_like(f0=260), SR)
    other = EmotionModel(pitch_model(), allowed_folders=str(allowed)).predict(
        {"path": [str(tmp_path / "allowed-other" / "x.wav")]})
    assert other.loc[0, "error"].endswith("path not allowed")


def test_allowed_folders_must_be_folders():
    with pytest.raises(ServingInputError, match="allowed_folders must be a list of folders"):
        EmotionModel(pitch_model(), allowed_folders=[3])


def test_requests_over_a_limit_are_refused_before_decoding(monkeypatch):
    decoded = []
    load_input = inference.load_input
    monkeypatch.setattr(inference, "load_input",
                        lambda source, **kw: decoded.append(kw["name"]) or load_input(source, **kw))
    two_seconds = b64(wav_bytes(voice_like(f0=110, duration=2.0)))
    model = EmotionModel(pitch_model(), max_rows=3, max_request_mb=0.2, max_clip_seconds=1.5,
                         max_request_seconds=2.0)
    with pytest.raises(ServingInputError, match=r"^the request holds 4 rows, over this "
                       r"server's limit of 3 per request \(max_rows\)$"):
        model.predict({"audio_base64": [two_seconds] * 4})
    with pytest.raises(ServingInputError, match=r"holds 0.3 MB of audio, over this server's "
                       r"limit of 0.2 per request \(max_request_mb\)"):
        model.predict({"audio_base64": [two_seconds] * 2})
    one_second = b64(wav_bytes(voice_like(f0=110, duration=1.0)))
    with pytest.raises(ServingInputError, match=r"holds 3 seconds of audio, over this "
                       r"server's limit of 2 per request \(max_request_seconds\)"):
        model.predict({"audio_base64": [one_second] * 3})
    assert decoded == []
    # One clip too long: its row says so, the others are answered.
    table = model.predict({"audio_base64": [two_seconds, one_second], "name": ["long", "ok"]})
    assert table["error"].tolist() == [
        "long: 2 s of audio, over this server's limit of 1.5 s per clip (max_clip_seconds)",
        None]
    assert decoded == ["ok"]
    assert table.loc[1, "emotion"] == "low"


def test_a_clip_that_decodes_to_far_more_than_its_seconds_is_refused():
    import io

    import soundfile as sf

    # 1 s of 8 channels at 96 kHz: within 1.5 s, but 4 times the samples of 48 kHz stereo.
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros((96_000, 8), dtype=np.int16), 96_000, format="FLAC")
    assert len(buffer.getvalue()) < 100_000  # compresses to almost nothing
    model = EmotionModel(pitch_model(), max_clip_seconds=1.5)
    table = model.predict({"audio_base64": [b64(buffer.getvalue())], "name": ["bomb"]})
    assert table.loc[0, "error"] == ("bomb: 3.1 MB once decoded, over this server's limit of "
                                     "0.6 MB per clip (that of max_clip_seconds of 48 kHz stereo)")


def test_limits_can_be_turned_off_and_are_checked():
    model = EmotionModel(pitch_model(), **dict.fromkeys(LIMITS))
    assert model.predict({"audio_base64": [b64(wav_bytes(voice_like()))] * 2})["error"].isna(
    ).all()
    with pytest.raises(ServingInputError, match="max_clip_seconds must be a positive number"):
        EmotionModel(pitch_model(), max_clip_seconds=-1)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """MLflow's scoring server app (what ``mlflow models serve`` runs) over a saved model."""
    from fastapi.testclient import TestClient
    from mlflow.pyfunc import scoring_server

    folder = tmp_path_factory.mktemp("served") / "model"
    save_mlflow_model(pitch_model(), folder, limits={"max_rows": 2})
    return TestClient(scoring_server.init(mlflow_pyfunc.load_model(str(folder))))


@pytest.mark.parametrize("body, status, message", [
    ({"dataframe_records": []}, 400, "neither an 'audio_base64' column"),
    ({"dataframe_split": {"columns": ["audio"], "data": [["x"]]}}, 400, "neither an"),
    ({"dataframe_records": [{"audio_base64": "x"}] * 3}, 400, "limit of 2 per request"),
    ({"dataframe_records": [{"audio_base64": "x"}], "params": {"min_confidence": 2.0}}, 400,
     "min_confidence must be a probability"),
])
def test_served_errors_are_one_line_without_traceback(client, body, status, message):
    response = client.post("/invocations", json=body)
    answer = response.json()
    assert response.status_code == status and message in answer["message"]
    assert "stack_trace" not in answer and "\n" not in answer["message"]
    assert "Traceback" not in response.text and "site-packages" not in response.text


def test_a_failure_of_the_model_is_a_500_whose_details_stay_in_the_log(client, monkeypatch,
                                                                       caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("/srv/secret/path went wrong")

    monkeypatch.setattr(inference, "predict_clips", broken)
    body = {"dataframe_records": [{"audio_base64": b64(wav_bytes(voice_like()))}]}
    response = client.post("/invocations", json=body)
    assert response.status_code == 500
    assert response.json()["message"] == ("the model failed on this request; the server's "
                                          "log says why")
    assert "/srv/secret" not in response.text and "Traceback" not in response.text
    assert "/srv/secret/path went wrong" in caplog.text


def test_save_mlflow_model_stores_the_settings_a_server_replaces(tmp_path, monkeypatch):
    save_audio(tmp_path / "clip.wav", voice_like(f0=110), SR)
    folder = save_mlflow_model(pitch_model(), tmp_path / "model",
                               allowed_folders=[tmp_path / "nowhere"],
                               limits={"max_clip_seconds": 30})
    request = pd.DataFrame({"path": [str(tmp_path / "clip.wav")]})
    loaded = mlflow_pyfunc.load_model(folder)
    assert loaded.predict(request).loc[0, "error"].endswith("path not allowed")
    monkeypatch.setenv("MLFLOW_PYFUNC_INFERENCE_CONFIG",
                       json.dumps({"allowed_folders": [str(tmp_path)]}))
    served = mlflow_pyfunc.load_model(folder)
    assert served.predict(request).loc[0, "emotion"] == "low"
    assert served._model_impl.max_clip_seconds == 30
    with pytest.raises(ValueError, match="unknown limit"):
        save_mlflow_model(pitch_model(), tmp_path / "bad", limits={"max_minutes": 1})
    assert not os.path.exists(tmp_path / "bad")


def test_a_skops_model_file_is_served_without_unpickling(tmp_path):
    pytest.importorskip("skops.io")
    from sersk.persistence import save_model

    save_model(pitch_model(), tmp_path / "pitch.skops")
    folder = save_mlflow_model(tmp_path / "pitch.skops", tmp_path / "model")
    assert sorted(os.listdir(tmp_path / "model" / "data" / "sersk")) == [
        "model.skops", "settings.json"]
    table = mlflow_pyfunc.load_model(folder).predict(
        pd.DataFrame({"audio_base64": [b64(wav_bytes(voice_like(f0=260)))]}))
    assert table.loc[0, "error"] is None and table.loc[0, "emotion"] == "high"
    np.testing.assert_allclose(table.loc[0, "confidence"], pitch_model().predict_proba(
        [(voice_like(f0=260), SR)]).max(), rtol=1e-5)
