"""Named, ready pipelines from audio to emotion, and their search spaces.

>>> import pipelines
>>> model = pipelines.make("mfcc-svm", memory="~/.cache/sersk")      # doctest: +SKIP
>>> model.fit(paths, emotions).predict(new_paths)                    # doctest: +SKIP

:func:`available` lists the names, :func:`describe` says what each one is and how its
defaults were chosen, :func:`make` builds one (a fresh, unfitted scikit-learn ``Pipeline``),
:func:`search_space` gives its ready space for a randomized or grid search.
"""

from . import (
    _classic,  # noqa: F401  (registers the classic pipelines)
    _encoders,  # noqa: F401  (registers the Whisper pipelines)
    _neural,  # noqa: F401  (registers the Keras pipelines)
)
from ._registry import (
    PipelineSpec,
    available,
    describe,
    get_spec,
    make,
    register,
    search_space,
)

__all__ = [
    "PipelineSpec", "available", "describe", "get_spec", "make", "register", "search_space",
]
