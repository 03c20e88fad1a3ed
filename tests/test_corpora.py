"""The loaders of the corpora beyond the first five: each naming scheme and layout as its
documentation gives it, its quirks, its metadata files, and names that do not follow it.

Every corpus is built in tmp_path from tiny tones named exactly as in the documented
distribution; one test reads the nEMO subset in shared/corpora when it is there.
"""

from __future__ import annotations

import doctest
import importlib
import os
import warnings
from pathlib import Path

import pandas as pd
import pytest
from _corpus_files import write_files

from sersk.datasets import (
    EMOTIONS,
    CorpusWarning,
    available_corpora,
    get_corpus_spec,
    load_corpus,
)
from sersk.datasets import _emotions as emotions_module

# nEMO's data.tsv as released: file_id ends in .wav, speaker_id padded with spaces.
NEMO_TSV = (
    "file_id\temotion\traw_text\tnormalized_text\tspeaker_id\tgender\tage\n"
    "EB0_anger_12.wav\tanger\tLubię czytać przed snem.\tlubię czytać przed snem\t"
    "        EB0\tfemale\t27\n"
    "KS0_surprised_38.wav\tsurprised\t„Ród smoka” to serial.\t„ród smoka” to serial\t"
    "        KS0\tmale\t23\n"
    "SM0_happiness_2.wav\thappiness\tNie ważmy się.\tnie ważmy się\t        SM0\tmale\t24\n"
)

# Per corpus: files as laid out in the documented distribution (extension added by the
# test), each with the emotion, speaker and gender it encodes; and the side files shipped
# with it.
JL = "Raw JL corpus (unchecked and unannotated)/JL(wav+txt)"
MESD = "Mexican Emotional Speech Database (MESD)"
LAYOUTS = {
    "nemo": {
        "samples/EB0_anger_12": ("angry", "nemo-EB0", "female"),
        "samples/KS0_surprised_38": ("surprised", "nemo-KS0", "male"),
        "samples/SM0_happiness_2": ("happy", "nemo-SM0", "male"),
    },
    "emovo": {
        "f1/dis-f1-b1": ("disgust", "emovo-f1", "female"),
        "f2/gio-f2-l4": ("happy", "emovo-f2", "female"),
        "m3/rab-m3-n5": ("angry", "emovo-m3", "male"),
        "m1/pau-m1-d2": ("fearful", "emovo-m1", "male"),
    },
    "ased": {
        "Angry/a5-03-01-02-50": ("angry", "ased-50", "male"),
        "Neutral/n1-26-02-01-12": ("neutral", "ased-12", "female"),
        "Happy/h3-07-01-01-65": ("happy", "ased-65", "female"),
    },
    "turev-db": {
        "Sound Source/Angry/1157_kz_acik": ("angry", "turev-db-1157", None),
        "Sound Source/Calm/1234_sk_algi": ("calm", "turev-db-1234", None),
        "Sound Source/Sad/6783_hl_dil": ("sad", "turev-db-6783", None),
    },
    "urdu": {
        "Angry/SM1_F10_A010": ("angry", "urdu-SM1", "male"),
        "Happy/SF6_F10_H034": ("happy", "urdu-SF6", "female"),
        "Neutral/SM5_F72_N0100": ("neutral", "urdu-SM5", "male"),
        "Sad/SF10_F1_S01": ("sad", "urdu-SF10", "female"),
    },
    "subesco": {
        "F_02_MONIKA_S_1_NEUTRAL_5": ("neutral", "subesco-F02", "female"),
        "M_05_RAFI_S_10_ANGRY_1": ("angry", "subesco-M05", "male"),
        "F_10_ASHA_S_3_SURPRISE_2": ("surprised", "subesco-F10", "female"),
    },
    "shemo": {
        "female/F01A01": ("angry", "shemo-F01", "female"),
        "male/M12W03": ("surprised", "shemo-M12", "male"),
        "female/F02S11": ("sad", "shemo-F02", "female"),
        "male/M01N07": ("neutral", "shemo-M01", "male"),
    },
    "jl-corpus": {
        f"{JL}/female1_angry_1a_1": ("angry", "jl-corpus-female1", "female"),
        f"{JL}/male2_apologetic_12b_2": ("apologetic", "jl-corpus-male2", "male"),
        f"{JL}/female2_excited_3a_2": ("excited", "jl-corpus-female2", "female"),
    },
    "esd": {
        "0011/Angry/0011_000351": ("angry", "esd-0011", "male"),
        "0015/Surprise/test/0015_001721": ("surprised", "esd-0015", "female"),
        "0001/Neutral/train/0001_000001": ("neutral", "esd-0001", "female"),
    },
    "cafe": {
        "Colère/Faible/01-C-1-1": ("angry", "cafe-01", "male"),
        "Neutre/03-N-1": ("neutral", "cafe-03", "male"),
        "Peur/Fort/08-P-2-4": ("fearful", "cafe-08", "female"),
        "Dégoût/Fort/12-D-2-6": ("disgust", "cafe-12", "female"),
    },
    "aesdd": {
        "anger/a03 (4)": ("angry", "aesdd-4", None),
        "fear/f18 (5)": ("fearful", "aesdd-5", None),
        "fear/f18 (5)b": ("fearful", "aesdd-5", None),
        "sadness/s20 (1)": ("sad", "aesdd-1", None),
    },
    "enterface": {
        "subject 1/anger/sentence 1/s1_an_1": ("angry", "enterface-1", None),
        "subject 44/surprise/sentence 5/s44_su_5": ("surprised", "enterface-44", None),
        "subject 3/happiness/sentence 2/s3_ha_2": ("happy", "enterface-3", None),
    },
    # No speaker in the names: the voice type gives the adults' gender, not the children's.
    "mesd": {
        f"{MESD}/Anger_F_A_abajo": ("angry", None, "female"),
        f"{MESD}/Fear_M_A_por_favor": ("fearful", None, "male"),
        f"{MESD}/Happiness_C_B_relax": ("happy", None, None),
        f"{MESD}/Disgust_C_B_abandono": ("disgust", None, None),
        f"{MESD}/Neutral_M_B_chulo": ("neutral", None, "male"),
        f"{MESD}/Sadness_F_A_de_nada": ("sad", None, "female"),
    },
}
SIDE_FILES = {
    "nemo": {"data.tsv": NEMO_TSV},
}


