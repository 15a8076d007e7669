"""Prospective spike detector for daily (or weekly) count series: baseline fit + alarm decision.

What it does: for every evaluated time point ``t`` of every series in a batch, it fits a baseline to the
counts strictly before ``t - guard`` (a log-linear quasi-Poisson model with day-of-week effects and a local
trend, recent days weighted more, past waves down-weighted), predicts the expected counts of the last few
days, and tests the observed counts against the negative-binomial predictive distribution. The alarm at
``t`` uses counts at times ``<= t`` only.

What it does not do: no I/O, no clock, no episode logic (see :mod:`monitor.spikes.episodes`).

Pure numpy/scipy and vectorised over series: a batch is a 2-D array (series x time) on one common time
grid, so the design matrix is shared and the weighted normal equations of all series are one matrix
product per iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DetectorParams:
    """Tuning of the detector; the defaults are what the benchmark figures were measured with."""

    #: Target share of quiet days that alarm (the false-alarm budget); split over the tests below.
    false_alarm_rate: float = 0.005
    #: Days (time points) before ``t`` left out of the baseline fit so an ongoing wave cannot mask itself.
    guard: int = 7
    #: Longest history used for the fit, in time points.
    history: int = 730
    #: Half-life of the exponential down-weighting of old history, in time points.
    half_life: float = 730.0
    #: History days whose count is this improbable under the current fit are left out of it (past
    #: waves); the fit then corrects the mean and dispersion for the cut-off upper tail.
    reject_p: float = 0.01
    #: Also left out: history days inside a centred window (lengths below) whose sum is this improbable,
    #: which catches past waves made of individually unremarkable days.
    reject_window_p: float = 0.001
    reject_windows: tuple[int, ...] = (3, 7)
    #: The baseline is refitted every this many time points (in between, the last fit is extrapolated).
    refit_every: int = 7
    #: Prior standard deviation of the (log) day-of-week effects: a ridge penalty that keeps sparse
    #: series from chasing noise in seven separate day means (data dominate it on busy series).
    season_prior_sd: float = 0.5
    #: Fewer time points than this in the fit window: no alarm (score 0).
    min_history: int = 56
    #: Share of the false-alarm budget spent on the one-day test; the rest on the 2..max_window sums.
    one_day_share: float = 1.0
    #: Longest window of the cumulative test (1 = one-day test only).
    max_window: int = 1
    #: A day never alarms with fewer counts than this (one killing where there are usually none is
    #: news, not a wave).
    min_count: int = 2
    #: Preceding days whose sum orders days with equal counts (the tie-break of the one-day test).
    tie_days: int = 2


@dataclass
class Detection:
    """Per-series, per-evaluated-point results (arrays of shape series x evaluated points)."""

    alarm: NDArray[np.bool_]
    score: FloatArray  # -log10 of the smallest tail probability, scaled so that > 0 means "alarm"
    expected: FloatArray  # baseline expected count of the evaluated day
    dispersion: FloatArray


def _design(n: int, period: int, freq: int) -> FloatArray:
    """Intercept + seasonal dummies (day of week for daily data; none for weekly) for positions 0..n-1."""
    cols = [np.ones(n)]
    if freq == 365 and period > 1:
        pos = np.arange(n) % period
        # sum-to-zero coding: the intercept is the weekly average, so the ridge on these shrinks the
        # day effects towards "no weekday effect"
        for k in range(1, period):
            cols.append((pos == k).astype(float) - (pos == 0).astype(float))
    return np.column_stack(cols)


def nb_logsf(y: FloatArray, mu: FloatArray, phi: FloatArray) -> FloatArray:
    """log P(Y >= y) for Y negative binomial with mean mu and variance phi*mu (Poisson as phi -> 1).

    P(Y >= y) = I_{1-p}(y, size), the regularised incomplete beta function, with size = mu/(phi-1) and
    p = 1/phi (computed directly: the generic distribution machinery is much slower on large arrays).
    """
    y, mu, phi = np.broadcast_arrays(np.asarray(y, float), np.asarray(mu, float), np.asarray(phi, float))
    mu = np.maximum(mu, 1e-9)
    phi_c = np.maximum(phi, 1.0 + 1e-6)
    pos = y > 0
    sf = special.betainc(np.where(pos, y, 1.0), mu / (phi_c - 1.0), 1.0 - 1.0 / phi_c)
    return np.where(pos, np.log(np.maximum(sf, 1e-300)), 0.0)


def _logsf_screened(y: FloatArray, mu: FloatArray, phi: FloatArray, z: float = 2.0) -> FloatArray:
    """nb_logsf, computed only where y is more than z standard deviations above mu (0 elsewhere: such
    points are never improbable enough to matter here); the exact tail is the expensive part of a fit."""
    y, mu, phi = np.broadcast_arrays(y, mu, phi)
    out = np.zeros(y.shape)
    hot = y > mu + z * np.sqrt(np.maximum(phi, 1.0) * mu)
    if hot.any():
        out[hot] = nb_logsf(y[hot], mu[hot], phi[hot])
    return out


def _nb_logpmf(y: FloatArray, mu: FloatArray, phi: FloatArray) -> FloatArray:
    """log P(Y = y), Y negative binomial with mean mu, variance phi*mu (near-Poisson as phi -> 1)."""
    phi_c = np.maximum(phi, 1.0 + 1e-6)
    size = mu / (phi_c - 1.0)
    return (
        special.gammaln(y + size)
        - special.gammaln(size)
        - special.gammaln(y + 1.0)
        - size * np.log(phi_c)
        + y * np.log1p(-1.0 / phi_c)
    )


@dataclass
class _FitState:
    beta: FloatArray  # (S, p) log-linear coefficients of the fitted (accepted-days) mean
    phi: FloatArray  # (S,) dispersion: variance = phi * mean
    corr: FloatArray  # (S, period) factor from the accepted-days mean to the full mean, per season


class _Window:
    """The fit window of one evaluated point: design, weights and seasons of the history days used."""

    def __init__(
        self,
        y_all: FloatArray,
        obs: NDArray[np.bool_],
        x_full: FloatArray,
        i: int,
        lo: int,
        hi: int,
        period: int,
        unit: float,
        half_life: float,
        season_sd: float,
    ) -> None:
        pos = np.arange(lo, hi)
        self.y = y_all[:, lo:hi]
        # trend in years relative to the evaluated point, so the intercept is the level "now"
        self.x = np.column_stack([x_full[lo:hi], (pos - i) / unit])
        decay = 0.5 ** ((i - pos) / half_life)
        self.w = np.where(obs[:, lo:hi], decay[None, :], 0.0)
        self.season = pos % period
        self.season_onehot = (self.season[:, None] == np.arange(period)[None, :]).astype(float)
        p = self.x.shape[1]
        self.pi, self.pj = np.triu_indices(p)
        self.z_pairs = self.x[:, self.pi] * self.x[:, self.pj]
        self.prior_precision = np.zeros(p)
        self.prior_precision[1:period] = 1.0 / season_sd**2
        self.dof = np.maximum(self.w.sum(1) - p, 1.0) / np.maximum(self.w.sum(1), 1e-9)


def _irls_step(win: _Window, w: FloatArray, beta: FloatArray, penalty: FloatArray) -> FloatArray:
    """One weighted Poisson-IRLS (quasi-likelihood) step for all series at once."""
    n_series, p = beta.shape
    eta = np.clip(beta @ win.x.T, -12.0, 8.0)
    mu = np.exp(eta)
    wz = w * mu
    zz = eta + (win.y - mu) / mu
    flat = wz @ win.z_pairs
    xtwx = np.zeros((n_series, p, p))
    xtwx[:, win.pi, win.pj] = flat
    xtwx[:, win.pj, win.pi] = flat
    xtwx += np.eye(p)[None] * 1e-6
    # ridge on the seasonal coefficients (penalty: (S, p) diagonal; Newton step of the penalised fit)
    xtwx[:, np.arange(p), np.arange(p)] += penalty
    xtwz = (wz * zz) @ win.x
    return np.asarray(np.linalg.solve(xtwx, xtwz[:, :, None])[:, :, 0], dtype=np.float64)


def _truncated_moments(
    mu: FloatArray, phi: FloatArray, log_q: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """For Y ~ NB(mu, phi) (arrays (S, k)) and the rule "keep y unless P(Y >= y) < q and y > mu":
    P(keep), E[Y; keep], E[(Y - mu)^2; keep]."""
    top = int(np.ceil(np.max(mu + 14.0 * np.sqrt(phi[:, None] * mu) + 10.0)))
    yg = np.arange(min(top, 2000), dtype=float)[None, None, :]
    m3, ph3 = mu[:, :, None], phi[:, None, None]
    pmf = np.exp(_nb_logpmf(yg, m3, ph3))
    # P(Y >= y) = 1 - cdf(y - 1)
    sf = 1.0 - np.concatenate([np.zeros_like(pmf[:, :, :1]), np.cumsum(pmf, axis=2)[:, :, :-1]], axis=2)
    keep = (np.log(np.maximum(sf, 1e-300)) >= log_q) | (yg <= m3 + 2.0 * np.sqrt(np.maximum(ph3, 1.0) * m3))
    pk = (pmf * keep).sum(2)
    e1 = (pmf * keep * yg).sum(2)
    e2 = (pmf * keep * (yg - m3) ** 2).sum(2)
    return pk, e1, e2


def _window_reject(
    y: FloatArray, mu: FloatArray, phi: FloatArray, lengths: tuple[int, ...], log_q: float
) -> NDArray[np.bool_]:
    """Days covered by a centred window (inside the history) whose sum is improbable under the fit."""
    bad = np.zeros(y.shape, dtype=bool)
    m = y.shape[1]
    cy = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(y, 1)], 1)
    cm = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(mu, 1)], 1)
    for length in lengths:
        if length > m:
            continue
        sy = cy[:, length:] - cy[:, :-length]  # window starting at j: days j..j+length-1
        sm = cm[:, length:] - cm[:, :-length]
        hit = _logsf_screened(sy, sm, phi[:, None]) < log_q
        for k in range(length):  # mark every day of a flagged window
            bad[:, k : k + hit.shape[1]] |= hit
    return bad


def _fit(
    win: _Window, st: _FitState, iters: int, log_q: float, log_qw: float, lengths: tuple[int, ...]
) -> _FitState:
    """Robust fit: leave out improbable (high) history days, then correct mean and dispersion for the
    upper tail that the rule also cuts from ordinary days, so both stay unbiased under the null."""
    beta, phi, corr = st.beta, st.phi, st.corr
    for _ in range(iters):
        mu = np.exp(np.clip(beta @ win.x.T, -12.0, 8.0)) * corr[:, win.season]
        keep = _logsf_screened(win.y, mu, phi[:, None]) >= log_q
        base = win.w
        if lengths:
            # days of past waves are dropped outright (from the data and from the expectations)
            base = base * ~_window_reject(win.y, mu, phi, lengths, log_qw)
        w_season = base @ win.season_onehot  # weight per season of the days that may be kept
        w = base * keep
        beta = _irls_step(win, w, beta, phi[:, None] * win.prior_precision[None, :])
        mu_fit = np.exp(np.clip(beta @ win.x.T, -12.0, 8.0))
        # typical full mean per season over the window (weighted), for the tail corrections
        mu_bar = ((base * mu_fit * corr[:, win.season]) @ win.season_onehot) / np.maximum(w_season, 1e-9)
        mu_bar = np.maximum(mu_bar, 1e-6)
        pk, e1, e2 = _truncated_moments(mu_bar, phi, log_q)
        cond_mean = e1 / np.maximum(pk, 1e-12)
        corr = np.clip(mu_bar / np.maximum(cond_mean, 1e-9), 1.0, 3.0)
        mu = mu_fit * corr[:, win.season]
        observed = (w * (win.y - mu) ** 2 / mu).sum(1)
        expected = (w_season * e2 / mu_bar).sum(1)
        phi = np.clip(phi * observed / np.maximum(expected * win.dof, 1e-12), 1.0, 100.0)
    return _FitState(beta, phi, corr)


def _refit(
    y_all: FloatArray,
    obs: NDArray[np.bool_],
    x_full: FloatArray,
    r: int,
    lo: int,
    hi: int,
    period: int,
    unit: float,
    params: DetectorParams,
    state: _FitState | None,
    log_q: float,
    log_qw: float,
) -> _FitState:
    """Fit the baseline on days lo..hi-1 for predictions around position r (warm start from state)."""
    win = _Window(y_all, obs, x_full, r, lo, hi, period, unit, params.half_life, params.season_prior_sd)
    if state is None:
        n_series, p = y_all.shape[0], x_full.shape[1] + 1
        wsum = np.maximum(win.w.sum(1), 1e-9)
        m0 = np.maximum((win.y * win.w).sum(1) / wsum, 0.05)
        v0 = (win.w * (win.y - m0[:, None]) ** 2).sum(1) / wsum
        beta0 = np.zeros((n_series, p))
        beta0[:, 0] = np.log(m0)
        state = _FitState(beta0, np.clip(v0 / m0, 1.0, 100.0), np.ones((n_series, period)))
        iters = 10
    else:
        iters = 3
    return _fit(win, state, iters, log_q, log_qw, params.reject_windows)


def detect(
    counts: FloatArray,
    eval_idx: NDArray[np.int64],
    params: DetectorParams | None = None,
    *,
    freq: int = 365,
    observed: NDArray[np.bool_] | None = None,
) -> Detection:
    """Run the detector on a batch of aligned series.

    ``counts``: (S, n) counts on a common grid (position 0 is a Monday for daily data); ``observed``: same
    shape, False where a series has no value (such points get zero weight). ``eval_idx``: increasing
    positions to evaluate. Returns arrays of shape (S, len(eval_idx)).
    """
    params = params or DetectorParams()
    y_all = np.asarray(counts, dtype=float)
    if y_all.ndim != 2:
        raise ValueError("counts must be 2-D (series x time)")
    obs = np.ones_like(y_all, dtype=bool) if observed is None else np.asarray(observed, dtype=bool)
    y_all = np.where(obs, y_all, 0.0)
    n_series, n = y_all.shape
    period = 7 if freq == 365 else 1
    unit = 365.0 if freq == 365 else 52.0
    x_full = _design(n, period, freq)
    n_eval = len(eval_idx)
    shape = (n_series, n_eval)
    res = Detection(
        alarm=np.zeros(shape, dtype=bool),
        score=np.zeros(shape),
        expected=np.full(shape, np.nan),
        dispersion=np.full(shape, np.nan),
    )
    state: _FitState | None = None
    w_len = max(params.max_window, params.tie_days + 1)
    alpha1 = params.false_alarm_rate * params.one_day_share
    alpha_l = params.false_alarm_rate * (1.0 - params.one_day_share) / max(1, w_len - 1)
    log_q = float(np.log(params.reject_p))
    log_qw = float(np.log(params.reject_window_p))
    fitted_at = -1
    for e, i in enumerate(np.asarray(eval_idx, dtype=np.int64)):
        i = int(i)
        # refit at fixed positions (multiples of refit_every), so a point's result does not depend on
        # where the evaluation started; the fit at r uses days before r - guard only
        r = i - i % max(1, params.refit_every)
        hi = r - params.guard
        lo = max(0, hi - params.history)
        if hi - lo < params.min_history:
            continue
        if r != fitted_at:
            state = _refit(y_all, obs, x_full, r, lo, hi, period, unit, params, state, log_q, log_qw)
            fitted_at = r
        assert state is not None
        phi = state.phi
        # expected counts of the last w_len days (all inside the guard band)
        pred_pos = np.arange(i - w_len + 1, i + 1)
        xp = np.column_stack([x_full[pred_pos], (pred_pos - r) / unit])
        mu_pred = np.exp(np.clip(state.beta @ xp.T, -12.0, 8.0)) * state.corr[:, pred_pos % period]
        y_pred = y_all[:, pred_pos]
        mu_t = mu_pred[:, -1]
        y_t = y_pred[:, -1]
        # One-day test made exact at the budget: counts are discrete, so the day's count alone cannot hit
        # the false-alarm budget (the tail probability jumps over it). Days are ordered by their own count
        # first and, among days with the same count, by the evidence of the preceding days (their sum):
        # P_lex = P(Y_t > y_t) + P(Y_t = y_t) * P(S >= s). Under the null the preceding days are
        # independent of day t, so P(P_lex <= a) ~ a: the budget is met without randomisation, and the
        # days at the margin alarm only when the wave is already building.
        ge = np.exp(nb_logsf(y_t, mu_t, phi))
        gt = np.exp(nb_logsf(y_t + 1.0, mu_t, phi))
        if params.tie_days > 0:
            prev = slice(w_len - 1 - params.tie_days, w_len - 1)
            s_y = y_pred[:, prev].sum(1)
            s_mu = mu_pred[:, prev].sum(1)
            tie = np.exp(nb_logsf(s_y, s_mu, phi))
        else:
            tie = np.ones(n_series)
        p_lex = gt + np.maximum(ge - gt, 0.0) * tie
        score = (
            -np.log10(np.maximum(p_lex, 1e-300)) + np.log10(alpha1)
            if alpha1 > 0
            else np.full(n_series, -np.inf)
        )
        score = np.where(y_t >= params.min_count, score, -np.inf)
        for ln in range(2, params.max_window + 1):
            s_y = y_pred[:, -ln:].sum(1)
            s_mu = mu_pred[:, -ln:].sum(1)
            lsf = nb_logsf(s_y, s_mu, phi)
            sc = -lsf / np.log(10.0) + np.log10(alpha_l)
            # the latest day must itself be above its expectation: otherwise a wave that just ended
            # keeps alarming through the window sums
            sc = np.where(y_t > mu_t, sc, -np.inf)
            score = np.maximum(score, sc)
        res.score[:, e] = np.where(np.isfinite(score), score, -10.0)
        res.alarm[:, e] = score > 0
        res.expected[:, e] = mu_t
        res.dispersion[:, e] = phi
        res.alarm[:, e] &= obs[:, i]
    return res
