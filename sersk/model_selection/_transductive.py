"""Passing each clip's speaker or domain to the estimators that ask for it; labelling results.

An estimator step that needs the speaker or the domain of every row, such as
:class:`sersk.preprocessing.SpeakerStandardScaler` or
:class:`sersk.preprocessing.DomainStandardScaler`, asks for ``speakers`` or ``domains``
through scikit-learn's metadata routing. The evaluation functions find out whether an
estimator asks for them, and route them only then (with routing enabled just around its
``fit`` and ``predict``), so every other estimator is fitted exactly as before. An estimator
that asks for them when it predicts uses the test speaker's (or domain's) own clips
(together, unlabelled): its results are *transductive*, and are labelled so.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import config_context
from sklearn.utils.metadata_routing import get_routing_for_object

__all__ = ["ROUTED", "TRANSDUCTIVE", "SpeakerRoutes", "speaker_routes", "transductive_label"]

#: What a protocol label gains when the test speakers' own clips shape their predictions.
TRANSDUCTIVE = "transductive"


def transductive_label(protocol: str, adapted: str | None = None) -> str:
    """The label of a protocol's results when the estimator is transductive.

    Parameters
    ----------
    protocol : str
        The protocol's label, such as ``"speaker-independent"``.
    adapted : str, default=None
        What the test clips were standardised by, such as ``"corpus"``.

    Returns
    -------
    label : str
        ``"<protocol>, transductive"``, or ``"<protocol>, transductive (adapted per
        <adapted>)"``.

    Examples
    --------
    >>> from sersk.model_selection import transductive_label
    >>> transductive_label("leave-one-speaker-out")
    'leave-one-speaker-out, transductive'
    >>> transductive_label("leave-one-corpus-out", "corpus")
    'leave-one-corpus-out, transductive (adapted per corpus)'
    """
    if adapted:
        return f"{protocol}, {TRANSDUCTIVE} (adapted per {adapted})"
    return f"{protocol}, {TRANSDUCTIVE}"


#: The per-clip metadata the evaluation functions can route to an estimator.
ROUTED = ("speakers", "domains")


@dataclass(frozen=True)
class SpeakerRoutes:
    """Which per-clip metadata (``speakers``, ``domains``) an estimator asks for in ``fit``
    and in ``predict``."""

    fit: frozenset = frozenset()
    predict: frozenset = frozenset()

    @property
    def transductive(self) -> bool:
        """Its predictions depend on which test clips share a speaker or a domain."""
        return bool(self.predict)

    def context(self):
        """Metadata routing enabled while the estimator needs metadata, else nothing."""
        return config_context(enable_metadata_routing=True) if self.fit or self.predict \
            else nullcontext()

    def check(self, speakers: Any = None, domains: Any = None) -> None:
        """Raise if the estimator asks for metadata that was not given."""
        from ._split import ProtocolError

        asked = self.fit | self.predict
        if "speakers" in asked and speakers is None:
            raise ProtocolError(
                "the estimator asks for the speaker of every clip (metadata 'speakers', e.g. "
                "a SpeakerStandardScaler step): pass speakers=..."
            )
        if "domains" in asked and domains is None:
            raise ProtocolError(
                "the estimator asks for the domain of every clip (metadata 'domains', a "
                "DomainStandardScaler step): pass domains=... (the corpus, session or speaker "
                "of every clip)"
            )

    def fit_params(self, speakers: Any, index: np.ndarray, domains: Any = None
                   ) -> dict[str, Any]:
        """The keyword arguments of ``fit`` for the clips at ``index``."""
        return self._params(self.fit, index, speakers=speakers, domains=domains)

    def predict_params(self, speakers: Any, index: np.ndarray, domains: Any = None
                       ) -> dict[str, Any]:
        """The keyword arguments of ``predict`` for the clips at ``index``."""
        return self._params(self.predict, index, speakers=speakers, domains=domains)

    def _params(self, asked: frozenset, index: np.ndarray, **metadata: Any) -> dict[str, Any]:
        if not asked:
            return {}
        self.check(**metadata)
        return {name: np.asarray(metadata[name])[index] for name in sorted(asked)}


def speaker_routes(estimator: Any) -> SpeakerRoutes:
    """Which of ``speakers`` and ``domains`` ``estimator`` (or a step inside it) asks for.

    Parameters
    ----------
    estimator : estimator object
        Any estimator; those that do not take part in metadata routing ask for nothing.

    Returns
    -------
    routes : SpeakerRoutes
        Its ``fit`` and ``predict`` attributes (sets of names) say where the metadata go;
        ``transductive`` is true when ``predict`` takes any.
    """
    with config_context(enable_metadata_routing=True):
        try:
            routing = get_routing_for_object(estimator)
            return SpeakerRoutes(
                fit=frozenset(routing.consumes("fit", list(ROUTED))),
                predict=frozenset(routing.consumes("predict", list(ROUTED))),
            )
        except (AttributeError, TypeError, NotImplementedError):
            # Estimators outside scikit-learn's routing (some wrappers) ask for nothing.
            return SpeakerRoutes()
