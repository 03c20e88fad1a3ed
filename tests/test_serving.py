"""A trained model as an MLflow pyfunc, loaded in-process and served over REST."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.request

import numpy as np
import pandas as pd
import pytest
from _trained_models import (
    free_port,
    pitch_model,
    registry_model,
    repo_env,
    stop,
    wait_for_http,
)
from conftest import voice_like
from test_inference import wav_bytes

from sersk.audio import save_audio
from sersk.persistence import read_metadata, save_model
from sersk.serving import EmotionModel, ServingInputError, _load_pyfunc
from sersk.tracking import log_mlflow_model, save_mlflow_model

mlflow_pyfunc = pytest.importorskip("mlflow.pyfunc")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture(scope="module")
def mlflow_model(tmp_path_factory):
    """The registry's mfcc-svm written as an MLflow model: (folder, pipeline, frame)."""
    model, frame = registry_model()
    folder = tmp_path_factory.mktemp("serving") / "ser-mlflow"
    save_mlflow_model(model, folder, metadata={"pipeline_name": "mfcc-svm",
                                               "corpora": ["synthetic"]})
    return folder, model, frame


def test_pyfunc_predicts_from_base64_and_paths(mlflow_model, tmp_path):
    folder, model, frame = mlflow_model
    loaded = mlflow_pyfunc.load_model(str(folder),
                                      model_config={"allowed_folders": [str(tmp_path)]})
    clips = list(frame["audio"][:2])
    path = tmp_path / "clip.wav"
    save_audio(path, *clips[1], subtype="FLOAT")
    request = pd.DataFrame({
        "audio_base64": [b64(wav_bytes(*clips[0])), None],
        "path": [None, str(path)],
    })
    table = loaded.predict(request)
    assert table["source"].tolist() == ["row 0", str(path)]
    assert table["error"].isna().all()
    expected = model.predict_proba(clips)
    columns = [f"proba_{c}" for c in model.classes_]
    np.testing.assert_allclose(table[columns].to_numpy(dtype=float), expected, rtol=1e-5)
    assert table["emotion"].tolist() == model.predict(clips).tolist()


def test_bad_rows_get_errors_and_plain_json_values(mlflow_model):
    folder, _, frame = mlflow_model
    loaded = mlflow_pyfunc.load_model(str(folder))
    good = b64(wav_bytes(*frame["audio"][0]))
    blip = b64(wav_bytes(voice_like(duration=0.1), 16_000))
    table = loaded.predict(pd.DataFrame({
        "audio_base64": [good, "not base64!", b64(b"RIFF junk"), None, blip],
        "name": ["good", "typo", "junk", "nothing", "blip"],
    }))
    errors = table["error"].tolist()
    assert errors[0] is None
    assert errors[1] == "typo: 'audio_base64' is not valid base64"
    assert errors[2].startswith("junk: cannot be decoded as audio")
    assert errors[3] == "nothing: the row has neither 'audio_base64' nor 'path'"
    assert errors[4].startswith("blip: is too short to judge: 100 ms of audio, under the 750 ms")
    assert table["emotion"].iloc[1:].tolist() == [None] * 4  # None, not NaN
    assert table["confidence"].iloc[1] is None


def test_the_model_folder_holds_the_sersk_model_and_an_example(mlflow_model):
    folder, _, _ = mlflow_model
    meta = read_metadata(folder / "data" / "sersk" / "model.joblib")
    assert meta["pipeline"] == "mfcc-svm" and meta["corpora"] == ["synthetic"]
    example = json.loads((folder / "serving_input_example.json").read_text())
    assert example["dataframe_split"]["columns"] == ["audio_base64"]
    requirements = (folder / "requirements.txt").read_text()
    assert "scikit-learn==" in requirements and "sersk==" in requirements


