"""The ``sersk`` command: train, predict with, evaluate, inspect and demo emotion models.

    sersk train handcrafted-svm --corpus ravdess --data-home ~/corpora -o ser.joblib --cv 5
    sersk predict ser.joblib clip.wav recordings/ --format csv
    sersk predict ser.joblib interview.flac --timeline --plot interview.png
    sersk evaluate ser.joblib --corpus emodb --confusion emodb.png
    sersk info ser.joblib
    sersk demo ser.joblib

Exit status: 0 when everything worked, 1 for a problem with the data, a file or a model (one
line on stderr says which and what to do), 2 for a command line that does not parse.
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
