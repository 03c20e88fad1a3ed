"""Named, ready pipelines from audio to emotion, and their search spaces.

>>> import pipelines
>>> model = pipelines.make("mfcc-svm", memory="~/.cache/sersk")      # doctest: +SKIP
>>> model.fit(paths, emotions).predict(new_paths)                    # doctest: +SKIP

:func:`available` lists the names, :func:`describe` says what each one is and how its
defaults were chosen, :func:`make` builds one (a fresh, unfitted scikit-learn ``Pipeline``),
:func:`search_space` gives its ready space for a randomized or grid search, and :func:`needs`
what it needs beyond the core install (an install extra, a pretrained model) and whether that
is here.
"""

from . import (
    _classic,  # noqa: F401  (registers the classic pipelines)
    _encoders,  # noqa: F401  (registers the Whisper pipelines)
    _neural,  # noqa: F401  (registers the Keras pipelines)
)
from ._registry import (
    Need,
    PipelineSpec,
    available,
    check_needs,
    describe,
    get_spec,
    make,
    needs,
    register,
    search_space,
)

__all__ = [
    "Need", "PipelineSpec", "available", "check_needs", "describe", "get_spec", "make", "needs",
    "register", "search_space",
]