def test_a_model_file_is_exported_as_it_is(tmp_path):
    model_file = tmp_path / "pitch.joblib"
    save_model(pitch_model(), model_file, pipeline_name="pitch", corpora=["tones"])
    folder = save_mlflow_model(model_file, tmp_path / "exported", long_clip=None)
    assert (tmp_path / "exported" / "data" / "sersk" / "model.joblib").read_bytes() == \
        model_file.read_bytes()
    loaded = mlflow_pyfunc.load_model(folder)
    y = np.concatenate([voice_like(f0=110, duration=8), voice_like(f0=110, duration=8)])
    table = loaded.predict(pd.DataFrame({"audio_base64": [b64(wav_bytes(y))]}))
    assert table.loc[0, "n_windows"] == 1  # long_clip=None: never windowed
    with pytest.raises(FileExistsError):
        save_mlflow_model(model_file, tmp_path / "exported")


def test_emotion_model_accepts_records_and_refuses_tables_without_audio():
    wrapper = EmotionModel(pitch_model())
    table = wrapper.predict([{"audio_base64": b64(wav_bytes(voice_like(f0=260)))}])
    assert table.loc[0, "emotion"] == "high"
    table = wrapper.predict({"audio_base64": wav_bytes(voice_like(f0=110))})  # raw bytes
    assert table.loc[0, "emotion"] == "low"
    with pytest.raises(ServingInputError, match="neither an 'audio_base64' column"):
        wrapper.predict(pd.DataFrame({"audio": ["x"]}))
    with pytest.raises(ServingInputError, match="expected a table"):
        wrapper.predict("clip.wav")


def test_pyfunc_min_confidence_from_params_saved_setting_and_model_config(mlflow_model,
                                                                        tmp_path, monkeypatch):
    folder, model, frame = mlflow_model
    request = pd.DataFrame({"audio_base64": [b64(wav_bytes(*c)) for c in frame["audio"][:2]]})
    loaded = mlflow_pyfunc.load_model(str(folder))
    plain = loaded.predict(request)
    assert "uncertain" not in plain["emotion"].tolist()
    # An inference parameter: every clip is below a confidence of 1, its probabilities kept.
    sure = loaded.predict(request, params={"min_confidence": 1.0})
    assert sure["emotion"].tolist() == ["uncertain", "uncertain"]
    pd.testing.assert_frame_equal(sure.drop(columns="emotion"), plain.drop(columns="emotion"))
    low, high = sorted(plain["confidence"])
    between = loaded.predict(request, params={"min_confidence": (low + high) / 2})
    assert between["emotion"].tolist().count("uncertain") == 1
    # The signature declares the parameter, so MLflow checks its type.
    assert loaded.metadata.get_params_schema().params[0].name == "min_confidence"
    with pytest.raises(Exception, match="min_confidence"):
        loaded.predict(request, params={"min_confidence": "very"})

    # A default saved with the model, which a request can replace, and a loading override.
    saved = save_mlflow_model(model, tmp_path / "sure", min_confidence=1.0)
    assert mlflow_pyfunc.load_model(saved).predict(request)["emotion"].tolist() == [
        "uncertain", "uncertain"]
    replaced = mlflow_pyfunc.load_model(saved).predict(request, params={"min_confidence": 0.0})
    assert replaced["emotion"].tolist() == plain["emotion"].tolist()
    configured = mlflow_pyfunc.load_model(str(folder), model_config={"min_confidence": 1.0})
    assert set(configured.predict(request)["emotion"]) == {"uncertain"}
    # What `mlflow models serve` reads: the environment's inference configuration.
    monkeypatch.setenv("MLFLOW_PYFUNC_INFERENCE_CONFIG", '{"min_confidence": 1.0}')
    served = mlflow_pyfunc.load_model(str(folder))
    assert set(served.predict(request)["emotion"]) == {"uncertain"}
    monkeypatch.delenv("MLFLOW_PYFUNC_INFERENCE_CONFIG")
    with pytest.raises(ServingInputError, match="unknown setting"):
        _load_pyfunc(str(folder / "data" / "sersk"), {"threshold": 0.5})
    with pytest.raises(ServingInputError, match="max_rows must be a positive number"):
        _load_pyfunc(str(folder / "data" / "sersk"), {"max_rows": 0})
    with pytest.raises(ValueError, match="min_confidence must be a probability"):
        save_mlflow_model(model, tmp_path / "bad", min_confidence=2)


