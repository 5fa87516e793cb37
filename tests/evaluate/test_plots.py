"""Figures render from real result objects and show what they claim."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge

from neurodecode.data import orientation_population
from neurodecode.evaluate import (
    cross_validate,
    plot_confusion,
    plot_error_by_stimulus,
    plot_loss_curves,
    plot_predictions,
    plot_sweep,
    sweep,
)


@pytest.fixture(scope="module")
def rec():
    return orientation_population(80, 300, random_state=0)[0]


def test_sweep_plot_has_one_point_per_setting(rec, tmp_path):
    res = sweep(Ridge(), {"alpha": [0.1, 10.0, 1000.0]}, rec, cv=3)
    fig = plot_sweep(res)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "penalty strength (alpha)"
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x, [0.1, 10.0, 1000.0])
    np.testing.assert_allclose(y, [res.results[n].mean() for n in res.results])
    fig.savefig(tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").stat().st_size > 1000


def test_prediction_and_error_plots(rec, tmp_path):
    res = cross_validate(Ridge(alpha=10.0), rec, cv=3)
    fig = plot_predictions(res)
    assert len(fig.axes[0].collections[0].get_offsets()) == rec.n_samples
    fig2 = plot_error_by_stimulus(res, n_bins=6)
    x, med = fig2.axes[0].lines[0].get_data()
    assert len(x) == 6 and np.all(med >= 0)
    for f, name in ((fig, "pred.png"), (fig2, "err.png")):
        f.savefig(tmp_path / name)


def test_confusion_plot(rec, tmp_path):
    res = cross_validate(LogisticRegression(max_iter=300), rec.bin_stimulus(4), cv=3)
    fig = plot_confusion(res)
    img = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(np.asarray(img).sum(axis=1), 1.0)
    fig.savefig(tmp_path / "cm.png")


def test_loss_curves_need_histories(rec):
    res = cross_validate(Ridge(), rec, cv=3, return_models=True)
    with pytest.raises(ValueError, match="loss history"):
        plot_loss_curves(res)
    with pytest.raises(ValueError, match="return_models=True"):
        plot_loss_curves(cross_validate(Ridge(), rec, cv=3))

    class Fake:
        history_ = {"train_loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 2.0]}

    fig = plot_loss_curves([Fake(), Fake()])
    assert len(fig.axes[0].lines) == 4
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["model 1 train", "model 1 validation", "model 2 train",
                      "model 2 validation"]  # every line named, one colour per model
    lines = fig.axes[0].lines
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    assert list(lines[0].get_xdata()) == [1, 2, 3]  # epochs count from 1


def test_sweep_figure_names_its_axes_and_flags_a_best_at_the_grid_edge(rec):
    from neurodecode.decoders import LinearDecoder
    from neurodecode.evaluate import plot_sweep, sweep

    edge = sweep(LinearDecoder(device="cpu"), {"l2": [1e-6, 1e-5, 1e-4]}, rec, cv=3)
    assert edge.best_on_edge == ["l2"] and "edge of the grid" in edge.summary()
    fig = plot_sweep(edge)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "L2 penalty strength (l2)"
    assert ax.get_ylabel().startswith("median error (deg)")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("grid edge" in t for t in legend)
    inside = sweep(LinearDecoder(device="cpu"), {"l2": [1e-3, 1.0, 1e3]}, rec, cv=3)
    assert inside.best_params == {"l2": 1.0} and inside.best_on_edge == []
    assert "edge of the grid" not in inside.summary()
