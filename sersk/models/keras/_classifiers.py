"""scikeras classifiers for sersk: a CRNN over frame sequences and an MLP over pooled features.

Both are :class:`scikeras.wrappers.KerasClassifier` subclasses whose every hyperparameter is an
explicit keyword of ``__init__``, named the way scikeras routes it (``model__rnn_units`` to the
model-building function, ``optimizer__learning_rate`` to the optimizer, ``fit__batch_size`` and
``fit__epochs`` to training), so ``get_params``, ``set_params``, ``clone`` and searches behave as
for any scikit-learn estimator.

Training holds out an inner validation split for early stopping and learning-rate reduction.
It is speaker-disjoint when the speakers are given (``fit(X, y, groups=speakers)``, reachable
through a pipeline as ``fit(X, y, clf__groups=speakers)`` or metadata routing) and stratified by
emotion otherwise.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import keras
import numpy as np
from joblib import effective_n_jobs
from scikeras.utils.random_state import tensorflow_random_state
from scikeras.wrappers import KerasClassifier
from sklearn.base import BaseEstimator
from sklearn.model_selection import StratifiedGroupKFold, StratifiedShuffleSplit
from sklearn.utils import ClassifierTags
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if

from ._builders import build_crnn, build_mlp

__all__ = ["CRNNClassifier", "MLPClassifier"]

OPTIMIZERS = {"adam", "adamw", "rmsprop", "sgd"}


class _Batches(keras.utils.PyDataset):
    """Shuffled training batches, with mixup if asked, from a seeded generator.

    The order and the mixing depend only on ``seed`` and the epoch, so two fits with the same
    seed see the same batches.
    """

    def __init__(self, X, y, w, *, batch_size, mixup_alpha, seed):
        super().__init__()
        self.X, self.y, self.w = X, y, w
        self.batch_size = batch_size
        self.mixup_alpha = mixup_alpha
        self.seed = seed
        self.epoch = 0
        self._shuffle()

    def _shuffle(self):
        self.rng = np.random.default_rng([self.seed, self.epoch])
        self.order = self.rng.permutation(len(self.X))

    def __len__(self):
        return math.ceil(len(self.X) / self.batch_size)

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        X, y, w = self.X[rows], self.y[rows], self.w[rows]
        if self.mixup_alpha > 0 and len(rows) > 1:
            # Mixup (Zhang et al., 2018): convex combinations of pairs of clips and of their
            # one-hot labels. The partner of each clip is another clip of the same batch.
            rng = np.random.default_rng([self.seed, self.epoch, index])
            lam = rng.beta(self.mixup_alpha, self.mixup_alpha, size=len(rows))
            lam = np.maximum(lam, 1 - lam).astype(np.float32)
            partner = rng.permutation(len(rows))
            shape = (-1,) + (1,) * (X.ndim - 1)
            X = lam.reshape(shape) * X + (1 - lam.reshape(shape)) * X[partner]
            y = lam[:, None] * y + (1 - lam[:, None]) * y[partner]
            w = lam * w + (1 - lam) * w[partner]
        return X, y, w

    def on_epoch_end(self):
        self.epoch += 1
        self._shuffle()


class _ValidationUAR(keras.callbacks.Callback):
    """Adds ``val_uar`` (unweighted average recall on the held-out clips) to the epoch logs."""

    def __init__(self, X, y):
        super().__init__()
        self.X = X
        self.labels = np.argmax(y, axis=1)

    def on_epoch_end(self, epoch, logs=None):
        from ...metrics import unweighted_average_recall

        predicted = np.argmax(self.model.predict(self.X, verbose=0, batch_size=256), axis=1)
        if logs is not None:
            logs["val_uar"] = float(unweighted_average_recall(self.labels, predicted))


def _fit_member(estimator, X, y, groups, sample_weight):
    """Fit one member in a worker process, on one TensorFlow thread (the workers share the
    cores)."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # this worker's TensorFlow runtime already started
        pass
    return estimator.fit(X, y, groups=groups, sample_weight=sample_weight)


def _never(self) -> bool:
    return False