def test_emotion_model_refuses_a_min_confidence_that_is_not_a_probability():
    wrapper = EmotionModel(pitch_model())
    request = [{"audio_base64": b64(wav_bytes(voice_like(f0=260)))}]
    with pytest.raises(ServingInputError, match="min_confidence must be a probability"):
        wrapper.predict(request, params={"min_confidence": 1.5})
    assert EmotionModel(pitch_model(), min_confidence=1.0).predict(request).loc[
        0, "emotion"] == "uncertain"


def test_log_mlflow_model_to_a_run(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = log_mlflow_model(pitch_model(), out_dir=tmp_path, run_name="pitch model")
    assert uri.startswith("runs:/") and uri.endswith("/model")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    loaded = mlflow_pyfunc.load_model(uri)
    table = loaded.predict(pd.DataFrame({"audio_base64": [b64(wav_bytes(voice_like(f0=260)))]}))
    assert table.loc[0, "emotion"] == "high"


def post(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.network_server
def test_mlflow_models_serve_answers_rest_requests(mlflow_model, tmp_path):
    folder, model, frame = mlflow_model
    port = free_port()
    log = open(tmp_path / "serve.log", "w")
    # The server's own settings: one folder its requests may read, and a small row limit.
    clips_folder = tmp_path / "clips"
    clips_folder.mkdir()
    save_audio(clips_folder / "inside.wav", *frame["audio"][0], subtype="FLOAT")
    save_audio(tmp_path / "outside.wav", *frame["audio"][0], subtype="FLOAT")
    (clips_folder / "link.wav").symlink_to(tmp_path / "outside.wav")
    env = {**repo_env(), "MLFLOW_PYFUNC_INFERENCE_CONFIG": json.dumps(
        {"allowed_folders": [str(clips_folder)], "max_rows": 3})}
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(folder),
         "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port), "-w", "1"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/ping", timeout=90, process=server)
        clips = list(frame["audio"][:2])
        url = f"http://127.0.0.1:{port}/invocations"
        status, answer = post(url, {"dataframe_records": [
            {"audio_base64": b64(wav_bytes(*clips[0]))},
            {"audio_base64": b64(b"not audio at all")},
        ]})
        assert status == 200
        good, bad = answer["predictions"]
        assert good["emotion"] == model.predict(clips[:1])[0]
        assert good["error"] is None
        assert good["confidence"] == pytest.approx(model.predict_proba(clips[:1]).max(),
                                                   rel=1e-5)
        assert bad["emotion"] is None and "cannot be decoded as audio" in bad["error"]

        status, answer = post(url, {"dataframe_split": {
            "columns": ["audio_base64", "name"],
            "data": [[b64(wav_bytes(*clips[1])), "second"]],
        }})
        assert status == 200
        (row,) = answer["predictions"]
        assert row["source"] == "second"
        assert row["emotion"] == model.predict(clips[1:2])[0]
        assert {f"proba_{c}" for c in model.classes_} <= set(row)

        status, answer = post(url, {"dataframe_records": [{"audio_base64": b64(wav_bytes(
            *clips[1]))}], "params": {"min_confidence": 1.0}})
        assert status == 200
        (row,) = answer["predictions"]
        assert row["emotion"] == "uncertain" and row[f"proba_{model.classes_[0]}"] is not None

        status, answer = post(url, {"dataframe_split": {"columns": ["audio"], "data": [["x"]]}})
        assert status == 400 and "neither an 'audio_base64' column" in answer["message"]
        assert "stack_trace" not in answer and "\n" not in answer["message"]

        status, answer = post(url, {"dataframe_records": [
            {"path": str(clips_folder / "inside.wav")},
            {"path": str(tmp_path / "outside.wav")},
            {"path": str(clips_folder / "link.wav")},
        ]})
        assert status == 200
        inside, outside, link = answer["predictions"]
        assert inside["error"] is None and inside["emotion"] == model.predict(clips[:1])[0]
        assert outside["error"] == f"{tmp_path / 'outside.wav'}: path not allowed"
        assert link["error"] == f"{clips_folder / 'link.wav'}: path not allowed"

        status, answer = post(url, {"dataframe_records": [{"path": "/etc/passwd"}] * 4})
        assert status == 400 and answer["message"] == (
            "the request holds 4 rows, over this server's limit of 3 per request (max_rows)")
    finally:
        stop(server)
        log.close()
