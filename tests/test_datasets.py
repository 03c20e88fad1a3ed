"""Corpus loaders: file-name parsing, folder layouts, reporting, combining corpora.

Every test builds its corpus in tmp_path from tiny tones named exactly as in the real
distributions; one test reads the real corpora in shared/corpora when they are there.
"""

from __future__ import annotations

import doctest
import importlib
import os
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
from _corpus_files import write_files

from sersk.datasets import (
    EMOTIONS,
    CorpusWarning,
    audio_inputs,
    available_corpora,
    get_data_home,
    load_corpus,
    make_emotional_speech,
)
from sersk.datasets import _emotions as emotions_module
from sersk.exceptions import CorpusError

# Per corpus: files as laid out in the original distribution (extension added by the test),
# each with the emotion, speaker and gender its name encodes.
LAYOUTS = {
    "ravdess": {
        "Actor_01/03-01-01-01-01-01-01": ("neutral", "ravdess-01", "male"),
        "Actor_01/03-01-05-02-02-01-01": ("angry", "ravdess-01", "male"),
        "Actor_02/03-01-08-01-01-02-02": ("surprised", "ravdess-02", "female"),
        "Actor_24/03-01-02-02-02-02-24": ("calm", "ravdess-24", "female"),
    },
    "emodb": {
        "wav/03a01Fa": ("happy", "emodb-03", "male"),
        "wav/08b02Wb": ("angry", "emodb-08", "female"),
        "wav/16a07Lc": ("boredom", "emodb-16", "female"),
        "wav/11b10Ad": ("fearful", "emodb-11", "male"),
    },
    "crema-d": {
        "AudioWAV/1001_DFA_ANG_XX": ("angry", "crema-d-1001", "male"),
        "AudioWAV/1002_IEO_HAP_HI": ("happy", "crema-d-1002", "female"),
        "AudioWAV/1091_WSI_FEA_LO": ("fearful", "crema-d-1091", "female"),
    },
    "tess": {
        "OAF_angry/OAF_back_angry": ("angry", "tess-OAF", "female"),
        "OAF_Fear/OAF_dog_fear": ("fearful", "tess-OAF", "female"),
        "OAF_Pleasant_surprise/OAF_bath_ps": ("surprised", "tess-OAF", "female"),
        "YAF_pleasant_surprised/YAF_youth_ps": ("surprised", "tess-YAF", "female"),
        "YAF_sad/YAF_yearn_sad": ("sad", "tess-YAF", "female"),
    },
    "savee": {
        "AudioData/DC/a01": ("angry", "savee-DC", "male"),
        "AudioData/JE/sa03": ("sad", "savee-JE", "male"),
        "AudioData/JK/su15": ("surprised", "savee-JK", "male"),
        "AudioData/KL/n30": ("neutral", "savee-KL", "male"),
    },
}

# The corpora's own demographics file, as distributed with CREMA-D (first rows).
CREMA_D_DEMOGRAPHICS = (
    '"ActorID","Age","Sex","Race","Ethnicity"\n'
    '1001,51,"Male","Caucasian","Not Hispanic"\n'
    '1002,21,"Female","Caucasian","Not Hispanic"\n'
    '1091,29,"Female","Asian","Not Hispanic"\n'
)


def make_corpus(root: Path, corpus: str, extension: str = ".wav") -> Path:
    write_files(root, LAYOUTS[corpus], extension)
    if corpus == "crema-d":
        (root / "VideoDemographics.csv").write_text(CREMA_D_DEMOGRAPHICS)
    return root


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_emotion_mappings_stay_in_the_vocabulary():
    assert len(set(EMOTIONS)) == len(EMOTIONS) == 15
    for mapping in (emotions_module.RAVDESS_EMOTIONS, emotions_module.EMODB_EMOTIONS,
                    emotions_module.CREMA_D_EMOTIONS, emotions_module.TESS_EMOTIONS,
                    emotions_module.SAVEE_EMOTIONS):
        assert set(mapping.values()) <= set(EMOTIONS)
    assert emotions_module.TESS_EMOTIONS["ps"] == "surprised"
    assert [emotions_module.EMODB_EMOTIONS[c] for c in "WLEAFTN"] == [
        "angry", "boredom", "disgust", "fearful", "happy", "sad", "neutral"]
    assert set(emotions_module.SAVEE_EMOTIONS) == {"a", "d", "f", "h", "n", "sa", "su"}
    assert set(emotions_module.CREMA_D_EMOTIONS) == {"ANG", "DIS", "FEA", "HAP", "NEU", "SAD"}


