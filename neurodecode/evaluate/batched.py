"""Batched training: many models of one decoder family fitted at once.

A sweep of ``k`` folds x ``m`` settings does not need ``k * m`` independent fits:

- L2 / unpenalised :class:`~neurodecode.decoders.LinearDecoder`: the closed form. One
  Gram matrix (or one per fold, when responses are standardised per fold) serves every
  L2 strength (:func:`~neurodecode.evaluate._ridge_cv.cv_ridge_predictions`).
- L2-penalised :class:`~neurodecode.decoders.LogisticDecoder` with more neurons than
  training trials: every strength of a fold solved at once in kernel form by a batched,
  preconditioned L-BFGS (:mod:`neurodecode.evaluate._logistic_cv`).
- ReLU networks (``MLPDecoder``, ``MLPClassifierDecoder``) over ``l1``, ``l2`` and
  ``dropout``: all models of a fold trained as one stacked model
  (:mod:`neurodecode.evaluate._batched_mlp`), each exactly as its own ``fit`` would.
  With plain SGD, no L1 and more neurons than training trials, the first layer is
  trained in kernel form (``W = c W_init + A' Z``), several times fewer FLOPs.

Settings the batched path cannot represent exactly (L1, gradient solvers, other
decoders) fall back to fitting each model in turn; :func:`batched_sweep` returns None
and the caller runs the sequential path.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.base import clone

from ..data import Recording
from ._batched_mlp import fit_mlp_batched, supports_batched_mlp
from ._logistic_cv import cv_logistic_logits
from ._ridge_cv import cv_ridge_predictions
from .cross_validate import CVResult, _adapt_decoder
from .metrics import get_scorer

__all__ = ["batched_sweep", "supports_batched_logistic", "supports_batched_ridge"]


def _linear_family(decoder: Any) -> bool:
    from ..decoders import LinearDecoder

    return type(decoder) is LinearDecoder


def supports_batched_logistic(decoder: Any, settings: list[dict[str, Any]],
                              recording: Recording,
                              splits: list[tuple[np.ndarray, np.ndarray]]) -> bool:
    """Whether a sweep of a ``LogisticDecoder`` can be solved in kernel form: only ``l2``
    varies, every strength > 0, no L1, full-batch L-BFGS without early stopping, a
    categorical stimulus, and more neurons than trials in every training fold."""
    from ..decoders import LogisticDecoder

    if type(decoder) is not LogisticDecoder or recording.kind != "categorical":
        return False
    if any(set(s) - {"l2"} for s in settings) or not all(s["l2"] > 0 for s in settings):
        return False
    params = decoder.get_params()
    return (params["l1"] == 0 and params["solver"] in ("auto", "lbfgs")
            and params["batch_size"] is None and not params["early_stopping"]
            and max(len(tr) for tr, _ in splits) < recording.n_neurons)


def supports_batched_ridge(decoder: Any, settings: list[dict[str, Any]], recording: Recording
                     ) -> bool:
    """Whether a sweep of ``decoder`` over ``settings`` is a closed-form ridge path.

    Parameters
    ----------
    decoder : estimator
    settings : list of dict
        The grid's combinations.
    recording : Recording

    Returns
    -------
    bool
        True for a ``LinearDecoder`` solved in closed form (``l1 == 0`` in every setting,
        ``solver`` "auto" or "closed_form") sweeping only ``l2`` on a circular or linear
        stimulus.
    """
    if not _linear_family(decoder) or recording.kind == "categorical":
        return False
    if any(set(s) - {"l2"} for s in settings):
        return False
    params = decoder.get_params()
    return params["l1"] == 0 and params["solver"] in ("auto", "closed_form")


def _as_results(decoder: Any, settings: list[dict[str, Any]], names: list[str],
                recording: Recording, splits: list[tuple[np.ndarray, np.ndarray]],
                scoring: list[str], fold_preds: list[list[np.ndarray]], elapsed: float,
                models: list[list[Any]] | None = None) -> dict[str, CVResult]:
    """CVResults from held-out predictions ``fold_preds[fold][setting]``."""
    y = recording.stimulus
    scorers = {n: get_scorer(n, recording.kind, recording.period) for n in scoring}
    results = {}
    for j, (name, setting) in enumerate(zip(names, settings)):
        y_pred = np.empty(y.shape, dtype=y.dtype if recording.kind == "categorical" else float)
        scores: dict[str, list[float]] = {n: [] for n in scoring}
        for k, (_, test) in enumerate(splits):
            p = fold_preds[k][j]
            y_pred[test] = p
            for n, (func, _) in scorers.items():
                if recording.kind == "categorical":  # score on codes, like cross_validate
                    codes = np.searchsorted(recording.classes, np.r_[y[test], p])
                    scores[n].append(float(func(codes[:len(test)], codes[len(test):])))
                else:
                    scores[n].append(float(func(y[test], p)))
        share = elapsed / (len(settings) * len(splits))
        results[name] = CVResult(
            scores={k: np.array(v) for k, v in scores.items()}, primary=scoring[0],
            greater_is_better={n: g for n, (_, g) in scorers.items()},
            y_true=y, y_pred=y_pred, splits=splits,
            fit_time=np.full(len(splits), share), score_time=np.zeros(len(splits)),
            kind=recording.kind, period=recording.period,
            decoder=repr(clone(decoder).set_params(**setting)),
            models=None if models is None else [fold[j] for fold in models],
            extra={"batched": True, "batch_seconds": elapsed},
        )
    return results


def _ridge_predictions(decoder: Any, settings: list[dict[str, Any]], recording: Recording,
                       splits: list[tuple[np.ndarray, np.ndarray]]) -> list[list[np.ndarray]]:
    from ..decoders._base import resolve_device

    params = decoder.get_params()
    period = params.get("period") or recording.period
    y = recording.stimulus
    if recording.kind == "circular":
        ang = y * (2 * np.pi / period)
        Y = np.c_[np.cos(ang), np.sin(ang)]
    else:
        Y = y.reshape(len(y), -1)
    preds = cv_ridge_predictions(recording.responses, Y, splits, [s["l2"] for s in settings],
                       standardize=params["standardize"],
                       fit_intercept=params["fit_intercept"],
                       device=resolve_device(params["device"]))
    out = []
    for fold_pred in preds:
        per_setting = []
        for p in fold_pred:
            if recording.kind == "circular":
                p = np.arctan2(p[:, 1], p[:, 0]) % (2 * np.pi) * (period / (2 * np.pi))
                p = np.where(p >= period, 0.0, p)
            elif y.ndim == 1:
                p = p[:, 0]
            per_setting.append(p)
        out.append(per_setting)
    return out


def _logistic_predictions(decoder: Any, settings: list[dict[str, Any]],
                          recording: Recording, splits: list[tuple[np.ndarray, np.ndarray]]
                          ) -> list[list[np.ndarray]]:
    from ..decoders._base import resolve_device

    params = decoder.get_params()
    logits, _ = cv_logistic_logits(
        recording.responses, recording.stimulus_codes(), len(recording.classes), splits,
        [s["l2"] for s in settings], standardize=params["standardize"],
        fit_intercept=params["fit_intercept"], tol=params["tol"],
        max_iter=params["max_epochs"], device=resolve_device(params["device"]))
    out = []
    for fold in logits:
        codes = [(lg[:, 0] > 0).astype(int) if lg.shape[1] == 1 else lg.argmax(axis=1)
                 for lg in fold]
        out.append([recording.classes[c] for c in codes])
    return out


def batched_sweep(decoder: Any, settings: list[dict[str, Any]], names: list[str],
                  recording: Recording, splits: list[tuple[np.ndarray, np.ndarray]],
                  scoring: list[str], *, return_models: bool = False,
                  max_memory: int | None = None,
                  progress: bool = False) -> dict[str, CVResult] | None:
    """Cross-validate every setting at once where the family allows it.

    Parameters
    ----------
    decoder : estimator
    settings : list of dict
        One dict of parameter values per candidate.
    names : list of str
        Candidate names, aligned with ``settings``.
    recording : Recording
    splits : list of (train, test)
    scoring : list of str
        Metric names, the first primary.
    return_models : bool, default=False
        Keep the fitted networks (the closed-form and kernel paths keep none).
    max_memory : int, optional
        Byte budget of one batch of stacked networks (default: half the free memory of
        the device); larger sweeps are trained in chunks.
    progress : bool, default=False

    Returns
    -------
    dict of str to CVResult, or None
        None when the sweep cannot be batched (the caller then fits sequentially).
    """
    t0 = time.perf_counter()
    if supports_batched_ridge(decoder, settings, recording):
        preds = _ridge_predictions(decoder, settings, recording, splits)
        return _as_results(decoder, settings, names, recording, splits, scoring, preds,
                           time.perf_counter() - t0)
    if supports_batched_logistic(decoder, settings, recording, splits):
        preds = _logistic_predictions(decoder, settings, recording, splits)
        return _as_results(decoder, settings, names, recording, splits, scoring, preds,
                           time.perf_counter() - t0)
    if not supports_batched_mlp(decoder, settings):
        return None
    est = _adapt_decoder(decoder, recording)
    y = recording.stimulus_codes() if recording.kind == "categorical" else recording.stimulus
    fitted = fit_mlp_batched(est, settings, recording.responses, y, splits,
                             max_memory=max_memory, progress=progress)
    if fitted is None:
        return None
    preds = []
    for (_, test), models in zip(splits, fitted):
        fold = [m.predict(recording.responses[test]) for m in models]
        if recording.kind == "categorical":
            fold = [recording.classes[p] for p in fold]
        preds.append(fold)
    return _as_results(decoder, settings, names, recording, splits, scoring, preds,
                       time.perf_counter() - t0, fitted if return_models else None)
