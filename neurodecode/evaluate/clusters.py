"""Cluster-based permutation statistics for scores over time (or over a time x time plane).

Given the observed score at every time point and the same scores recomputed on
permuted labels (same splits), the test of Maris & Oostenveld (2007) controls the
family-wise error over all time points:

1. each point's statistic is its score's advantage over the permutation mean (oriented
   so that larger is better);
2. points whose statistic exceeds the ``1 - cluster_alpha`` quantile of the permutation
   distribution at that point form clusters (contiguous runs in time; 4-connected regions
   of a time x time plane), whose mass is the sum of their statistics;
3. each permutation gives its largest cluster mass the same way; a cluster's p-value is
   the share of permutations whose largest mass reaches its mass (with the +1 correction
   of Phipson & Smyth, 2010).

Pointwise p-values (the share of permutations at least as good at that point) are given
too, with Benjamini-Hochberg's false discovery rate correction as an option.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, stats

__all__ = ["Cluster", "ClusterTest", "cluster_test"]


@dataclass
class Cluster:
    """One cluster of points above the cluster-forming threshold.

    Attributes
    ----------
    mask : ndarray of bool
        The cluster's points (shape of the scores).
    mass : float
        Sum of the statistic over its points.
    p_value : float
        Share of permutations whose largest cluster is at least as massive.
    """

    mask: np.ndarray
    mass: float
    p_value: float

    def extent(self, times: np.ndarray) -> tuple[float, float]:
        """First and last time of a 1-D cluster (seconds)."""
        idx = np.flatnonzero(self.mask)
        return float(times[idx[0]]), float(times[idx[-1]])


@dataclass
class ClusterTest:
    """Result of :func:`cluster_test`.

    Attributes
    ----------
    statistic : ndarray
        Observed advantage over the permutation mean, per point (larger is better).
    threshold : ndarray
        Cluster-forming threshold per point.
    clusters : list of Cluster
        Every cluster, most massive first.
    null_max : ndarray of shape (n_permutations,)
        Largest cluster mass of each permutation (0 when it had none).
    pvalues : ndarray
        Pointwise permutation p-values.
    pvalues_fdr : ndarray
        Benjamini-Hochberg adjusted pointwise p-values.
    chance : ndarray
        Mean of the permutation scores per point.
    """

    statistic: np.ndarray
    threshold: np.ndarray
    clusters: list[Cluster]
    null_max: np.ndarray
    pvalues: np.ndarray
    pvalues_fdr: np.ndarray
    chance: np.ndarray

    def significant(self, alpha: float = 0.05) -> np.ndarray:
        """Points inside a cluster with ``p_value < alpha``."""
        mask = np.zeros(self.statistic.shape, dtype=bool)
        for cluster in self.clusters:
            if cluster.p_value < alpha:
                mask |= cluster.mask
        return mask


def _label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected components: runs in 1-D, 4-connected regions in 2-D."""
    labels, n = ndimage.label(mask)
    return labels, int(n)


def _masses(stat: np.ndarray, threshold: np.ndarray) -> tuple[np.ndarray, list[float]]:
    labels, n = _label(stat > threshold)
    if n == 0:
        return labels, []
    masses = ndimage.sum_labels(stat, labels, index=np.arange(1, n + 1))
    return labels, [float(m) for m in np.atleast_1d(masses)]


def cluster_test(observed: np.ndarray, null: np.ndarray, *, greater_is_better: bool = True,
                 cluster_alpha: float = 0.05) -> ClusterTest:
    """Cluster-based permutation test of scores over time (or a time x time plane).

    Parameters
    ----------
    observed : ndarray of shape (n_times,) or (n_times, n_times)
        Observed score per point (mean over folds).
    null : ndarray of shape (n_permutations, *observed.shape)
        The same scores on permuted labels.
    greater_is_better : bool, default=True
        False for errors (smaller is better).
    cluster_alpha : float, default=0.05
        Points whose statistic exceeds the ``1 - cluster_alpha`` quantile of the
        permutation distribution at that point form clusters.

    Returns
    -------
    ClusterTest

    Raises
    ------
    ValueError
        If ``null`` does not hold permutations of ``observed``'s shape, or
        ``cluster_alpha`` is not in (0, 1).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> null = rng.normal(0.5, 0.02, (200, 20))
    >>> observed = np.r_[np.full(10, 0.5), np.full(10, 0.7)]
    >>> res = cluster_test(observed, null)
    >>> res.clusters[0].extent(np.arange(20.0)), res.clusters[0].p_value < 0.01
    ((10.0, 19.0), True)
    """
    observed = np.asarray(observed, dtype=np.float64)
    null = np.asarray(null, dtype=np.float64)
    if null.ndim != observed.ndim + 1 or null.shape[1:] != observed.shape or len(null) < 1:
        raise ValueError(
            f"null must hold one permutation per row with the observed scores' shape "
            f"{observed.shape}; got shape {null.shape}."
        )
    if not 0 < cluster_alpha < 1:
        raise ValueError(f"cluster_alpha must lie in (0, 1); got {cluster_alpha!r}.")
    sign = 1.0 if greater_is_better else -1.0
    chance = null.mean(axis=0)
    stat = sign * (observed - chance)
    null_stat = sign * (null - chance)
    threshold = np.quantile(null_stat, 1 - cluster_alpha, axis=0)
    threshold = np.maximum(threshold, 0.0)  # a cluster is always better than chance
    labels, masses = _masses(stat, threshold)
    null_max = np.array([max(_masses(s, threshold)[1], default=0.0) for s in null_stat])
    n = len(null)
    clusters = [Cluster(labels == k + 1, m, float((1 + np.sum(null_max >= m)) / (1 + n)))
                for k, m in enumerate(masses)]
    clusters.sort(key=lambda c: -c.mass)
    pvalues = (1 + np.sum(null_stat >= stat[None], axis=0)) / (1 + n)
    pvalues_fdr = stats.false_discovery_control(pvalues.ravel()).reshape(pvalues.shape)
    return ClusterTest(stat, threshold, clusters, null_max, pvalues, pvalues_fdr, chance)
