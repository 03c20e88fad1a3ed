"""sersk: speech emotion recognition in scikit-learn style.

The subpackages are imported on demand so that ``import sersk`` stays light:
``sersk.audio`` (reading and validating audio), ``sersk.datasets`` (corpora),
``sersk.features`` (scikit-learn transformers), ``sersk.model_selection``
(speaker-independent evaluation), ``sersk.metrics`` and ``sersk.tracking`` (MLflow).
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
