"""PerceptronDecoder: a hand-run of the rule, separable toy sets, multiclass variants."""

from __future__ import annotations

import numpy as np
import pytest

from neurodecode.decoders import PerceptronDecoder


def test_matches_a_hand_run_of_the_rule():
    # Three points visited in this order, labels t = +1, -1, +1 (classes_[1] = 1 is +1),
    # w = (0, 0), b = 0, eta_e = lr / (1 + lr_decay * e) = 1, 1/2, 1/3, 1/4.
    X = np.array([[3.0, -2.0],    # A, t = +1
                  [0.0, -2.0],    # B, t = -1
                  [-3.0, 2.0]])   # C, t = +1
    y = np.array([1, 0, 1])
    # epoch 0, eta = 1:
    #   A: s = 0            -> mistake: w = (3, -2),  b = 1
    #   B: s = 4 + 1 = 5    -> mistake: w = (3, 0),   b = 0
    #   C: s = -9           -> mistake: w = (0, 2),   b = 1
    # epoch 1, eta = 1/2:
    #   A: s = -4 + 1 = -3  -> mistake: w = (1.5, 1), b = 1.5
    #   B: s = -2 + 1.5 = -0.5 (t s = 0.5 > 0): correct
    #   C: s = -4.5 + 2 + 1.5 = -1 -> mistake: w = (0, 2), b = 2
    # epoch 2, eta = 1/3:
    #   A: s = -4 + 2 = -2  -> mistake: w = (1, 4/3), b = 7/3
    #   B: s = -8/3 + 7/3 = -1/3: correct;  C: s = -3 + 8/3 + 7/3 = 2: correct
    # epoch 3, eta = 1/4: no mistake -> no change < tol -> stop after 4 epochs.
    dec = PerceptronDecoder(lr=1.0, lr_decay=1.0, shuffle=False, standardize=False).fit(X, y)
    np.testing.assert_allclose(dec.coef_, [[1.0, 4.0 / 3.0]])
    np.testing.assert_allclose(dec.intercept_, [7.0 / 3.0])
    assert dec.n_iter_ == 4
    assert dec.history_["mistakes"] == [3, 2, 1, 0]
    np.testing.assert_allclose(dec.history_["weight_change"], [2.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(dec.predict(X), y)


def separable_2d(seed, n=200, margin=0.3):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=2)
    w /= np.linalg.norm(w)
    X = rng.uniform(-3, 3, size=(4 * n, 2)) + rng.normal(size=2)
    score = X @ w - 0.5
    keep = np.abs(score) > margin
    return X[keep][:n], (score[keep][:n] > 0).astype(int)


@pytest.mark.parametrize("standardize", [True, False])
def test_separates_a_linearly_separable_2d_set_perfectly(seed, standardize):
    X, y = separable_2d(seed)
    dec = PerceptronDecoder(standardize=standardize, max_epochs=1000,
                            random_state=seed).fit(X, y)
    assert dec.score(X, y) == 1.0
    assert dec.history_["mistakes"][-1] == 0 and dec.n_iter_ < 1000
    assert dec.coef_.shape == (1, 2) and dec.decision_function(X).shape == (len(y),)


@pytest.mark.parametrize("multiclass", ["ovr", "argmax"])
def test_multiclass_separates_three_blobs(seed, multiclass):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 4.0], [4.0, -2.0], [-4.0, -2.0]])
    labels = np.array(["a", "b", "c"])
    y = labels[np.arange(150) % 3]
    X = centres[np.arange(150) % 3] + rng.normal(scale=0.5, size=(150, 2))
    dec = PerceptronDecoder(multiclass=multiclass, random_state=seed).fit(X, y)
    assert dec.score(X, y) == 1.0
    assert dec.coef_.shape == (3, 2)
    np.testing.assert_array_equal(dec.classes_[dec.decision_function(X).argmax(1)],
                                  dec.predict(X))


def test_stops_at_max_epochs_when_not_separable():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])  # XOR
    dec = PerceptronDecoder(max_epochs=25, tol=0.0, shuffle=False).fit(X, [0, 0, 1, 1])
    assert dec.n_iter_ == 25 and all(m > 0 for m in dec.history_["mistakes"])


def test_learning_rate_decay_is_per_epoch():
    # the first update of each epoch on this point is eta_e * x
    X, y = np.array([[1.0], [-1.0]]), np.array([1, 0])
    dec = PerceptronDecoder(lr=2.0, lr_decay=0.5, max_epochs=1, shuffle=False,
                            standardize=False, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(dec.coef_, [[2.0]])  # eta_0 = 2


def test_decodes_binned_orientation(population):
    train, test, _ = population
    btrain, btest = train.bin_stimulus(8), test.bin_stimulus(8)
    for multiclass in ("ovr", "argmax"):
        dec = PerceptronDecoder(multiclass=multiclass, random_state=0).fit(btrain)
        # measured (seeds 0-2): ovr ~0.76-0.78, argmax ~0.82-0.85; chance is 0.125
        assert dec.score(btest) > 0.6