class _SerskKerasClassifier(KerasClassifier):
    """Shared training for the sersk Keras classifiers (not public).

    Subclasses set ``_build_fn`` and declare their ``model__*`` hyperparameters in
    ``__init__``.
    """

    # scikeras collects parameters from the instance dictionary; sersk's classifiers declare
    # them all in __init__, so scikit-learn's rule (the signature) applies again.
    _get_param_names = classmethod(BaseEstimator._get_param_names.__func__)

    # scikeras attributes these classifiers fix rather than expose.
    model = None
    build_fn = None
    warm_start = False
    metrics = None
    callbacks = None
    run_eagerly = False
    loss = "categorical_crossentropy"  # one-hot targets, which mixup needs

    _build_fn = None

    _parameter_constraints: dict = {
        "optimizer": [StrOptions(OPTIMIZERS)],
        "optimizer__learning_rate": [Interval(Real, 0, None, closed="neither")],
        "optimizer__weight_decay": [Interval(Real, 0, None, closed="left"), None],
        "fit__batch_size": [Interval(Integral, 1, None, closed="left")],
        "fit__epochs": [Interval(Integral, 1, None, closed="left")],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
        "monitor": [StrOptions({"loss", "uar"})],
        "early_stopping_patience": [Interval(Integral, 1, None, closed="left"), None],
        "reduce_lr_patience": [Interval(Integral, 1, None, closed="left"), None],
        "reduce_lr_factor": [Interval(Real, 0, 1, closed="neither")],
        "mixup_alpha": [Interval(Real, 0, None, closed="left")],
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def set_params(self, **params):
        """Set parameters; only those of ``__init__`` (see ``get_params()``).

        Returns
        -------
        self
        """
        valid = set(self._get_param_names())
        unknown = sorted(set(params) - valid)
        if unknown:
            raise ValueError(
                f"invalid parameter(s) {unknown} for {type(self).__name__}; valid parameters "
                f"are {sorted(valid)}"
            )
        for key, value in params.items():
            setattr(self, key, value)
        return self

    # --- building --------------------------------------------------------------------------
    def _model_params(self) -> dict[str, Any]:
        return {
            key[len("model__"):]: value
            for key, value in self.get_params(deep=False).items()
            if key.startswith("model__")
        }

    def _get_compile_kwargs(self) -> dict[str, Any]:
        config = {"learning_rate": float(self.optimizer__learning_rate)}
        if self.optimizer__weight_decay is not None:
            config["weight_decay"] = float(self.optimizer__weight_decay)
        optimizer = type(keras.optimizers.get(self.optimizer))(**config)
        return {"optimizer": optimizer, "loss": self.loss}

    def _build_keras_model(self) -> keras.Model:
        build = type(self)._build_fn
        kwargs = {"meta": self._get_metadata(), "compile_kwargs": self._get_compile_kwargs(),
                  **self._model_params()}
        if self._random_state is None:
            return build(**kwargs)
        with tensorflow_random_state(self._random_state):
            keras.utils.set_random_seed(self._random_state)
            return build(**kwargs)

    def _learn_input_statistics(self, X: np.ndarray) -> None:
        """Set attributes ending in ``_`` that the model builder reads from ``meta``."""

    # --- fitting ---------------------------------------------------------------------------
    def fit(self, X, y, *, groups=None, sample_weight=None):
        """Build the network and train it, with early stopping on an inner validation split.

        Parameters
        ----------
        X : array-like
            Training inputs, as the model takes them.
        y : array-like of shape (n_samples,)
            Class labels (emotion names or any sortable labels).
        groups : array-like of shape (n_samples,), default=None
            The speaker of every sample. When given, the inner validation split holds out
            whole speakers (stratified by class as far as the speakers allow), so early
            stopping watches unseen voices; otherwise it is a stratified random split.
        sample_weight : array-like of shape (n_samples,), default=None
            Multiplied with the class weights.

        Returns
        -------
        self
        """
        self._validate_params()
        self.classes_ = None  # scikeras's target encoder infers the classes when None
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None")
        X = self._as_float_array(X)
        y = np.asarray(y)
        if np.unique(y).size < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; got "
                             f"only class {np.unique(y).tolist()}")
        if groups is not None:
            groups = np.asarray(groups)
            if groups.shape != (len(X),):
                raise ValueError(
                    f"groups must hold one speaker per sample: got shape {groups.shape} for "
                    f"{len(X)} samples. If a sampler before the classifier adds samples "
                    "(augmentation, over-sampling), the speakers cannot follow them; fit "
                    "without groups to use a stratified inner split"
                )
        self._learn_input_statistics(X)
        X, y = self._initialize(X, y)
        self._random_state = self._seed()
        self._ensure_compiled_model()
        weights = np.ones(len(y), dtype=np.float32)
        if self.class_weight is not None:
            weights *= compute_sample_weight(self.class_weight, y).astype(np.float32)
        if sample_weight is not None:
            weights *= np.asarray(sample_weight, dtype=np.float32)
            if not weights.any():
                raise ValueError("every sample weight is zero: there is nothing to train on")
        # One-hot targets for every problem, binary included (scikeras would give binary
        # problems a single ordinal column); prediction decodes with scikeras's encoder.
        codes = np.searchsorted(self.classes_, y)
        y_encoded = np.eye(len(self.classes_), dtype=np.float32)[codes]
        X = self.feature_encoder_.transform(X)
        seed = self._random_state
        if self.n_members > 1 and effective_n_jobs(self.n_jobs) > 1:
            self._fit_members_in_parallel(X, y, groups, sample_weight, seed)
            return self
        members = []
        for member in range(self.n_members):
            # Each member has its own seed: weights, inner split, batch order, dropout.
            self._random_state = None if seed is None else seed + member
            if member:
                self.model_ = self._build_keras_model()
            train, val = self._inner_split(y, groups)
            self._train(X, y_encoded, weights, train, val)
            members.append((self.model_, self.n_epochs_, getattr(self, "best_epoch_", None)))
        self._random_state = seed
        self.member_epochs_ = [(n_epochs, best) for _, n_epochs, best in members]
        if self.n_members > 1:
            self.model_ = self._average_members([model for model, _, _ in members])
        return self

    def _fit_members_in_parallel(self, X, y, groups, sample_weight, seed) -> None:
        """Train the members in ``n_jobs`` processes (one TensorFlow thread each) and average."""
        from joblib import Parallel, delayed
        from sklearn.base import clone

        members = [
            clone(self).set_params(n_members=1, n_jobs=None,
                                   random_state=None if seed is None else seed + member)
            for member in range(self.n_members)
        ]
        n_jobs = min(effective_n_jobs(self.n_jobs), self.n_members)
        fitted = Parallel(n_jobs=n_jobs)(
            delayed(_fit_member)(member, X, y, groups, sample_weight) for member in members
        )
        last = fitted[-1]
        for name in ("history_", "n_epochs_", "best_epoch_", "n_train_", "n_validation_",
                     "validation_strategy_"):
            if hasattr(last, name):
                setattr(self, name, getattr(last, name))
        self.member_epochs_ = [(m.n_epochs_, getattr(m, "best_epoch_", None)) for m in fitted]
        self.model_ = self._average_members([m.model_ for m in fitted])

    def _average_members(self, models: list) -> keras.Model:
        """One model whose output is the average of the members' class probabilities."""
        inputs = keras.Input(shape=models[0].input_shape[1:], name="inputs")
        outputs = keras.layers.Average(name="member_average")([
            keras.Model(model.inputs, model.outputs[0], name=f"member_{i}")(inputs)
            for i, model in enumerate(models)
        ])
        ensemble = keras.Model(inputs, outputs, name=f"{models[0].name}_ensemble")
        ensemble.compile(**self._get_compile_kwargs())
        return ensemble

    def _as_float_array(self, X) -> np.ndarray:
        from sklearn.utils.validation import check_array

        # float32 whatever comes in (a scaler's float64, integers): Keras computes in float32.
        return check_array(X, accept_sparse=False, allow_nd=True, dtype=np.float32,
                           ensure_min_samples=1, input_name="X")

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        if X is not None:
            X = self._as_float_array(X)
            if not reset and hasattr(self, "X_shape_") and X.shape[1:] != self.X_shape_[1:]:
                if X.ndim == 2 and len(self.X_shape_) == 2:
                    raise ValueError(
                        f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                        f"{self.X_shape_[1]} features as input"
                    )
                raise ValueError(
                    f"X has samples of shape {X.shape[1:]}, but {type(self).__name__} was "
                    f"fitted on samples of shape {tuple(self.X_shape_[1:])}"
                )
        return super()._validate_data(X, y, reset=reset, y_numeric=y_numeric)

    def _seed(self) -> int | None:
        if self.random_state is None:
            return None
        if isinstance(self.random_state, np.random.RandomState):
            state = np.random.RandomState()
            state.set_state(self.random_state.get_state())
            return int(state.randint(2**31 - 1))
        return int(self.random_state)

    def _inner_split(self, y, groups):
        n = len(y)
        everything = np.arange(n)
        if not self.validation_split:
            self.validation_strategy_ = "none"
            return everything, None
        seed = self._random_state if self._random_state is not None else None
        if groups is not None and np.unique(groups).size >= 2:
            n_splits = max(2, min(round(1 / self.validation_split), np.unique(groups).size))
            cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
            train, val = next(cv.split(np.zeros(n), y, groups))
            self.validation_strategy_ = "speaker-disjoint"
            return train, val
        n_val = max(1, round(self.validation_split * n))
        _, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2 and n_val >= counts.size and n - n_val >= counts.size:
            cv = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
            self.validation_strategy_ = "stratified"
        else:
            from sklearn.model_selection import ShuffleSplit

            cv = ShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
            self.validation_strategy_ = "random"
        train, val = next(cv.split(np.zeros(n), y))
        return train, val

    def _callbacks(self, validation) -> list:
        if validation is None:
            monitor, mode, callbacks = "loss", "min", []
        elif self.monitor == "uar":
            monitor, mode = "val_uar", "max"
            callbacks = [_ValidationUAR(validation[0], validation[1])]
        else:
            monitor, mode, callbacks = "val_loss", "min", []
        if self.early_stopping_patience is not None and validation is not None:
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor=monitor, mode=mode, patience=self.early_stopping_patience,
                restore_best_weights=True,
            ))
        if self.reduce_lr_patience is not None:
            callbacks.append(keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, mode=mode, factor=self.reduce_lr_factor,
                patience=self.reduce_lr_patience, min_lr=self.optimizer__learning_rate / 100,
                verbose=0,
            ))
        return callbacks

    def _train(self, X, y, w, train, val) -> None:
        seed = self._random_state if self._random_state is not None else int(
            np.random.randint(2**31 - 1))
        batches = _Batches(X[train], y[train], w[train], batch_size=self.fit__batch_size,
                           mixup_alpha=self.mixup_alpha, seed=seed)
        validation = None if val is None else (X[val], y[val], w[val])
        fit = {"epochs": self.fit__epochs, "validation_data": validation,
               "callbacks": self._callbacks(validation), "verbose": self.verbose}
        if self._random_state is None:
            history = self.model_.fit(batches, **fit)
        else:
            with tensorflow_random_state(self._random_state):
                keras.utils.set_random_seed(self._random_state)
                history = self.model_.fit(batches, **fit)
        self.history_ = {key: [float(v) for v in values]
                         for key, values in history.history.items()}
        self.n_epochs_ = len(self.history_["loss"])
        if val is not None:
            if self.monitor == "uar":
                self.best_epoch_ = int(np.argmax(self.history_["val_uar"])) + 1
            else:
                self.best_epoch_ = int(np.argmin(self.history_["val_loss"])) + 1
        self.n_train_ = len(train)
        self.n_validation_ = 0 if val is None else len(val)

    @available_if(_never)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Not supported: training runs whole epochs with early stopping in :meth:`fit`."""
        raise NotImplementedError

    def __sklearn_tags__(self):
        # scikeras puts ClassifierMixin to the right of BaseEstimator, which scikit-learn
        # >= 1.6 no longer reads: say that this is a classifier here.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(multi_class=True, poor_score=True)
        tags.target_tags.required = True
        return tags


class CRNNClassifier(_SerskKerasClassifier):
    """Convolutional-recurrent network over frame sequences (scikeras ``KerasClassifier``).

    Input: ``(n_clips, n_frames, n_channels)`` sequences, by default with a last
    ``frame_valid`` channel as :class:`sersk.features.FixedLengthSequence` returns them
    (``MFCC(pooling=FixedLengthSequence())``). The network standardises every channel with
    statistics of the real frames of the training data, masks the padding, and is built by
    :func:`build_crnn` from the ``model__*`` parameters.

    Parameters
    ----------
    model__conv : {"1d", "2d", "2d-time-distributed"}, default="1d"
    model__conv_filters : tuple of int, default=(64, 128)
    model__kernel_size : int, default=5
    model__pool_size : int, default=2
    model__rnn : {"lstm", "gru", "simple"} or None, default="lstm"
    model__rnn_units : tuple of int, default=(64,)
    model__bidirectional : bool, default=True
    model__temporal_pooling : {"last", "mean", "stats", "attention"}, default="last"
    model__chunk_frames : int, default=16
    model__dense_units : tuple of int, default=(64,)
    model__dropout : float, default=0.3
    model__recurrent_dropout : float, default=0.0
    model__batch_norm : bool, default=True
    model__l1, model__l2 : float, default=0.0, 1e-4
    model__input_noise : float, default=0.0
    model__mask_channel : bool, default=True
    model__input_statistics : bool, default=False
        See :func:`build_crnn`.
    optimizer : {"adam", "adamw", "rmsprop", "sgd"}, default="adam"
    optimizer__learning_rate : float, default=1e-3
    optimizer__weight_decay : float or None, default=None
        Decoupled weight decay (AdamW's is 0.004 when None).
    fit__batch_size : int, default=32
    fit__epochs : int, default=60
        Most epochs; early stopping usually ends training before.
    validation_split : float, default=0.15
        Share of the training data held out for early stopping and learning-rate reduction;
        whole speakers when ``fit`` is given ``groups``. 0 trains ``fit__epochs`` epochs
        without validation.
    monitor : {"loss", "uar"}, default="loss"
        What early stopping and learning-rate reduction watch on the held-out clips: the
        (class-weighted) cross-entropy, or the UAR of the predictions.
    early_stopping_patience : int or None, default=10
        Epochs without a better monitored value before training stops (the best epoch's
        weights are kept). None disables early stopping.
    reduce_lr_patience : int or None, default=4
        Epochs without improvement before the learning rate is multiplied by
        ``reduce_lr_factor`` (down to 1/100 of the initial rate). None disables it.
    reduce_lr_factor : float, default=0.5
    mixup_alpha : float, default=0.0
        Mixup inside training: each batch is replaced by convex combinations of pairs of its
        clips and of their one-hot labels, the weight drawn from Beta(alpha, alpha). 0 is off.
        (Mixup lives here rather than in a sampler because its soft labels are not
        scikit-learn class labels.)
    n_members : int, default=1
        Networks trained, each from its own seed (``random_state + i``: initial weights,
        inner validation split, batch order, dropout); the fitted ``model_`` averages their
        class probabilities. Training and prediction cost grow with it.
    n_jobs : int or None, default=None
        Processes that train the members side by side (-1: all cores), each running
        TensorFlow on one thread; None or 1 trains them one after the other in this
        process. Within one setting of ``n_jobs``, fits are reproducible.
    class_weight : "balanced", dict or None, default="balanced"
        Class weights, as sample weights in the loss (also on the validation loss).
    random_state : int, RandomState or None, default=0
        Seeds the weights, the inner split, the batch order, dropout and mixup; with an int,
        two fits on the CPU give identical models (TensorFlow's op determinism is enabled
        during fitting).
    verbose : int, default=0
        Keras's progress output.

    Attributes
    ----------
    model_ : keras.Model
        The trained network.
    classes_ : ndarray of shape (n_classes,)
    history_ : dict of str to list of float
        Loss (and validation loss, learning rate) per epoch.
    n_epochs_ : int
        Epochs trained.
    best_epoch_ : int
        Epoch whose weights were kept (with validation).
    member_epochs_ : list of (int, int or None)
        Epochs trained and epoch kept by each member; ``history_``, ``n_epochs_`` and
        ``best_epoch_`` are those of the last member.
    validation_strategy_ : {"speaker-disjoint", "stratified", "random", "none"}
        How the inner validation split was made.
    frame_mean_, frame_scale_ : list of float
        Per-channel statistics of the real training frames, used inside the model.

    See Also
    --------
    build_crnn : The model-building function.
    MLPClassifier : For pooled features and embeddings.
    sersk.samplers.SpecAugment : Time and frequency masking of the training sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.models.keras import CRNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 16, 5)).astype("float32")
    >>> X[..., -1] = 1.0                                   # frame_valid: no padding
    >>> y = np.array(["calm", "angry"] * 20)
    >>> clf = CRNNClassifier(model__conv_filters=(8,), model__rnn_units=(8,),
    ...                      model__dense_units=(), fit__epochs=2).fit(X, y)
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)
    """

    _build_fn = staticmethod(build_crnn)

    _parameter_constraints: dict = {
        **_SerskKerasClassifier._parameter_constraints,
        "model__conv": [StrOptions({"1d", "2d", "2d-time-distributed"})],
        "model__rnn": [StrOptions({"lstm", "gru", "simple"}), None],
        "model__temporal_pooling": [StrOptions({"last", "mean", "stats", "attention"})],
        "model__dropout": [Interval(Real, 0, 1, closed="left")],
        "model__recurrent_dropout": [Interval(Real, 0, 1, closed="left")],
        "model__l1": [Interval(Real, 0, None, closed="left")],
        "model__l2": [Interval(Real, 0, None, closed="left")],
        "model__input_noise": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        model__conv="1d",
        model__conv_filters=(64, 128),
        model__kernel_size=5,
        model__pool_size=2,
        model__rnn="lstm",
        model__rnn_units=(64,),
        model__bidirectional=True,
        model__temporal_pooling="last",
        model__chunk_frames=16,
        model__dense_units=(64,),
        model__dropout=0.3,
        model__recurrent_dropout=0.0,
        model__batch_norm=True,
        model__l1=0.0,
        model__l2=1e-4,
        model__input_noise=0.0,
        model__mask_channel=True,
        model__input_statistics=False,
        optimizer="adam",
        optimizer__learning_rate=1e-3,
        optimizer__weight_decay=None,
        fit__batch_size=32,
        fit__epochs=60,
        validation_split=0.15,
        monitor="loss",
        early_stopping_patience=10,
        reduce_lr_patience=4,
        reduce_lr_factor=0.5,
        mixup_alpha=0.0,
        n_members=1,
        n_jobs=None,
        class_weight="balanced",
        random_state=0,
        verbose=0,
    ):
        self.model__conv = model__conv
        self.model__conv_filters = model__conv_filters
        self.model__kernel_size = model__kernel_size
        self.model__pool_size = model__pool_size
        self.model__rnn = model__rnn
        self.model__rnn_units = model__rnn_units
        self.model__bidirectional = model__bidirectional
        self.model__temporal_pooling = model__temporal_pooling
        self.model__chunk_frames = model__chunk_frames
        self.model__dense_units = model__dense_units
        self.model__dropout = model__dropout
        self.model__recurrent_dropout = model__recurrent_dropout
        self.model__batch_norm = model__batch_norm
        self.model__l1 = model__l1
        self.model__l2 = model__l2
        self.model__input_noise = model__input_noise
        self.model__mask_channel = model__mask_channel
        self.model__input_statistics = model__input_statistics
        self.optimizer = optimizer
        self.optimizer__learning_rate = optimizer__learning_rate
        self.optimizer__weight_decay = optimizer__weight_decay
        self.fit__batch_size = fit__batch_size
        self.fit__epochs = fit__epochs
        self.validation_split = validation_split
        self.monitor = monitor
        self.early_stopping_patience = early_stopping_patience
        self.reduce_lr_patience = reduce_lr_patience
        self.reduce_lr_factor = reduce_lr_factor
        self.mixup_alpha = mixup_alpha
        self.n_members = n_members
        self.n_jobs = n_jobs
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose

    def _learn_input_statistics(self, X):
        if X.ndim != 3:
            raise ValueError(
                f"CRNNClassifier takes sequences of shape (n_clips, n_frames, n_channels), got "
                f"an array of shape {X.shape}; make them with "
                "MFCC(pooling=FixedLengthSequence()) or LogMel(pooling=FixedLengthSequence())"
            )
        if self.model__mask_channel:
            valid = X[..., -1] > 0.5
            frames = X[..., :-1][valid]
            if not len(frames):
                raise ValueError("every frame is marked as padding (frame_valid == 0)")
        else:
            frames = X.reshape(-1, X.shape[-1])
        mean = frames.mean(axis=0, dtype=np.float64)
        scale = frames.std(axis=0, dtype=np.float64)
        self.frame_mean_ = mean.tolist()
        self.frame_scale_ = np.where(scale > 1e-6, scale, 1.0).tolist()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


class MLPClassifier(_SerskKerasClassifier):
    """Multilayer perceptron over pooled features or embeddings (scikeras ``KerasClassifier``).

    Input: a 2-D matrix ``(n_clips, n_features)``, standardised beforehand (a
    ``StandardScaler`` in the pipeline). The network is built by :func:`build_mlp` from the
    ``model__*`` parameters.

    Parameters
    ----------
    model__hidden_units : tuple of int, default=(256, 128)
    model__dropout : float, default=0.3
    model__batch_norm : bool, default=True
    model__l1, model__l2 : float, default=0.0, 1e-4
    model__input_noise : float, default=0.0
        See :func:`build_mlp`.
    optimizer, optimizer__learning_rate, optimizer__weight_decay, fit__batch_size, \