def test_available_corpora():
    assert {"crema-d", "emodb", "ravdess", "savee", "tess", "nemo"} <= set(available_corpora())
    assert available_corpora() == sorted(available_corpora())


@pytest.mark.parametrize("extension", [".wav", ".flac", ".WAV", ".FLAC"])
@pytest.mark.parametrize("corpus", sorted(LAYOUTS))
def test_loader_reads_the_original_names(tmp_path, corpus, extension, no_warnings):
    root = make_corpus(tmp_path / "corpus", corpus, extension)
    frame = load_corpus(corpus, root)

    expected = LAYOUTS[corpus]
    assert len(frame) == len(expected)
    assert list(frame.columns[:5]) == ["path", "emotion", "speaker", "corpus", "gender"]
    assert "original_label" in frame.columns
    assert frame["path"].tolist() == sorted(frame["path"])
    assert all(os.path.isabs(p) and os.path.isfile(p) for p in frame["path"])
    assert set(frame["corpus"]) == {corpus}
    assert set(frame["emotion"]) <= set(EMOTIONS)
    for row in frame.itertuples():
        relative = Path(row.path).relative_to(root).with_suffix("").as_posix()
        assert (row.emotion, row.speaker, row.gender) == expected[relative]
    assert frame.attrs["unparsed"] == []
    assert frame.attrs["roots"] == {corpus: str(root)}


@pytest.mark.parametrize(
    ("corpus", "folder"),
    [("ravdess", "RAVDESS"), ("emodb", "EmoDB"), ("crema-d", "CREMA-D"), ("tess", "TESS"),
     ("savee", "SAVEE"), ("crema-d", "crema_d"),
     ("tess", "TESS Toronto emotional speech set data")],
)
def test_data_home_folder_names(tmp_path, corpus, folder, no_warnings):
    make_corpus(tmp_path / folder, corpus, ".flac")
    write_files(tmp_path / "other", ["Actor_01/03-01-01-01-01-01-01"])  # a stray folder
    frame = load_corpus(corpus, tmp_path)
    assert len(frame) == len(LAYOUTS[corpus])
    assert frame.attrs["roots"] == {corpus: str(tmp_path / folder)}


@pytest.mark.parametrize("alias", ["cremad", "crema_d", "CREMA-D", "Crema D"])
def test_corpus_name_aliases(tmp_path, alias):
    make_corpus(tmp_path, "crema-d")
    assert set(load_corpus(alias, tmp_path)["corpus"]) == {"crema-d"}


def test_ravdess_nested_release_layout_and_columns(tmp_path, no_warnings):
    names = {
        "Audio_Speech_Actors_01-24/Actor_01/03-01-01-01-01-01-01": None,
        "Audio_Speech_Actors_01-24/Actor_01/03-01-07-02-02-02-01": None,
        "Audio_Speech_Actors_01-24/Actor_12/03-01-06-01-02-01-12": None,
        # A song recording among the speech: parsed, but not audio-only speech.
        "Audio_Speech_Actors_01-24/Actor_12/03-02-03-01-01-01-12": None,
        # The song release beside the speech release is not read at all.
        "Audio_Song_Actors_01-24/Actor_01/03-02-03-01-01-01-01": None,
    }
    write_files(tmp_path / "ravdess", names)
    frame = load_corpus("ravdess", tmp_path / "ravdess")
    speech = tmp_path / "ravdess" / "Audio_Speech_Actors_01-24"
    assert frame.attrs["roots"] == {"ravdess": str(speech)}
    assert frame["speaker"].tolist() == ["ravdess-01", "ravdess-01", "ravdess-12"]
    assert frame["emotion"].tolist() == ["neutral", "disgust", "fearful"]
    assert frame["intensity"].tolist() == ["normal", "strong", "normal"]
    assert frame["statement"].tolist() == [
        "Kids are talking by the door", "Dogs are sitting by the door",
        "Dogs are sitting by the door"]
    assert frame["repetition"].tolist() == [1, 2, 1]
    assert frame["gender"].tolist() == ["male", "male", "female"]
    assert frame["original_label"].tolist() == ["01", "07", "06"]
    assert frame.attrs["skipped"] == [str(speech / "Actor_12" / "03-02-03-01-01-01-12.wav")]
    assert "modality" not in frame.columns


