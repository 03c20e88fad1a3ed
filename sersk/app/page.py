"""The sersk demo page (a Streamlit script): ``sersk demo MODEL`` serves it.

    streamlit run sersk/app/page.py -- --model ser.joblib

The model comes from ``--model`` after ``--``, else from ``$SERSK_DEMO_MODEL``.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import streamlit as st

from sersk.app import analyse_clip, spectrogram_figure, waveform_figure
from sersk.exceptions import SerskError

UPLOAD_TYPES = ["wav", "flac", "ogg", "oga", "opus", "aiff", "aif", "mp3"]


def _model_path() -> str | None:
    parser = argparse.ArgumentParser(prog="sersk demo page", add_help=False)
    parser.add_argument("--model", default=os.environ.get("SERSK_DEMO_MODEL"))
    args, _ = parser.parse_known_args(sys.argv[1:])
    return args.model


@st.cache_resource(show_spinner="Loading the model …")
def _load(path: str):
    from sersk.persistence import load_model

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, meta = load_model(path)
    return model, meta, [str(w.message) for w in caught]


def _sidebar(path: str, meta: dict, notes: list[str]) -> str:
    with st.sidebar:
        st.header("Model")
        st.markdown(f"**{meta.get('pipeline') or os.path.basename(path)}**")
        st.caption(os.path.basename(path))
        st.markdown("**Emotions:** " + ", ".join(map(str, meta.get("classes", []))))
        corpora = ", ".join(meta.get("corpora") or []) or "unknown data"
        size = f" ({meta['n_train']} clips)" if meta.get("n_train") else ""
        st.markdown(f"**Trained on:** {corpora}{size}")
        metrics = meta.get("metrics") or {}
        if "uar_mean" in metrics:
            st.markdown(
                f"**Speaker-independent UAR:** {metrics['uar_mean']:.2f} "
                f"(chance {1 / max(1, len(meta.get('classes', []))):.2f})"
            )
        if meta.get("synthetic"):
            st.warning("This model was trained on synthetic sounds, not speech: its answers "
                       "on real voices mean nothing.")
        for note in notes:
            st.warning(note)
        st.divider()
        kind = st.radio("Picture of the sound", ["MFCC", "log-mel"], horizontal=True)
    return kind


def main() -> None:
    st.set_page_config(page_title="sersk: speech emotion recognition", page_icon="🎙️",
                       layout="centered")
    st.title("Speech emotion recognition")
    st.caption("Upload or record a short clip of speech; sersk tells which emotion it hears.")

    path = _model_path()
    if not path:
        st.error("No model given: start the page with `sersk demo MODEL`.")
        st.stop()
    try:
        model, meta, notes = _load(path)
    except SerskError as exc:
        st.error(f"The model cannot be loaded: {exc}")
        st.stop()
    kind = _sidebar(path, meta, notes)

    choice = st.radio("Clip", ["Upload a file", "Record with the microphone"], horizontal=True,
                      label_visibility="collapsed")
    if choice == "Upload a file":
        clip = st.file_uploader("Upload a clip (WAV, FLAC, OGG …)", type=UPLOAD_TYPES)
    else:
        recorder = getattr(st, "audio_input", None)
        if recorder is None:
            st.info("This Streamlit has no recorder; upload a file instead.")
            clip = None
        else:
            clip = recorder("Record a clip (your browser will ask for the microphone)")
    if clip is None:
        st.stop()

    data = clip.getvalue()
    name = getattr(clip, "name", None) or "recording"
    st.audio(data)
    try:
        with st.spinner("Listening …"):
            analysis = analyse_clip(model, data, name=name)
    except SerskError as exc:
        st.error(f"Cannot analyse this clip. {exc}")
        st.stop()

    st.subheader(f"Predicted emotion: {analysis.emotion}")
    st.markdown(f"Confidence: **{analysis.confidence:.0%}** · {analysis.duration:.1f} s")
    st.bar_chart(analysis.probabilities, x_label="emotion", y_label="probability", height=230)
    if analysis.timeline is not None:
        from sersk.inference import timeline_figure

        st.markdown(f"A long clip: classified in {len(analysis.timeline)} windows of "
                    "3 s, and the probabilities averaged.")
        st.pyplot(timeline_figure(analysis.timeline), clear_figure=False)

    st.markdown("**Waveform**")
    st.pyplot(waveform_figure(analysis.waveform, analysis.sr), clear_figure=False)
    st.markdown(f"**{kind}**")
    st.pyplot(spectrogram_figure(analysis.waveform, analysis.sr, kind=kind.lower()),
              clear_figure=False)


main()
