"""Benchmarks of sersk: ``python -m benchmarks.run`` prints the comparison table of the named
pipelines (corpora x pipelines x evaluation protocols); ``python -m benchmarks.speed`` times
feature extraction.
"""