def test_relative_root(tmp_path, monkeypatch, no_warnings):
    make_corpus(tmp_path / "corpora" / "tess", "tess")
    monkeypatch.chdir(tmp_path)
    frame = load_corpus("tess", "corpora")
    assert frame.attrs["roots"] == {"tess": str(tmp_path / "corpora" / "tess")}
    assert all(os.path.isabs(p) for p in frame["path"])


def test_emodb_columns(tmp_path):
    frame = load_corpus("emodb", make_corpus(tmp_path, "emodb"))
    row = frame.set_index(frame["path"].map(lambda p: Path(p).stem)).loc["03a01Fa"]
    assert (row.text_code, row.version, row.original_label) == ("a01", "a", "F")
    assert row.statement == "Der Lappen liegt auf dem Eisschrank."


def test_crema_d_gender_from_demographics_above_the_audio(tmp_path, no_warnings):
    root = make_corpus(tmp_path / "CREMA-D", "crema-d")
    # Pointing at the audio folder itself: the CSV is one level above.
    frame = load_corpus("crema-d", root / "AudioWAV")
    assert frame["gender"].tolist() == ["male", "female", "female"]
    assert frame["age"].tolist() == [51, 21, 29]
    assert frame["intensity"].tolist() == ["unspecified", "high", "low"]
    assert frame["statement"].tolist() == [
        "Don't forget a jacket", "It's eleven o'clock", "We'll stop in a couple of minutes"]


def test_crema_d_gender_missing_without_demographics(tmp_path, no_warnings):
    write_files(tmp_path, LAYOUTS["crema-d"])
    frame = load_corpus("crema-d", tmp_path)
    assert frame["gender"].isna().all()


def test_crema_d_unreadable_demographics_warns(tmp_path):
    write_files(tmp_path, LAYOUTS["crema-d"])
    (tmp_path / "VideoDemographics.csv").write_text("nothing useful\n1,2\n")
    with pytest.warns(CorpusWarning, match="VideoDemographics.csv: cannot read"):
        frame = load_corpus("crema-d", tmp_path)
    assert frame["gender"].isna().all()


def test_tess_and_savee_variants(tmp_path, no_warnings):
    write_files(tmp_path / "tess", ["OAF_Pleasant_surprise/OAF_back_pleasant_surprised",
                                    "YAF_happy/YAF_Kite_happy"])
    tess = load_corpus("tess", tmp_path / "tess")
    assert tess["emotion"].tolist() == ["surprised", "happy"]
    assert tess["word"].tolist() == ["back", "kite"]
    assert tess["age"].tolist() == [64, 26]
    # SAVEE: the original per-speaker folders and the flattened copies found online.
    write_files(tmp_path / "savee", ["AudioData/DC/d07", "ALL/JE_su12", "ALL/KL_n22"])
    savee = load_corpus("savee", tmp_path / "savee")
    assert savee["speaker"].tolist() == ["savee-JE", "savee-KL", "savee-DC"]
    assert savee["emotion"].tolist() == ["surprised", "neutral", "disgust"]
    assert savee["sentence"].tolist() == [12, 22, 7]


def test_combined_frame_has_unique_speakers(tmp_path, no_warnings):
    for corpus in LAYOUTS:
        make_corpus(tmp_path / corpus, corpus)
    frame = load_corpus(list(LAYOUTS), tmp_path)
    assert len(frame) == sum(len(layout) for layout in LAYOUTS.values())
    assert set(frame["corpus"]) == set(LAYOUTS)
    assert frame.groupby("speaker")["corpus"].nunique().max() == 1
    assert all(s.startswith(c + "-") for s, c in zip(frame["speaker"], frame["corpus"],
                                                      strict=True))
    assert frame["path"].tolist() == sorted(frame["path"])
    assert frame.index.tolist() == list(range(len(frame)))
    assert set(frame.attrs["roots"]) == set(LAYOUTS)


