"""Who a model works for: UAR per group with bootstrap intervals, and the groups flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sersk.groups import GroupBreakdown, group_breakdowns, uar_by_group


def clips_of(speaker: str, pattern: list[tuple[str, str]], repeat: int = 1) -> list[dict]:
    return [{"speaker": speaker, "y_true": t, "y_pred": p} for t, p in pattern * repeat]


@pytest.fixture
def four_speakers() -> pd.DataFrame:
    """Women always right; of the men, m1 always right and m2 always wrong.

    By hand: women's UAR 1 (every resample too: [1, 1]); men's pooled UAR 0.5, and a resample
    of the two men draws {m1, m1} (UAR 1), {m2, m2} (UAR 0) or one of each (0.5), a quarter of
    the time each extreme, so the men's 95 % interval is [0, 1].
    """
    right = [("angry", "angry"), ("sad", "sad")]
    wrong = [("angry", "sad"), ("sad", "angry")]
    rows = (clips_of("f1", right, 3) + clips_of("f2", right, 2)
            + clips_of("m1", right, 2) + clips_of("m2", wrong, 2))
    frame = pd.DataFrame(rows)
    frame["gender"] = frame["speaker"].str[0].map({"f": "female", "m": "male"})
    return frame


def test_group_uar_and_intervals_by_hand(four_speakers):
    frame = four_speakers
    breakdown = uar_by_group(frame["y_true"], frame["y_pred"], frame["gender"],
                             frame["speaker"], by="gender")
    table = breakdown.table.set_index("group")
    assert table.loc["female", ["n_clips", "n_speakers"]].tolist() == [10, 2]
    assert table.loc["male", ["n_clips", "n_speakers"]].tolist() == [8, 2]
    assert table.loc["female", ["uar", "low", "high"]].tolist() == [1.0, 1.0, 1.0]
    assert table.loc["male", ["uar", "low", "high"]].tolist() == [0.5, 0.0, 1.0]
    # The others of the women are the men, and the other way round.
    assert table.loc["female", ["others_uar", "others_low", "others_high"]].tolist() == [
        0.5, 0.0, 1.0]
    assert table.loc["male", ["others_uar", "others_low", "others_high"]].tolist() == [
        1.0, 1.0, 1.0]
    # The women's 1.0 lies inside the men's [0, 1]; the men's 0.5 outside the women's [1, 1].
    assert table["flagged"].to_dict() == {"female": False, "male": True}
    assert breakdown.flagged == ["male"]


def test_a_single_speaker_is_resampled_by_clips():
    # One speaker: angry always right (4 clips), sad right once in 4 -> UAR (1 + 0.25) / 2.
    rows = (clips_of("s1", [("angry", "angry")], 4) + clips_of("s1", [("sad", "sad")], 1)
            + clips_of("s1", [("sad", "angry")], 3) + clips_of("s2", [("angry", "angry"),
                                                                     ("sad", "sad")], 4))
    frame = pd.DataFrame(rows)
    breakdown = uar_by_group(frame["y_true"], frame["y_pred"], frame["speaker"],
                             frame["speaker"], by="speaker")
    s1 = breakdown.table.set_index("group").loc["s1"]
    assert s1["uar"] == pytest.approx(0.625)
    assert s1["low"] < s1["uar"] < s1["high"]  # clips resampled: not a point
    assert breakdown.table.set_index("group").loc["s2", "uar"] == 1.0


def test_missing_groups_are_left_out_and_counted(four_speakers):
    frame = four_speakers.copy()
    frame.loc[frame["speaker"] == "f2", "gender"] = None
    breakdown = uar_by_group(frame["y_true"], frame["y_pred"], frame["gender"],
                             frame["speaker"], by="gender")
    assert breakdown.n_left_out == 4
    assert breakdown.table["n_clips"].tolist() == [6, 8]


def test_one_group_has_no_others_and_is_not_flagged(four_speakers):
    frame = four_speakers
    breakdown = uar_by_group(frame["y_true"], frame["y_pred"], ["all"] * len(frame),
                             frame["speaker"])
    assert len(breakdown.table) == 1 and np.isnan(breakdown.table.loc[0, "others_uar"])
    assert breakdown.flagged == []


def test_the_same_seed_gives_the_same_intervals(four_speakers):
    frame = four_speakers
    args = (frame["y_true"], frame["y_pred"], frame["speaker"], frame["speaker"])
    pd.testing.assert_frame_equal(uar_by_group(*args).table, uar_by_group(*args).table)


def test_summary_and_dict(four_speakers):
    frame = four_speakers
    breakdown = uar_by_group(frame["y_true"], frame["y_pred"], frame["gender"],
                             frame["speaker"], by="gender")
    text = breakdown.summary()
    assert text.startswith("UAR by gender (95 % bootstrap intervals over speakers")
    assert "1 of 2 groups flagged" in text
    lines = text.splitlines()
    assert lines[1].split() == ["gender", "clips", "speakers", "UAR", "95", "%", "CI",
                                "others", "[CI]"]
    assert lines[2].split()[:5] == ["female", "10", "2", "1.000", "[1.000,"]
    assert lines[3].split()[:4] == ["!", "male", "8", "2"]
    record = breakdown.to_dict()
    assert record["flagged"] == ["male"] and record["groups"][1]["uar"] == 0.5
    assert isinstance(record["groups"][0]["n_clips"], int)


def test_group_breakdowns_finds_the_groupings_a_frame_has(four_speakers):
    frame = four_speakers.assign(corpus=np.where(four_speakers["speaker"] == "m2", "b", "a"))
    found = group_breakdowns(frame, frame["y_true"], frame["y_pred"])
    assert list(found) == ["gender", "speaker", "corpus"]
    assert all(isinstance(b, GroupBreakdown) for b in found.values())
    # b (m2, always wrong: UAR 0, every resample too) and a (UAR 1) are outside each other.
    assert found["corpus"].flagged == ["a", "b"]
    # One corpus, one gender: nothing to break down by those.
    one = four_speakers[four_speakers["gender"] == "female"]
    assert list(group_breakdowns(one, one["y_true"], one["y_pred"])) == ["speaker"]
    with pytest.raises(ValueError, match="'speaker' column"):
        group_breakdowns(frame.drop(columns="speaker"), frame["y_true"], frame["y_pred"])


def test_groups_need_one_value_per_clip(four_speakers):
    frame = four_speakers
    with pytest.raises(ValueError, match="one value per clip"):
        uar_by_group(frame["y_true"], frame["y_pred"], ["a"], frame["speaker"])
