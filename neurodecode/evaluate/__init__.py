"""Cross-validated decoding, decoder and regulariser comparisons, and their metrics.

Population-coding analyses live here too: neurometric discrimination thresholds and
scaling of decoding with the number of neurons and trials.

Every function here is stateless: it takes a decoder (or several) and a
:class:`~neurodecode.data.Recording` and returns a result object.
"""

from .clusters import ClusterTest, cluster_test
from .compare import (
    ComparisonResult,
    NestedCVResult,
    compare,
    nested_cross_validate,
    parameter_grid,
    sweep,
)
from .cross_validate import CircularRegressor, CVResult, build_pipeline, cross_validate
from .metrics import (
    circular_correlation,
    circular_error,
    mean_circular_error,
    median_circular_error,
)
from .neurometric import NeurometricResult, neurometric_threshold
from .over_time import (
    GeneralizationResult,
    TimeCourseResult,
    decode_over_time,
    temporal_generalization,
)
from .plots import (
    plot_confusion,
    plot_error_by_stimulus,
    plot_generalization,
    plot_loss_curves,
    plot_over_time,
    plot_predictions,
    plot_sweep,
)
from .scaling import AsymptoteFit, ScalingResult, fit_asymptote, scaling_curve
from .sessions import SessionsResult, decode_sessions, pseudo_population
from .splits import ContiguousKFold, make_splits

__all__ = [
    "SessionsResult",
    "decode_sessions",
    "pseudo_population",
    "AsymptoteFit",
    "ClusterTest",
    "GeneralizationResult",
    "TimeCourseResult",
    "cluster_test",
    "decode_over_time",
    "temporal_generalization",
    "NeurometricResult",
    "ScalingResult",
    "fit_asymptote",
    "neurometric_threshold",
    "scaling_curve",
    "ComparisonResult",
    "NestedCVResult",
    "compare",
    "nested_cross_validate",
    "parameter_grid",
    "plot_confusion",
    "plot_generalization",
    "plot_over_time",
    "plot_error_by_stimulus",
    "plot_loss_curves",
    "plot_predictions",
    "plot_sweep",
    "sweep",
    "CVResult",
    "CircularRegressor",
    "ContiguousKFold",
    "build_pipeline",
    "circular_correlation",
    "circular_error",
    "cross_validate",
    "make_splits",
    "mean_circular_error",
    "median_circular_error",
]