def make_corpus(root: Path, corpus: str, extension: str = ".wav") -> Path:
    write_files(root, LAYOUTS[corpus], extension)
    for name, text in SIDE_FILES.get(corpus, {}).items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_registered():
    assert set(LAYOUTS) <= set(available_corpora())


@pytest.mark.parametrize(
    ("alias", "corpus"),
    [("JL_Corpus", "jl-corpus"), ("TurEV-DB", "turev-db"), ("turev", "turev-db"),
     ("eNTERFACE'05", "enterface"), ("ShEMO", "shemo"), ("CaFE", "cafe"), ("nEMO", "nemo"),
     ("MESD", "mesd"), ("Mexican Emotional Speech Database", "mesd")],
)
def test_names_and_aliases(alias, corpus):
    assert get_corpus_spec(alias).name == corpus


def test_emotion_mappings_stay_in_the_vocabulary():
    for name in dir(emotions_module):
        if name.endswith("_EMOTIONS"):
            assert set(getattr(emotions_module, name).values()) <= set(EMOTIONS), name


@pytest.mark.parametrize("extension", [".wav", ".flac", ".WAV", ".FLAC"])
@pytest.mark.parametrize("corpus", sorted(LAYOUTS))
def test_loader_reads_the_documented_names(tmp_path, corpus, extension, no_warnings):
    # Nested two levels deeper than the corpus folder, as archives often are.
    root = tmp_path / corpus
    release = make_corpus(root / "release" / "inner", corpus, extension)
    frame = load_corpus(corpus, tmp_path)

    expected = LAYOUTS[corpus]
    assert len(frame) == len(expected)
    assert list(frame.columns[:5]) == ["path", "emotion", "speaker", "corpus", "gender"]
    assert "original_label" in frame.columns
    assert set(frame["corpus"]) == {corpus}
    assert set(frame["emotion"]) <= set(EMOTIONS)
    for row in frame.itertuples():
        relative = Path(row.path).relative_to(release).with_suffix("").as_posix()
        gender = None if row.gender != row.gender else row.gender
        assert (row.emotion, row.speaker, gender) == expected[relative]
    assert frame.attrs["unparsed"] == []
    assert frame.attrs["roots"] == {corpus: str(root)}


