"""Synthetic orientation-tuned populations with known ground truth.

The generator draws von Mises tuning curves on a circular stimulus (orientation by
default) and samples responses with Poisson or Gaussian noise, optionally with a shared
multiplicative gain (noise correlations) and stimulus jitter (differential, i.e.
information-limiting, correlations). Because the tuning is known, the population's
Fisher information and the Cramér-Rao bound on decoding error are known too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import check_choice, check_number
from ._recording import Recording

__all__ = ["PopulationTruth", "TimeCourseTruth", "orientation_population",
           "time_resolved_population"]

STRINGER_N_NEURONS = 23_589
STRINGER_N_TRIALS = 4_598


@dataclass(frozen=True)
class PopulationTruth:
    """Ground truth of a synthetic population: tuning curves and noise model.

    Tuning of neuron ``i`` (expected response per trial, in the response's units):

    ``f_i(s) = window * (baseline_i + amplitude_i * exp(kappa_i * (cos(2 pi (s - preferred_i)
    / period) - 1)))``

    so ``amplitude + baseline`` is the peak rate in Hz and ``window`` the counting window
    in seconds.

    Attributes
    ----------
    preferred : ndarray of shape (n_neurons,)
        Preferred stimulus, in the stimulus units (degrees by default).
    kappa : ndarray of shape (n_neurons,)
        Von Mises concentration (larger is narrower).
    amplitude, baseline : ndarray of shape (n_neurons,)
        Peak modulation and baseline rate, in Hz.
    period : float
        Period of the stimulus (180 for orientation).
    window : float
        Counting window in seconds.
    noise : {"poisson", "gaussian"}
    noise_sd : float
        Standard deviation of the Gaussian noise (``noise="gaussian"`` only).
    gain_noise : float
        Standard deviation of the shared log-gain per trial (0 for none).
    stimulus_noise : float
        Standard deviation of the stimulus jitter, in stimulus units (0 for none).
    gain : ndarray of shape (n_trials,)
        The shared gain drawn for each trial (ones without gain noise).
    """

    preferred: np.ndarray
    kappa: np.ndarray
    amplitude: np.ndarray
    baseline: np.ndarray
    period: float
    window: float
    noise: str
    noise_sd: float
    gain_noise: float
    stimulus_noise: float
    gain: np.ndarray = field(repr=False)

    @property
    def n_neurons(self) -> int:
        """Number of neurons."""
        return int(self.preferred.shape[0])

    def _phase(self, stimulus: np.ndarray) -> np.ndarray:
        s = np.atleast_1d(np.asarray(stimulus, dtype=np.float64))
        return 2 * np.pi * (s[:, None] - self.preferred[None, :]) / self.period

    def tuning(self, stimulus: np.ndarray) -> np.ndarray:
        """Expected response of every neuron to each stimulus value.

        Parameters
        ----------
        stimulus : array-like of shape (n_values,)

        Returns
        -------
        ndarray of shape (n_values, n_neurons)
            Mean response per trial (spike count for Poisson noise).
        """
        vm = np.exp(self.kappa * (np.cos(self._phase(stimulus)) - 1.0))
        return self.window * (self.baseline + self.amplitude * vm)

    def tuning_derivative(self, stimulus: np.ndarray) -> np.ndarray:
        """Derivative of :meth:`tuning` with respect to the stimulus (per stimulus unit).

        Returns
        -------
        ndarray of shape (n_values, n_neurons)
        """
        phase = self._phase(stimulus)
        vm = np.exp(self.kappa * (np.cos(phase) - 1.0))
        return self.window * self.amplitude * vm * (-self.kappa * np.sin(phase)) * (
            2 * np.pi / self.period)

    def fisher_information(self, stimulus: np.ndarray, *,
                           include_stimulus_noise: bool = True) -> np.ndarray:
        """Population Fisher information about the stimulus, per stimulus value.

        For independent noise, ``I(s) = sum_i f_i'(s)^2 / f_i(s)`` (Poisson) or
        ``sum_i f_i'(s)^2 / noise_sd^2`` (Gaussian). Stimulus jitter of standard deviation
        ``sigma`` adds differential correlations that cap it:
        ``1 / I = 1 / I_0 + sigma^2`` (Moreno-Bote et al., 2014). The shared gain is not
        included: it adds correlations along ``f(s)``, which a decoder that knows them can
        largely discount, so the independent value is then only a reference.

        Parameters
        ----------
        stimulus : array-like of shape (n_values,)
        include_stimulus_noise : bool, default=True
            Apply the stimulus-jitter cap.

        Returns
        -------
        ndarray of shape (n_values,)
            In 1 / stimulus-unit^2.
        """
        fp = self.tuning_derivative(stimulus)
        if self.noise == "poisson":
            info = (fp**2 / self.tuning(stimulus)).sum(axis=1)
        else:
            info = (fp**2).sum(axis=1) / self.noise_sd**2
        if include_stimulus_noise and self.stimulus_noise > 0:
            info = 1.0 / (1.0 / info + self.stimulus_noise**2)
        return info

    def cramer_rao_bound(self, stimulus: np.ndarray | None = None, *,
                         include_stimulus_noise: bool = True) -> np.ndarray | float:
        """Smallest standard deviation of an unbiased estimate: ``1 / sqrt(I(s))``.

        Parameters
        ----------
        stimulus : array-like, optional
            Where to evaluate it. When None, the root-mean of ``1 / I(s)`` over a uniform
            stimulus (the bound on the RMS error of an unbiased decoder on this
            population's uniformly drawn stimuli) is returned as a float.
        include_stimulus_noise : bool, default=True

        Returns
        -------
        float or ndarray of shape (n_values,)
            In stimulus units (degrees by default). For Gaussian-distributed errors the
            median absolute error is 0.674 times this.
        """
        if stimulus is None:
            grid = np.linspace(0, self.period, 360, endpoint=False)
            info = self.fisher_information(grid, include_stimulus_noise=include_stimulus_noise)
            return float(np.sqrt(np.mean(1.0 / info)))
        info = self.fisher_information(stimulus, include_stimulus_noise=include_stimulus_noise)
        return 1.0 / np.sqrt(info)


def orientation_population(
    n_neurons: int = STRINGER_N_NEURONS,
    n_trials: int = STRINGER_N_TRIALS,
    *,
    period: float = 180.0,
    noise: str = "poisson",
    noise_sd: float = 1.0,
    window: float = 0.5,
    peak_rate: tuple[float, float] = (2.0, 20.0),
    baseline_rate: tuple[float, float] = (0.1, 2.0),
    kappa: tuple[float, float] = (0.5, 4.0),
    gain_noise: float = 0.0,
    stimulus_noise: float = 0.0,
    random_state: int | None = 0,
    chunk_size: int = 512,
) -> tuple[Recording, PopulationTruth]:
    """Simulate a population of orientation-tuned neurons responding to random gratings.

    Defaults match the size of the Stringer et al. (2021) recording (23,589 neurons x
    4,598 trials); that build takes a few seconds and about 0.5 GB. Stimuli are drawn
    uniformly on ``[0, period)``.

    Parameters
    ----------
    n_neurons, n_trials : int
        Population and experiment size.
    period : float, default=180.0
        180 for orientation in degrees, 360 for direction.
    noise : {"poisson", "gaussian"}, default="poisson"
        Poisson spike counts (``response_type="counts"``), or Gaussian noise of standard
        deviation ``noise_sd`` around the tuning curve (``"continuous"``).
    noise_sd : float, default=1.0
        Gaussian noise standard deviation, in counts per window.
    window : float, default=0.5
        Counting window in seconds (rates in Hz are multiplied by it).
    peak_rate, baseline_rate : (float, float)
        Ranges (Hz) of each neuron's peak modulation and baseline, drawn log-uniformly.
    kappa : (float, float)
        Range of von Mises concentrations (log-uniform); 0.5 is broad, 4 is sharp.
    gain_noise : float, default=0.0
        Standard deviation of a log-normal gain shared by all neurons on each trial
        (mean 1). Creates noise correlations along the tuning curves themselves.
    stimulus_noise : float, default=0.0
        Standard deviation (stimulus units) of a jitter added to the stimulus the
        population sees on each trial: information-limiting (differential) correlations
        that cap the Fisher information at ``1 / stimulus_noise^2``.
    random_state : int or None, default=0
        Seed; the same seed always gives the same population and responses.
    chunk_size : int, default=512
        Trials simulated at a time (bounds peak memory).

    Returns
    -------
    recording : Recording
        Responses (n_trials, n_neurons), circular stimulus in degrees.
    truth : PopulationTruth
        Tuning parameters, Fisher information and Cramér-Rao bound.

    Raises
    ------
    ValueError
        For non-positive sizes, unknown noise models or empty ranges.

    Examples
    --------
    >>> rec, truth = orientation_population(50, 200, random_state=1)
    >>> rec
    Recording(200 trials x 50 neurons, stimulus: circular, period 180, counts, source synthetic)
    >>> bool(truth.cramer_rao_bound() > 0)
    True
    """
    owner = "orientation_population"
    check_number(n_neurons, "n_neurons", owner, low=1, integer=True)
    check_number(n_trials, "n_trials", owner, low=1, integer=True)
    check_number(period, "period", owner, low=0, low_inclusive=False)
    check_choice(noise, "noise", ("poisson", "gaussian"), owner)
    check_number(noise_sd, "noise_sd", owner, low=0, low_inclusive=False)
    check_number(window, "window", owner, low=0, low_inclusive=False)
    check_number(gain_noise, "gain_noise", owner, low=0)
    check_number(stimulus_noise, "stimulus_noise", owner, low=0)
    check_number(chunk_size, "chunk_size", owner, low=1, integer=True)
    for name, (lo, hi) in (("peak_rate", peak_rate), ("baseline_rate", baseline_rate),
                           ("kappa", kappa)):
        if not (0 < lo <= hi):
            raise ValueError(
                f"The {name!r} parameter of {owner} must be a (low, high) range with "
                f"0 < low <= high. Got {(lo, hi)!r} instead."
            )

    rng = np.random.default_rng(random_state)

    def log_uniform(lo: float, hi: float, n: int) -> np.ndarray:
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n))

    preferred = rng.uniform(0, period, n_neurons)
    kap = log_uniform(*kappa, n_neurons)
    amp = log_uniform(*peak_rate, n_neurons)
    base = log_uniform(*baseline_rate, n_neurons)
    stimulus = rng.uniform(0, period, n_trials)
    if gain_noise > 0:
        gain = rng.lognormal(-gain_noise**2 / 2, gain_noise, n_trials)
    else:
        gain = np.ones(n_trials)
    seen = stimulus + (rng.normal(0, stimulus_noise, n_trials) if stimulus_noise > 0 else 0.0)

    truth = PopulationTruth(
        preferred=preferred, kappa=kap, amplitude=amp, baseline=base, period=float(period),
        window=float(window), noise=noise, noise_sd=float(noise_sd),
        gain_noise=float(gain_noise), stimulus_noise=float(stimulus_noise), gain=gain,
    )
    responses = np.empty((n_trials, n_neurons), dtype=np.float32)
    # cos(a (s - p)) = cos(a s) cos(a p) + sin(a s) sin(a p): two outer products instead of
    # a cosine per (trial, neuron); float32 halves the memory traffic of the exp.
    omega = 2 * np.pi / period
    cp, sp = np.cos(omega * preferred), np.sin(omega * preferred)
    kap32 = kap.astype(np.float32)
    for a in range(0, n_trials, chunk_size):
        b = min(a + chunk_size, n_trials)
        cs, ss = np.cos(omega * seen[a:b]), np.sin(omega * seen[a:b])
        cos_phase = (np.outer(cs, cp) + np.outer(ss, sp)).astype(np.float32)
        vm = np.exp(kap32 * (cos_phase - np.float32(1.0)))
        mean = window * (base + amp * vm) * gain[a:b, None]
        if noise == "poisson":
            responses[a:b] = rng.poisson(mean)
        else:
            responses[a:b] = mean + rng.normal(0.0, noise_sd, mean.shape)

    stimulus = np.mod(stimulus, period)
    stimulus[stimulus >= period] = 0.0
    recording = Recording(
        responses, stimulus, kind="circular", period=float(period),
        response_type="counts" if noise == "poisson" else "continuous",
        trials={"gain": gain, "stimulus_seen": np.mod(seen, period)},
        neurons={"preferred": preferred, "kappa": kap},
        meta={"source": "synthetic", "generator": owner, "random_state": random_state,
              "units": "degrees", "window": float(window)},
    )
    return recording, truth


@dataclass
class TimeCourseTruth:
    """Ground truth of :func:`time_resolved_population`.

    Attributes
    ----------
    epoch_times : ndarray of shape (n_times,)
        Start of each time bin, seconds from stimulus onset.
    onset : float
        First time (s) at which the population carries the stimulus: bins starting at or
        after it are tuned, earlier ones are not.
    switch : float or None
        Time (s) at which every neuron's preferred stimulus jumps to a new one (the code
        changes); None when it never does.
    early, late : PopulationTruth
        Tuning before and after ``switch`` (the same object when there is no switch);
        rates are per bin of ``bin_size`` seconds.
    bin_size : float
    """

    epoch_times: np.ndarray
    onset: float
    switch: float | None
    early: PopulationTruth
    late: PopulationTruth
    bin_size: float

    @property
    def informative(self) -> np.ndarray:
        """Boolean (n_times,): bins whose responses depend on the stimulus."""
        return self.epoch_times >= self.onset - 1e-12

    def code(self) -> np.ndarray:
        """Which code each bin uses: -1 before onset (none), 0 early, 1 late."""
        out = np.where(self.informative, 0, -1)
        if self.switch is not None:
            out[self.epoch_times >= self.switch - 1e-12] = 1
        return out


def time_resolved_population(
    n_neurons: int = 100,
    n_trials: int = 300,
    *,
    n_times: int = 30,
    epoch: tuple[float, float] = (-0.5, 1.0),
    onset: float = 0.0,
    switch: float | None = None,
    n_classes: int | None = None,
    period: float = 180.0,
    peak_rate: tuple[float, float] = (5.0, 30.0),
    baseline_rate: tuple[float, float] = (1.0, 5.0),
    kappa: tuple[float, float] = (0.5, 4.0),
    random_state: int | None = 0,
) -> tuple[Recording, TimeCourseTruth]:
    """Simulate trials whose responses over time carry the stimulus from a known onset.

    Each neuron fires at its baseline rate until ``onset``; from then on its rate follows
    von Mises tuning to the trial's stimulus (as in :func:`orientation_population`). With
    ``switch``, every neuron's preferred stimulus jumps to a new random one at that time,
    so a decoder trained before the switch fails after it (temporal generalisation
    breaks) while decoding at each time still works. Counts are Poisson per bin.

    Parameters
    ----------
    n_neurons, n_trials : int
    n_times : int, default=30
        Time bins per trial, tiling ``epoch``.
    epoch : (float, float), default=(-0.5, 1.0)
        Start and end of the trial in seconds from stimulus onset.
    onset : float, default=0.0
        Seconds; bins starting at or after it are tuned.
    switch : float, optional
        Seconds; the preferred stimuli change at this time.
    n_classes : int, optional
        Draw the stimulus from ``n_classes`` equally spaced values and return a
        categorical Recording (labels are the angles); None: a circular stimulus drawn
        uniformly.
    period : float, default=180.0
    peak_rate, baseline_rate : (float, float)
        Ranges (spikes/s) of the tuned amplitude and the baseline, log-uniform.
    kappa : (float, float)
        Range of tuning concentrations.
    random_state : int or None, default=0

    Returns
    -------
    recording : Recording
        Counts of shape (n_trials, n_times, n_neurons), ``epoch_times`` the bin starts.
    truth : TimeCourseTruth

    Raises
    ------
    ValueError
        For sizes below 1, an epoch that is not (start, stop) with start < stop, or an
        onset or switch outside it.

    Examples
    --------
    >>> rec, truth = time_resolved_population(20, 40, n_times=10, onset=0.2, n_classes=4)
    >>> rec.shape, int(truth.informative.sum())
    ((40, 10, 20), 5)
    """
    owner = "time_resolved_population"
    check_number(n_neurons, "n_neurons", owner, low=1, integer=True)
    check_number(n_trials, "n_trials", owner, low=1, integer=True)
    check_number(n_times, "n_times", owner, low=1, integer=True)
    check_number(n_classes, "n_classes", owner, low=2, integer=True, allow_none=True)
    if len(epoch) != 2 or not epoch[0] < epoch[1]:
        raise ValueError(f"The 'epoch' parameter of {owner} must be (start, stop) with "
                         f"start < stop. Got {epoch!r} instead.")
    for name, value in (("onset", onset), ("switch", switch)):
        if value is not None and not epoch[0] <= value <= epoch[1]:
            raise ValueError(f"The {name!r} parameter of {owner} must lie in the epoch "
                             f"{epoch!r}. Got {value!r} instead.")
    bin_size = (epoch[1] - epoch[0]) / n_times
    times = epoch[0] + bin_size * np.arange(n_times)
    rng = np.random.default_rng(random_state)
    seeds = rng.integers(0, 2**31 - 1, 3)
    if n_classes is None:
        stimulus = rng.uniform(0, period, n_trials)
    else:
        stimulus = (rng.integers(0, n_classes, n_trials) * (period / n_classes)).astype(float)
    early = orientation_population(n_neurons, 1, period=period, window=bin_size,
                                   peak_rate=peak_rate, baseline_rate=baseline_rate,
                                   kappa=kappa, random_state=int(seeds[0]))[1]
    late = early
    if switch is not None:
        new = np.random.default_rng(int(seeds[1])).uniform(0, period, n_neurons)
        late = PopulationTruth(
            preferred=new, kappa=early.kappa, amplitude=early.amplitude,
            baseline=early.baseline, period=early.period, window=early.window,
            noise=early.noise, noise_sd=early.noise_sd, gain_noise=0.0,
            stimulus_noise=0.0, gain=early.gain)
    truth = TimeCourseTruth(epoch_times=times, onset=float(onset),
                            switch=None if switch is None else float(switch),
                            early=early, late=late, bin_size=float(bin_size))
    code = truth.code()
    counts_rng = np.random.default_rng(int(seeds[2]))
    responses = np.empty((n_trials, n_times, n_neurons), dtype=np.float32)
    rest = np.broadcast_to(early.window * early.baseline, (n_trials, n_neurons))
    tuned = {0: early.tuning(stimulus)}  # expected counts per bin (window = bin_size)
    if switch is not None:
        tuned[1] = late.tuning(stimulus)
    for k in range(n_times):
        mean = rest if code[k] < 0 else tuned[int(code[k])]
        responses[:, k] = counts_rng.poisson(mean)
    kind = "circular" if n_classes is None else "categorical"
    recording = Recording(
        responses, stimulus, kind=kind, period=float(period) if kind == "circular" else None,
        response_type="counts", epoch_times=times,
        neurons={"preferred": early.preferred, "kappa": early.kappa},
        meta={"source": "synthetic", "generator": owner, "random_state": random_state,
              "onset": float(onset), "switch": switch, "bin_size": float(bin_size)},
    )
    return recording, truth
