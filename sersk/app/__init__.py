"""The demo web page: upload or record a clip, hear it, see it, and get its emotion.

    sersk demo ser.joblib
    streamlit run "$(python -c 'import sersk.app as a; print(a.page_path())')" -- --model ser.joblib

The page (``page.py``, a Streamlit script) is the only place sersk imports Streamlit; what it
shows is computed by :func:`analyse_clip` and drawn by the figure functions here, which need
neither Streamlit nor a browser. Streamlit is an install extra: ``pip install 'sersk[demo]'``.
"""

from pathlib import Path

from ._analysis import (
    ClipAnalysis,
    analyse_clip,
    spectrogram_figure,
    waveform_figure,
)

__all__ = [
    "ClipAnalysis",
    "analyse_clip",
    "page_path",
    "spectrogram_figure",
    "waveform_figure",
]


def page_path() -> Path:
    """The Streamlit script of the demo, for ``streamlit run``."""
    return Path(__file__).with_name("page.py")
