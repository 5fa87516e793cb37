"""Decoders: scikit-learn compatible estimators that read a stimulus out of responses.

Every decoder takes arrays, tensors or a :class:`~neurodecode.data.Recording`, stores only
its parameters in ``__init__``, and after ``fit`` exposes ``n_features_in_`` and the fitted
state (names ending in ``_``). Regularisation is spelled and scaled the same way on all of
them: the objective is ``data term (mean over samples) + l2/2 ||W||^2 + l1 ||W||_1``, on
weights only.

Regression (linear stimuli; circular ones via ``(cos, sin)`` and ``period``)
    :class:`LinearDecoder` (OLS / ridge in closed form, lasso / elastic net by FISTA),
    :class:`MLPDecoder` (ReLU network; ``hidden=(200,)`` is "DeepNetReLU"),
    :class:`ModuleDecoder` (any torch module of yours, in the same training loop).
Over time (consecutive time bins; ``fit`` and ``predict`` take ``segments=...``)
    :class:`KalmanDecoder` (linear-Gaussian state model of the kinematics, filtered over
    each segment; ``smooth=True`` is the non-causal RTS smoother),
    :class:`WienerCascadeDecoder` (ridge filter on spike history, then a polynomial),
    :class:`RNNDecoder` and :class:`RNNClassifierDecoder` (GRU / LSTM / simple RNN over a
    causal window of past bins).
Classification (categorical or binned stimuli)
    :class:`LogisticDecoder`, :class:`LDADecoder` (shrinkage linear discriminant analysis),
    :class:`MLPClassifierDecoder`, :class:`PerceptronDecoder`,
    :class:`ModuleClassifierDecoder`.
Building blocks
    :class:`BaseDecoder`, :class:`RegressorDecoder`, :class:`ClassifierDecoder`,
    :class:`TorchDecoder` (the training loop as overridable steps), training callbacks
    (:class:`Checkpoint`, :class:`LRScheduler`, :class:`GradientClipping`,
    :class:`TensorBoard`, :class:`Callback`), :func:`ridge_path`,
    :func:`circular_score`, :func:`load` (read what ``decoder.save(path)`` wrote).

How the package is laid out: ``_core`` holds the conventions every decoder shares, each
written once (penalty and its scaling, standardisation, angle coding, the stopping rule,
the size rule that sends small problems to float64 NumPy/SciPy), and ``_segments`` the
time structure of decoders that read consecutive bins (segments, and history windows
that never cross a segment boundary); each family is one module that owns all of its
maths (``linear``: every ridge solver and the ridge cross-validation path; ``logistic``:
the SciPy and torch solvers and the kernel-form sweep; ``mlp`` with ``_mlp_stacked``:
stacked training of many networks; ``kalman``: fitting, filter and smoother; ``wiener``:
history filter and polynomial; ``rnn``: recurrent networks over windows). A family's fast
cross-validated path is reached through one public method,
:meth:`BaseDecoder.cross_val_predictions`, which :mod:`neurodecode.evaluate` calls; a new
family is one new module.
"""

from ._base import BaseDecoder, ClassifierDecoder, RegressorDecoder, circular_score
from ._io import load
from ._training import TorchDecoder
from .basis import BasisDecoder
from .callbacks import Callback, Checkpoint, GradientClipping, LRScheduler, TensorBoard
from .kalman import KalmanDecoder
from .lda import LDADecoder
from .linear import LinearDecoder, ridge_path
from .logistic import LogisticDecoder
from .mlp import MLPClassifierDecoder, MLPDecoder
from .module import ModuleClassifierDecoder, ModuleDecoder
from .perceptron import PerceptronDecoder
from .rnn import RNNClassifierDecoder, RNNDecoder
from .wiener import WienerCascadeDecoder

__all__ = [
    "BaseDecoder",
    "BasisDecoder",
    "Callback",
    "Checkpoint",
    "ClassifierDecoder",
    "GradientClipping",
    "KalmanDecoder",
    "LDADecoder",
    "LRScheduler",
    "LinearDecoder",
    "LogisticDecoder",
    "MLPClassifierDecoder",
    "MLPDecoder",
    "ModuleClassifierDecoder",
    "ModuleDecoder",
    "PerceptronDecoder",
    "RNNClassifierDecoder",
    "RNNDecoder",
    "RegressorDecoder",
    "TensorBoard",
    "TorchDecoder",
    "WienerCascadeDecoder",
    "circular_score",
    "load",
    "ridge_path",
]