@pytest.mark.parametrize("corpus", sorted(LAYOUTS))
def test_wrong_names_are_unparsed(tmp_path, corpus):
    make_corpus(tmp_path, corpus)
    # The folder the loader reads (TurEV-DB's "Sound Source" inside its repository).
    root = Path(load_corpus(corpus, tmp_path).attrs["roots"][corpus])
    bad = write_files(root, ["notes/take2", "x_y_z", "12345"])
    with pytest.warns(CorpusWarning, match="do not follow"):
        frame = load_corpus(corpus, tmp_path)
    assert len(frame) == len(LAYOUTS[corpus])
    assert frame.attrs["unparsed"] == sorted(str(p) for p in bad)


def test_corpora_combine_with_unique_speakers(tmp_path, no_warnings):
    for corpus in LAYOUTS:
        make_corpus(tmp_path / corpus, corpus)
    frame = load_corpus(list(LAYOUTS), tmp_path)
    assert len(frame) == sum(len(layout) for layout in LAYOUTS.values())
    known = frame["corpus"] != "mesd"
    assert all(s.startswith(c + "-") for s, c in zip(frame.loc[known, "speaker"],
                                                      frame.loc[known, "corpus"], strict=True))
    # MESD's speakers stay unknown in the combined frame, and only MESD's.
    assert frame.loc[~known, "speaker"].isna().all() and frame.loc[known, "speaker"].notna().all()
    assert list(frame.attrs["unknown_speakers"]) == ["mesd"]


@pytest.mark.parametrize(
    ("corpus", "folder"),
    [("nemo", "nEMO-main"), ("emovo", "EMOVO"), ("ased", "ASED_V1"),
     ("turev-db", "TurEV-DB-master"), ("urdu", "URDU-Dataset-master"), ("subesco", "SUBESCO"),
     ("shemo", "ShEMO"),
     ("jl-corpus", "JL_corpus"), ("esd", "Emotion Speech Dataset"), ("cafe", "CaFE_48k"),
     ("aesdd", "Acted Emotional Speech Dynamic Database"), ("enterface", "enterface_db"),
     ("mesd", "cy34mh68j9-5"), ("mesd", MESD)],
)
def test_data_home_folder_names(tmp_path, corpus, folder, no_warnings):
    make_corpus(tmp_path / folder, corpus, ".flac")
    frame = load_corpus(corpus, tmp_path)
    assert len(frame) == len(LAYOUTS[corpus])
    assert frame.attrs["roots"] == {corpus: str(tmp_path / folder)}


# Labels from folders (TESS's misspelt speaker, eNTERFACE's misplaced subject) ----------------

def test_tess_misspelt_speaker_takes_the_folder(tmp_path, no_warnings):
    write_files(tmp_path, ["OAF_neutral/OA_bite_neutral", "OAF_neutral/OAF_back_neutral",
                           "YAF_sad/OAF_dog_sad", "OAF_Fear/OAF_dog_fear"])
    frame = load_corpus("tess", tmp_path)
    assert frame.attrs["unparsed"] == []
    assert frame.attrs["from_folder"] == [str(tmp_path / "OAF_neutral" / "OA_bite_neutral.wav"),
                                          str(tmp_path / "YAF_sad" / "OAF_dog_sad.wav")]
    row = frame.set_index(frame["path"].map(lambda p: Path(p).stem)).loc["OA_bite_neutral"]
    assert (row.speaker, row.emotion, row.gender, row.word, row.age) == (
        "tess-OAF", "neutral", "female", "bite", 64)
    assert frame.loc[frame["path"].str.endswith("OAF_dog_sad.wav"), "speaker"].item() == "tess-YAF"


def test_tess_flat_release_reads_the_names_alone(tmp_path, no_warnings):
    write_files(tmp_path, ["OAF_back_angry", "YAF_youth_ps"])
    frame = load_corpus("tess", tmp_path)
    assert frame["speaker"].tolist() == ["tess-OAF", "tess-YAF"]
    assert frame.attrs["from_folder"] == []
    # A bad name with no folder to fall back on is still reported.
    write_files(tmp_path, ["OA_bite_neutral"])
    with pytest.warns(CorpusWarning, match="follow the TESS naming"):
        frame = load_corpus("tess", tmp_path)
    assert [Path(p).name for p in frame.attrs["unparsed"]] == ["OA_bite_neutral.wav"]


