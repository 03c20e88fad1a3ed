"""Passing each clip's speaker to the estimators that ask for it, and labelling the results.

An estimator step that needs the speaker of every row, such as
:class:`sersk.preprocessing.SpeakerStandardScaler`, asks for ``speakers`` through scikit-learn's
metadata routing. The evaluation functions find out whether an estimator asks for them, and
route them only then (with routing enabled just around its ``fit`` and ``predict``), so every
other estimator is fitted exactly as before. An estimator that asks for the speakers when it
predicts uses the test speakers' own clips (together, unlabelled): its results are
*transductive*, and are labelled so.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import config_context
from sklearn.utils.metadata_routing import get_routing_for_object

__all__ = ["TRANSDUCTIVE", "SpeakerRoutes", "speaker_routes", "transductive_label"]

#: What a protocol label gains when the test speakers' own clips shape their predictions.
TRANSDUCTIVE = "transductive"


def transductive_label(protocol: str) -> str:
    """The label of a protocol's results when the estimator is transductive.

    Parameters
    ----------
    protocol : str
        The protocol's label, such as ``"speaker-independent"``.

    Returns
    -------
    label : str
        ``"<protocol>, transductive"``.

    Examples
    --------
    >>> from sersk.model_selection import transductive_label
    >>> transductive_label("leave-one-speaker-out")
    'leave-one-speaker-out, transductive'
    """
    return f"{protocol}, {TRANSDUCTIVE}"


@dataclass(frozen=True)
class SpeakerRoutes:
    """Whether an estimator asks for ``speakers`` in ``fit`` and in ``predict``."""

    fit: bool = False
    predict: bool = False

    @property
    def transductive(self) -> bool:
        """Its predictions depend on which test clips share a speaker."""
        return self.predict

    def context(self):
        """Metadata routing enabled while the estimator needs the speakers, else nothing."""
        return config_context(enable_metadata_routing=True) if self.fit or self.predict \
            else nullcontext()

    def check(self, speakers: Any) -> None:
        """Raise if the estimator asks for the speakers and there are none."""
        if (self.fit or self.predict) and speakers is None:
            from ._split import ProtocolError

            raise ProtocolError(
                "the estimator asks for the speaker of every clip (metadata 'speakers', e.g. "
                "a SpeakerStandardScaler step): pass speakers=..."
            )

    def fit_params(self, speakers: Any, index: np.ndarray) -> dict[str, Any]:
        """The keyword arguments of ``fit`` for the clips at ``index``."""
        return self._params(self.fit, speakers, index)

    def predict_params(self, speakers: Any, index: np.ndarray) -> dict[str, Any]:
        """The keyword arguments of ``predict`` for the clips at ``index``."""
        return self._params(self.predict, speakers, index)

    def _params(self, asked: bool, speakers: Any, index: np.ndarray) -> dict[str, Any]:
        if not asked:
            return {}
        self.check(speakers)
        return {"speakers": np.asarray(speakers)[index]}


def speaker_routes(estimator: Any) -> SpeakerRoutes:
    """Whether ``estimator`` (or a step inside it) asks for ``speakers`` to fit and predict.

    Parameters
    ----------
    estimator : estimator object
        Any estimator; those that do not take part in metadata routing ask for nothing.

    Returns
    -------
    routes : SpeakerRoutes
        Its ``fit`` and ``predict`` attributes say where the speakers go; ``transductive``
        is true when ``predict`` takes them.
    """
    with config_context(enable_metadata_routing=True):
        try:
            routing = get_routing_for_object(estimator)
            return SpeakerRoutes(
                fit=bool(routing.consumes("fit", ["speakers"])),
                predict=bool(routing.consumes("predict", ["speakers"])),
            )
        except (AttributeError, TypeError, NotImplementedError):
            # Estimators outside scikit-learn's routing (some wrappers) ask for nothing.
            return SpeakerRoutes()