def test_unparsed_files_are_reported(tmp_path):
    root = make_corpus(tmp_path, "ravdess")
    bad = write_files(root, ["Actor_01/03-01-09-01-01-01-01", "Actor_01/take2",
                             "Actor_02/03-01-01-01-01-01-25"])
    (root / "Actor_01" / "README.txt").write_text("not audio: ignored")
    with pytest.warns(CorpusWarning, match=r"3 audio files .* do not follow the RAVDESS naming"):
        frame = load_corpus("ravdess", root)
    assert len(frame) == len(LAYOUTS["ravdess"])
    assert frame.attrs["unparsed"] == sorted(str(p) for p in bad)

    with pytest.raises(CorpusError, match=r"3 audio files .*take2\.wav"):
        load_corpus("ravdess", root, errors="raise")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = load_corpus("ravdess", root, errors="ignore")
    assert len(frame.attrs["unparsed"]) == 3


def test_warning_quotes_only_the_first_names(tmp_path):
    make_corpus(tmp_path, "emodb")
    write_files(tmp_path, [f"wav/junk{i:02d}" for i in range(12)])
    with pytest.warns(CorpusWarning, match=r"12 audio files .*junk04\.wav, \.\.\.") as record:
        frame = load_corpus("emodb", tmp_path)
    assert "junk05" not in str(record[0].message)
    assert len(frame.attrs["unparsed"]) == 12


def test_duplicate_recordings_are_reported(tmp_path):
    make_corpus(tmp_path, "emodb", ".wav")
    write_files(tmp_path, ["wav/03a01Fa"], ".flac")
    with pytest.warns(CorpusWarning, match="describe the same recordings"):
        frame = load_corpus("emodb", tmp_path)
    assert len(frame) == len(LAYOUTS["emodb"]) + 1
    assert [Path(p).name for p in frame.attrs["duplicates"]] == ["03a01Fa.flac", "03a01Fa.wav"]
    with pytest.raises(CorpusError, match="describe the same recordings"):
        load_corpus("emodb", tmp_path, errors="raise")


def test_hidden_files_and_macos_folders_are_ignored(tmp_path, no_warnings):
    make_corpus(tmp_path, "savee")
    write_files(tmp_path, ["__MACOSX/AudioData/DC/._a01", "AudioData/DC/._a02",
                           ".cache/whatever"])
    assert len(load_corpus("savee", tmp_path)) == len(LAYOUTS["savee"])


def test_empty_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("no audio here")
    with pytest.raises(CorpusError, match=r"no audio files \(\.wav, \.flac, \.aiff, \.aif\) "
                                          r"under .*RAVDESS"):
        load_corpus("ravdess", tmp_path)