def test_enterface_folders_correct_the_release_quirks(tmp_path, no_warnings):
    write_files(tmp_path, [
        "subject 11/anger/sentence 1/s12_an_1",  # subject 11's clips are named s12
        "subject 12/anger/sentence 1/s12_an_1",
        "subject 16/surprise/sentence 3/s16_su_3avi",  # misspelt
        "subject 2/fear/sentence 4/s2_fe_4",
    ])
    frame = load_corpus("enterface", tmp_path)
    assert frame["speaker"].tolist() == ["enterface-11", "enterface-12", "enterface-16",
                                         "enterface-2"]
    assert frame["emotion"].tolist() == ["angry", "angry", "surprised", "fearful"]
    assert frame["sentence"].tolist() == [1, 1, 3, 4]
    assert [Path(p).parts[-4] for p in frame.attrs["from_folder"]] == ["subject 11",
                                                                       "subject 16"]
    assert frame.attrs["duplicates"] == []


def test_urdu_and_aesdd_emotion_folders_win(tmp_path, no_warnings):
    write_files(tmp_path / "urdu", ["Happy/SM3_F1_A053", "Happy/SM3_F1_H053", "misc/SF1_F1_N01"])
    urdu = load_corpus("urdu", tmp_path / "urdu")
    assert urdu["emotion"].tolist() == ["happy", "happy", "neutral"]
    assert [Path(p).name for p in urdu.attrs["from_folder"]] == ["SM3_F1_A053.wav"]
    write_files(tmp_path / "aesdd", ["sadness/h02 (3)", "fear/f01 (2)"])
    aesdd = load_corpus("aesdd", tmp_path / "aesdd")
    assert aesdd["emotion"].tolist() == ["fearful", "sad"]
    assert aesdd["original_label"].tolist() == ["f", "h"]
    # An emotion folder alone names no speaker: a bad name in it stays unparsed.
    write_files(tmp_path / "aesdd", ["sadness/whatever"])
    with pytest.warns(CorpusWarning, match="AESDD naming"):
        aesdd = load_corpus("aesdd", tmp_path / "aesdd")
    assert len(aesdd.attrs["unparsed"]) == 1


def test_esd_speaker_folder_and_splits(tmp_path):
    write_files(tmp_path, ["0012/Happy/evaluation/0012_000701", "0013/Sad/0012_001051",
                           "0014/Angry/0014_000351 (copy)", "flat/0011_000001"])
    with pytest.warns(CorpusWarning, match="1 audio file .* ESD naming"):
        frame = load_corpus("esd", tmp_path)
    assert frame["speaker"].tolist() == ["esd-0012", "esd-0013", "esd-0014"]
    assert frame["split"].iloc[0] == "evaluation" and pd.isna(frame["split"].iloc[1])
    assert frame["language"].unique().tolist() == ["English"]
    assert [Path(p).name for p in frame.attrs["from_folder"]] == [
        "0012_001051.wav", "0014_000351 (copy).wav"]
    assert [Path(p).name for p in frame.attrs["unparsed"]] == ["0011_000001.wav"]


# Corpus by corpus -----------------------------------------------------------------------------

def test_turev_repository_clone_skips_the_filtered_copies(tmp_path, no_warnings):
    write_files(tmp_path / "turev-db", [
        "Sound Source/Angry/1157_kz_beste", "Sound Source/Happy/7895_mt_defne",
        "Model Output for Test Data/testEmotions500HighPass/sound/Angry/1157_kz_beste",
    ])
    frame = load_corpus("turev-db", tmp_path)
    assert frame["emotion"].tolist() == ["angry", "happy"]
    assert [Path(p).parts[-5] for p in frame.attrs["skipped"]] == ["Model Output for Test Data"]
    assert frame.attrs["duplicates"] == []
    assert "model_output" not in frame.columns

def test_cafe_aiff_edition_and_columns(tmp_path, no_warnings):
    # The 192 kHz edition comes in two parts; the folder holding both is the corpus.
    write_files(tmp_path, ["CaFE_192k_1/Colère/Faible/01-C-1-1", "CaFE_192k_2/Neutre/02-N-6"],
                ".aiff")
    frame = load_corpus("cafe", tmp_path)
    assert frame["intensity"].iloc[0] == "low" and pd.isna(frame["intensity"].iloc[1])
    assert frame["age"].tolist() == [46, 64]
    assert frame["statement"].tolist() == ["Un cheval fou dans mon jardin",
                                           "Six ours aimants domestiqués"]
    # An emotion other than neutral needs its intensity; actor 13 does not exist.
    write_files(tmp_path, ["Joie/05-J-3", "Joie/Fort/13-J-2-1"])
    with pytest.warns(CorpusWarning, match="2 audio files .* CaFE naming"):
        load_corpus("cafe", tmp_path)


