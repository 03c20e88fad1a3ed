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

import pytest
from _corpus_files import write_files

from sersk.datasets import EMOTIONS, CorpusWarning, available_corpora, load_corpus
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
LAYOUTS = {
    "nemo": {
        "samples/EB0_anger_12": ("angry", "nemo-EB0", "female"),
        "samples/KS0_surprised_38": ("surprised", "nemo-KS0", "male"),
        "samples/SM0_happiness_2": ("happy", "nemo-SM0", "male"),
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
    bad = write_files(tmp_path, ["notes/take2", "x_y_z", "12345"])
    with pytest.warns(CorpusWarning, match="do not follow"):
        frame = load_corpus(corpus, tmp_path)
    assert len(frame) == len(LAYOUTS[corpus])
    assert frame.attrs["unparsed"] == sorted(str(p) for p in bad)


def test_corpora_combine_with_unique_speakers(tmp_path, no_warnings):
    for corpus in LAYOUTS:
        make_corpus(tmp_path / corpus, corpus)
    frame = load_corpus(list(LAYOUTS), tmp_path)
    assert len(frame) == sum(len(layout) for layout in LAYOUTS.values())
    assert all(s.startswith(c + "-") for s, c in zip(frame["speaker"], frame["corpus"],
                                                      strict=True))


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


# Docstrings and the real corpora ------------------------------------------------------------

@pytest.mark.parametrize("module", ["_nemo"])
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
