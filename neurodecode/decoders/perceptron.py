"""The perceptron learning rule (Rosenblatt, 1958), binary and multiclass."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_choice, check_number
from ._base import ClassifierDecoder, seed_from_random_state

__all__ = ["PerceptronDecoder"]

_MULTICLASS = ("ovr", "argmax")


class PerceptronDecoder(ClassifierDecoder):
    """Classic perceptron: update only on mistakes, with a learning rate decaying per epoch.

    Starting from zero weights, each epoch visits the samples once (in a shuffled order
    when ``shuffle=True``) and, for every misclassified sample, moves the weights toward
    it. Training stops when the largest change of any weight over an epoch is below
    ``tol`` (an epoch without mistakes changes nothing) or after ``max_epochs``.

    Parameters
    ----------
    lr : float, default=1.0
        Initial learning rate ``eta_0``.
    lr_decay : float, default=1.0
        Decay of the learning rate over epochs: ``eta_e = lr / (1 + lr_decay * e)`` in
        epoch ``e = 0, 1, ...`` (0 keeps it constant).
    max_epochs : int, default=100
        Maximum number of passes over the data.
    tol : float, default=1e-3
        Stop when ``max |w_after - w_before|`` over an epoch (weights and intercepts, on
        standardised responses) is below ``tol``.
    multiclass : {"ovr", "argmax"}, default="ovr"
        More than two classes: ``"ovr"`` trains one binary perceptron per class (class
        vs rest) and predicts the highest score; ``"argmax"`` is the multiclass
        perceptron: on a mistake, move the true class's weights toward the sample and
        the highest-scoring wrong class's away. Two classes always use one perceptron.
    shuffle : bool, default=True
        Visit the samples in a new random order each epoch (else in the given order).
    standardize : bool, default=True
        Z-score each neuron with the training statistics before training.
    fit_intercept : bool, default=True
        Learn a bias (updated like a weight on a constant input of 1).
    random_state : int, RandomState or None, default=None
        Seeds the shuffling.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_neurons) for two classes, else (n_classes, n_neurons)
        Weights in the original units of the responses.
    intercept_ : ndarray of shape (1,) or (n_classes,)
    mean_, scale_ : ndarray of shape (n_neurons,) or None
    history_ : dict of list
        Per epoch: ``"mistakes"`` (number of updates) and ``"weight_change"``.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``: bad hyperparameters, a single class, continuous labels, or a
        circular/linear Recording (bin it first with ``recording.bin_stimulus(n_bins)``).

    See Also
    --------
    LogisticDecoder : a probabilistic linear classifier.

    Notes
    -----
    With labels ``t_i`` in {-1, +1} (``+1`` for ``classes_[1]``), the binary rule is: if
    ``t_i (w . x_i + b) <= 0`` (a mistake, ties included) then ``w += eta_e t_i x_i`` and
    ``b += eta_e t_i``. It minimises no penalised objective, so it has no ``l1``/``l2``.
    On linearly separable data it stops with every training sample correct
    (Novikoff, 1962).

    References
    ----------
    Rosenblatt, F. (1958). The perceptron: a probabilistic model for information storage
    and organization in the brain. Psychological Review 65(6), 386-408.

    Novikoff, A. B. J. (1962). On convergence proofs on perceptrons. Symposium on the
    Mathematical Theory of Automata 12, 615-622.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[2.0, 1.0], [1.0, 2.0], [-1.0, -2.0], [-2.0, -1.0]])
    >>> dec = PerceptronDecoder(shuffle=False, standardize=False).fit(X, [1, 1, 0, 0])
    >>> dec.predict(X), dec.n_iter_
    (array([1, 1, 0, 0]), 2)
    """

    def __init__(
        self,
        *,
        lr: float = 1.0,
        lr_decay: float = 1.0,
        max_epochs: int = 100,
        tol: float = 1e-3,
        multiclass: str = "ovr",
        shuffle: bool = True,
        standardize: bool = True,
        fit_intercept: bool = True,
        random_state: Any = None,
    ) -> None:
        self.lr = lr
        self.lr_decay = lr_decay
        self.max_epochs = max_epochs
        self.tol = tol
        self.multiclass = multiclass
        self.shuffle = shuffle
        self.standardize = standardize
        self.fit_intercept = fit_intercept
        self.random_state = random_state

    def _check_params(self) -> None:
        super()._check_params()
        owner = self._owner
        check_number(self.lr, "lr", owner, low=0, low_inclusive=False)
        check_number(self.lr_decay, "lr_decay", owner, low=0)
        check_number(self.max_epochs, "max_epochs", owner, low=1, integer=True)
        check_number(self.tol, "tol", owner, low=0)
        check_choice(self.multiclass, "multiclass", _MULTICLASS, owner)

    # ------------------------------------------------------------ the rule
    def _epoch(self, X: np.ndarray, codes: np.ndarray, W: np.ndarray, b: np.ndarray,
               eta: float, order: np.ndarray) -> int:
        """One pass in ``order``, updating ``W`` and ``b`` in place; returns the mistakes."""
        mistakes = 0
        bias = 1.0 if self.fit_intercept else 0.0
        binary = W.shape[0] == 1
        argmax = self.multiclass == "argmax" and not binary
        for i in order:
            x, c = X[i], codes[i]
            scores = W @ x + b
            if binary:
                t = 1.0 if c == 1 else -1.0
                if t * scores[0] <= 0:
                    W[0] += eta * t * x
                    b[0] += eta * t * bias
                    mistakes += 1
            elif argmax:
                rival_scores = scores.copy()
                rival_scores[c] = -np.inf
                rival = int(np.argmax(rival_scores))
                if scores[c] <= scores[rival]:
                    W[c] += eta * x
                    W[rival] -= eta * x
                    b[c] += eta * bias
                    b[rival] -= eta * bias
                    mistakes += 1
            else:  # one-vs-rest: every class's perceptron applies the binary rule
                signs = -np.ones(W.shape[0])
                signs[c] = 1.0
                wrong = signs * scores <= 0
                if wrong.any():
                    W[wrong] += eta * np.outer(signs[wrong], x)
                    b[wrong] += eta * signs[wrong] * bias
                    mistakes += 1
        return mistakes

    def fit(self, X: Any, y: Any = None) -> PerceptronDecoder:
        """Run the perceptron rule.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses; a categorical Recording brings its labels (``y=None``).
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : PerceptronDecoder
            The fitted decoder.

        Raises
        ------
        ValueError
            For bad hyperparameters or inputs (see the class docstring).
        """
        self._check_params()
        X, codes = self._validate_fit(X, y)
        rng = np.random.default_rng(seed_from_random_state(self.random_state, self._owner))
        Xs = self._fit_standardizer(np.array(X, dtype=np.float64))
        n_rows = 1 if len(self.classes_) == 2 else len(self.classes_)
        W, b = np.zeros((n_rows, Xs.shape[1])), np.zeros(n_rows)
        history: dict[str, list[float]] = {"mistakes": [], "weight_change": []}
        epoch = 0
        for epoch in range(self.max_epochs):
            eta = self.lr / (1.0 + self.lr_decay * epoch)
            order = rng.permutation(len(Xs)) if self.shuffle else np.arange(len(Xs))
            W0, b0 = W.copy(), b.copy()
            mistakes = self._epoch(Xs, codes, W, b, eta, order)
            change = max(np.abs(W - W0).max(), np.abs(b - b0).max())
            history["mistakes"].append(int(mistakes))
            history["weight_change"].append(float(change))
            if change < self.tol:
                break
        self.history_ = history
        self.n_iter_ = epoch + 1
        self.coef_, self.intercept_ = self._fold_standardization(W, b)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Perceptron scores ``w . x + b``.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples,) for two classes, else (n_samples, n_classes)
            Positive values favour ``classes_[1]`` in the binary case.
        """
        X = self._validate_X(X).astype(np.float64)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    _scores = decision_function