def test_jl_corpus_keeps_secondary_emotions_apart(tmp_path, no_warnings):
    write_files(tmp_path, [f"{JL}/male1_{e}_1a_1" for e in
                           ("angry", "excited", "happy", "anxious", "assertive", "concerned",
                            "encouraging")])
    frame = load_corpus("jl-corpus", tmp_path)
    assert sorted(frame["emotion"]) == ["angry", "anxious", "assertive", "concerned",
                                        "encouraging", "excited", "happy"]
    assert frame.groupby("primary")["emotion"].nunique().to_dict() == {False: 4, True: 3}
    assert set(frame["emotion"]) <= set(EMOTIONS)


def test_name_columns(tmp_path, no_warnings):
    ased = load_corpus("ased", make_corpus(tmp_path / "ased", "ased"))
    assert ased[["sentence", "repetition"]].values.tolist() == [[3, 1], [7, 1], [26, 2]]
    subesco = load_corpus("subesco", make_corpus(tmp_path / "subesco", "subesco"))
    assert subesco["speaker_name"].tolist() == ["MONIKA", "ASHA", "RAFI"]
    assert subesco["take"].tolist() == [5, 2, 1]
    turev = load_corpus("turev-db", make_corpus(tmp_path / "turev", "turev-db"))
    assert turev[["emotion_code", "word"]].values.tolist() == [
        ["kz", "acik"], ["sk", "algi"], ["hl", "dil"]]
    assert turev["gender"].isna().all()
    emovo = load_corpus("emovo", make_corpus(tmp_path / "emovo", "emovo"))
    assert emovo["original_label"].tolist() == ["dis", "gio", "pau", "rab"]
    aesdd = load_corpus("aesdd", make_corpus(tmp_path / "aesdd", "aesdd"))
    assert aesdd["take"].tolist() == [1, 1, 2, 1]


# nEMO ---------------------------------------------------------------------------------------

def test_nemo_metadata(tmp_path, no_warnings):
    make_corpus(tmp_path, "nemo", ".flac")
    # Pointed at the audio folder itself: data.tsv is one level above.
    frame = load_corpus("nemo", tmp_path / "samples")
    assert frame["age"].tolist() == [27, 23, 24]
    assert frame["statement"].tolist() == [
        "Lubię czytać przed snem.", "„Ród smoka” to serial.", "Nie ważmy się."]
    assert frame["normalized_text"].tolist()[0] == "lubię czytać przed snem"
    assert frame["original_label"].tolist() == ["anger", "surprised", "happiness"]
    assert frame["sentence"].tolist() == [12, 38, 2]


def test_nemo_without_metadata(tmp_path, no_warnings):
    write_files(tmp_path, LAYOUTS["nemo"])
    frame = load_corpus("nemo", tmp_path)
    assert frame["gender"].isna().all()
    assert frame["speaker"].tolist() == ["nemo-EB0", "nemo-KS0", "nemo-SM0"]


def test_nemo_unreadable_metadata_warns(tmp_path):
    write_files(tmp_path, LAYOUTS["nemo"])
    (tmp_path / "data.tsv").write_text("nothing\tuseful\n1\t2\n")
    with pytest.warns(CorpusWarning, match=r"data\.tsv: cannot read"):
        frame = load_corpus("nemo", tmp_path)
    assert frame["gender"].isna().all()


# MESD: no speakers ----------------------------------------------------------------------------

def test_mesd_columns_and_naturalness_reduced_copies(tmp_path, no_warnings):
    make_corpus(tmp_path / "mesd", "mesd")
    # Version 5's naturalness-reduced female voices: edited copies, not new recordings.
    write_files(tmp_path / "mesd", ["Level 1/Anger_F_B_L1_ataque",
                                    "Level 2/Anger_F_B_Level2_ataque"])
    frame = load_corpus("mesd", tmp_path)
    assert len(frame) == len(LAYOUTS["mesd"])
    assert [Path(p).name for p in frame.attrs["skipped"]] == ["Anger_F_B_L1_ataque.wav",
                                                              "Anger_F_B_Level2_ataque.wav"]
    assert "naturalness" not in frame.columns
    row = frame.set_index(frame["path"].map(lambda p: Path(p).stem)).loc["Sadness_F_A_de_nada"]
    assert (row.original_label, row.voice, row.word_corpus, row.word) == (
        "Sadness", "female", "A", "de nada")
    assert sorted(frame["voice"].unique()) == ["child", "female", "male"]
    assert frame.loc[frame["voice"] == "child", "gender"].isna().all()
    assert frame["speaker"].isna().all()
    assert "not which of its 11 speakers" in frame.attrs["unknown_speakers"]["mesd"]