fit__epochs, validation_split, monitor, early_stopping_patience, reduce_lr_patience, \
reduce_lr_factor, mixup_alpha, n_members, n_jobs, class_weight, random_state, verbose
        As in :class:`CRNNClassifier`; ``fit__epochs`` defaults to 100.

    Attributes
    ----------
    model_, classes_, history_, n_epochs_, best_epoch_, member_epochs_, validation_strategy_
        As in :class:`CRNNClassifier`.

    See Also
    --------
    build_mlp : The model-building function.
    CRNNClassifier : For frame sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.models.keras import MLPClassifier
    >>> rng = np.random.default_rng(0)
    >>> y = np.array(["calm", "angry"] * 20)
    >>> X = rng.normal(size=(40, 6)) + (y == "angry")[:, None]
    >>> clf = MLPClassifier(model__hidden_units=(16,), fit__epochs=3).fit(X, y)
    >>> clf.predict(X[:2]).shape
    (2,)
    """

    _build_fn = staticmethod(build_mlp)

    _parameter_constraints: dict = {
        **_SerskKerasClassifier._parameter_constraints,
        "model__dropout": [Interval(Real, 0, 1, closed="left")],
        "model__l1": [Interval(Real, 0, None, closed="left")],
        "model__l2": [Interval(Real, 0, None, closed="left")],
        "model__input_noise": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        model__hidden_units=(256, 128),
        model__dropout=0.3,
        model__batch_norm=True,
        model__l1=0.0,
        model__l2=1e-4,
        model__input_noise=0.0,
        optimizer="adam",
        optimizer__learning_rate=1e-3,
        optimizer__weight_decay=None,
        fit__batch_size=32,
        fit__epochs=100,
        validation_split=0.15,
        monitor="loss",
        early_stopping_patience=10,
        reduce_lr_patience=4,
        reduce_lr_factor=0.5,
        mixup_alpha=0.0,
        n_members=1,
        n_jobs=None,
        class_weight="balanced",
        random_state=0,
        verbose=0,
    ):
        self.model__hidden_units = model__hidden_units
        self.model__dropout = model__dropout
        self.model__batch_norm = model__batch_norm
        self.model__l1 = model__l1
        self.model__l2 = model__l2
        self.model__input_noise = model__input_noise
        self.optimizer = optimizer
        self.optimizer__learning_rate = optimizer__learning_rate
        self.optimizer__weight_decay = optimizer__weight_decay
        self.fit__batch_size = fit__batch_size
        self.fit__epochs = fit__epochs
        self.validation_split = validation_split
        self.monitor = monitor
        self.early_stopping_patience = early_stopping_patience
        self.reduce_lr_patience = reduce_lr_patience
        self.reduce_lr_factor = reduce_lr_factor
        self.mixup_alpha = mixup_alpha
        self.n_members = n_members
        self.n_jobs = n_jobs
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose

    def _learn_input_statistics(self, X):
        if X.ndim != 2:
            raise ValueError(
                f"MLPClassifier takes a matrix of shape (n_clips, n_features), got an array "
                f"of shape {X.shape}; pool frame features first (pooling='stats')"
            )