def test_missing_folder(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus("tess", tmp_path / "nowhere")


def test_unknown_corpus_name(tmp_path):
    known = ", ".join(available_corpora())
    with pytest.raises(CorpusError, match=rf"unknown corpus 'iemocap'; known corpora are {known}, "
                                          r"or the path of your own recordings"):
        load_corpus("iemocap", tmp_path)
    with pytest.raises(CorpusError, match="named more than once"):
        load_corpus(["ravdess", "RAVDESS"], tmp_path)


def test_folder_of_another_corpus(tmp_path):
    make_corpus(tmp_path / "ravdess", "ravdess")
    with pytest.raises(CorpusError, match=r"none of the 4 audio files .* follows the EmoDB"):
        load_corpus("emodb", tmp_path / "ravdess")
    # A data home without the corpus asked for names the folders it does hold.
    with pytest.raises(CorpusError, match=r"no SAVEE folder in data home .*holds folders for "
                                          r"ravdess"):
        load_corpus("savee", tmp_path)


def test_only_song_files(tmp_path):
    write_files(tmp_path, ["Actor_01/03-02-03-01-01-01-01"])
    with pytest.raises(CorpusError, match="outside the default selection"):
        load_corpus("ravdess", tmp_path)


def test_default_root_is_the_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SERSK_DATA_HOME", str(tmp_path / "home"))
    assert get_data_home() == str(tmp_path / "home")
    assert (tmp_path / "home").is_dir()
    with pytest.raises(CorpusError, match=r"no EmoDB folder in data home .*"
                                          r"fetch_corpus\('emodb'\) downloads it"):
        load_corpus("emodb")
    make_corpus(tmp_path / "home" / "emodb", "emodb")
    assert len(load_corpus("emodb")) == len(LAYOUTS["emodb"])
    assert get_data_home(tmp_path / "elsewhere") == str(tmp_path / "elsewhere")


def test_invalid_errors_argument(tmp_path):
    with pytest.raises(ValueError, match="errors must be one of"):
        load_corpus("ravdess", tmp_path, errors="skip")


def test_listing_is_fast_and_decodes_nothing(tmp_path):
    # 1,440 RAVDESS names on empty files: reading any of them would fail.
    emotions = [("01", "01")] + [(f"{e:02d}", i) for e in range(2, 9) for i in ("01", "02")]
    for actor in range(1, 25):
        folder = tmp_path / f"Actor_{actor:02d}"
        folder.mkdir()
        for emotion, intensity in emotions:
            for statement in ("01", "02"):
                for repetition in ("01", "02"):
                    name = f"03-01-{emotion}-{intensity}-{statement}-{repetition}-{actor:02d}"
                    (folder / f"{name}.wav").touch()
    start = time.perf_counter()
    frame = load_corpus("ravdess", tmp_path)
    elapsed = time.perf_counter() - start
    assert len(frame) == 1440
    assert (frame["emotion"] == "neutral").sum() == 96
    assert elapsed < 1.0


def test_audio_inputs(tmp_path):
    loaded = load_corpus("emodb", make_corpus(tmp_path, "emodb"))
    assert audio_inputs(loaded) == loaded["path"].tolist()

    synthetic = make_emotional_speech(n_speakers=1, n_utterances=1, emotions=["sad", "angry"],
                                      duration=0.2, random_state=0)
    inputs = audio_inputs(synthetic)
    assert [sr for _, sr in inputs] == [16_000, 16_000]
    assert inputs[0][0] is synthetic["audio"][0][0]

    mixed = pd.concat([loaded, synthetic], ignore_index=True)
    inputs = audio_inputs(mixed)
    assert inputs[:4] == loaded["path"].tolist()
    assert all(isinstance(x, tuple) for x in inputs[4:])

    with pytest.raises(CorpusError, match="row 1 has neither"):
        audio_inputs(pd.DataFrame({"path": ["a.wav", None]}))


@pytest.mark.parametrize(
    "module", ["_ravdess", "_emodb", "_crema_d", "_tess", "_savee", "_home", "_load"]
)
def test_docstring_examples(module):
    mod = importlib.import_module(f"sersk.datasets.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def _shared_corpora() -> Path | None:
    candidates = [os.environ.get("SERSK_CORPORA")]
    repo = Path(__file__).resolve().parents[1]
    candidates += [repo / "shared" / "corpora", repo.parent / "shared" / "corpora"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "ravdess").is_dir():
            return Path(candidate)
    return None


@pytest.mark.skipif(_shared_corpora() is None, reason="shared/corpora is not available")
def test_real_corpora(no_warnings):
    home = _shared_corpora()
    ravdess = load_corpus("ravdess", home)
    assert len(ravdess) == 1440
    assert ravdess["speaker"].nunique() == 24
    assert ravdess["emotion"].nunique() == 8
    assert (ravdess["emotion"] == "neutral").sum() == 96
    assert (ravdess.groupby("speaker")["gender"].first().value_counts() == 12).all()

    emodb = load_corpus("emodb", home)
    assert len(emodb) == 535
    assert emodb["speaker"].nunique() == 10
    assert emodb["emotion"].nunique() == 7

    both = load_corpus(["ravdess", "emodb"], home)
    assert len(both) == 1975
    assert both["speaker"].nunique() == 34