def test_mesd_wrong_names(tmp_path):
    make_corpus(tmp_path, "mesd")
    # An emotion MESD does not have, a voice type it does not have, no word, no corpus.
    bad = write_files(tmp_path / MESD, ["Surprise_F_A_abajo", "Anger_X_A_abajo", "Anger_F_A_",
                                        "Anger_F_abajo"])
    with pytest.warns(CorpusWarning, match="4 audio files .* do not follow the MESD naming"):
        frame = load_corpus("mesd", tmp_path)
    assert len(frame) == len(LAYOUTS["mesd"])
    assert frame.attrs["unparsed"] == sorted(str(p) for p in bad)


def test_mesd_refuses_speaker_grouped_evaluation(tmp_path, no_warnings):
    from sklearn.dummy import DummyClassifier

    from sersk.datasets._labelled import missing_speakers
    from sersk.model_selection import ProtocolError, check_speakers_known, cross_validate_speakers

    make_corpus(tmp_path / "mesd", "mesd")
    make_corpus(tmp_path / "emovo", "emovo")
    mesd = load_corpus("mesd", tmp_path)
    X, y = [[0.0]] * len(mesd), mesd["voice"].to_numpy()
    for protocol in ["speaker", "loso"]:
        with pytest.raises(ProtocolError, match="6 of 6 clips have no speaker"):
            cross_validate_speakers(DummyClassifier(), X, y, speakers=mesd["speaker"],
                                    protocol=protocol, n_splits=2)
    # The random protocol runs, labelled speaker-dependent.
    results = cross_validate_speakers(DummyClassifier(), X, y, speakers=mesd["speaker"],
                                      protocol="random", n_splits=2)
    assert results["protocol"].unique().tolist() == ["speaker-dependent"]

    # Combined with a corpus of known speakers: refused because of MESD's rows alone.
    both = load_corpus(["mesd", "emovo"], tmp_path)
    with pytest.raises(ProtocolError, match="6 of 10 clips have no speaker"):
        check_speakers_known(both["speaker"])
    check_speakers_known(both.loc[both["corpus"] != "mesd", "speaker"])
    message = missing_speakers(both)
    assert message.startswith("the speaker of 6 of 10 clips is unknown (mesd (")
    assert "leave mesd out (MESD's file names give the type of voice" in message
    assert "speaker-pattern" not in message
    # Leave-one-corpus-out needs no speakers: it runs, its speaker check skipping MESD's.
    loco = cross_validate_speakers(DummyClassifier(), [[0.0]] * len(both),
                                   both["emotion"].to_numpy(), speakers=both["speaker"],
                                   corpora=both["corpus"], protocol="loco")
    assert sorted(loco["test_corpus"]) == ["emovo", "mesd"]


# Docstrings and the real corpora ------------------------------------------------------------

@pytest.mark.parametrize(
    "module", ["_nemo", "_emovo", "_ased", "_turev", "_urdu", "_subesco", "_shemo", "_jl_corpus",
               "_esd", "_cafe", "_aesdd", "_enterface", "_mesd"],
)
def test_docstring_examples(module):
    mod = importlib.import_module(f"sersk.datasets.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def _shared_corpus(name: str) -> Path | None:
    repo = Path(__file__).resolve().parents[1]
    candidates = [os.environ.get("SERSK_CORPORA"), repo / "shared" / "corpora",
                  repo.parent / "shared" / "corpora"]
    for candidate in candidates:
        if candidate and (Path(candidate) / name).is_dir():
            return Path(candidate)
    return None


@pytest.mark.skipif(_shared_corpus("nemo") is None, reason="shared/corpora/nemo is absent")
def test_real_nemo_subset(no_warnings):
    frame = load_corpus("nemo", _shared_corpus("nemo"))
    assert len(frame) == 2157
    assert frame["speaker"].nunique() == 4
    assert sorted(frame["emotion"].unique()) == [
        "angry", "fearful", "happy", "neutral", "sad", "surprised"]
    genders = frame.groupby("speaker")["gender"].first().to_dict()
    assert genders == {"nemo-EB0": "female", "nemo-KD0": "female", "nemo-KS0": "male",
                       "nemo-SM0": "male"}
    assert frame[["gender", "age", "statement"]].notna().all().all()
