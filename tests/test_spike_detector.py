"""The spike detector on synthetic negative-binomial series generated here with fixed seeds."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.spikes.detector import DetectorParams, detect

DOW = np.array([0.6, 0.4, 0.2, 0.0, 0.0, -1.0, -0.8])
DOW = DOW - DOW.mean()


def nb_series(rng: np.random.Generator, mu: np.ndarray, phi: float, n_series: int) -> np.ndarray:
    size = mu / (phi - 1.0)
    return rng.negative_binomial(size, 1.0 / phi, size=(n_series, len(mu))).astype(float)


def weekly_mean(n: int, level: float, amplitude: float = 0.3) -> np.ndarray:
    return level * np.exp(amplitude * DOW[np.arange(n) % 7])


N, N_EVAL = 420, 120
EVAL = np.arange(N - N_EVAL, N)
PARAMS = DetectorParams(false_alarm_rate=0.01, history=365)


@pytest.mark.parametrize(("level", "phi"), [(0.7, 1.5), (3.0, 2.0)])
def test_false_alarm_rate_under_a_stationary_null_is_near_the_budget(level: float, phi: float) -> None:
    rng = np.random.default_rng(20240101)
    y = nb_series(rng, weekly_mean(N, level), phi, 60)
    det = detect(y, EVAL, PARAMS)
    rate = det.alarm.mean()  # 7200 days; a 1% budget gives 72 +- 8.5 alarms if calibrated
    assert 0.004 <= rate <= 0.016, rate
    assert det.dispersion[:, -1].mean() == pytest.approx(phi, rel=0.15)


def test_an_injected_burst_is_detected_quickly() -> None:
    rng = np.random.default_rng(7)
    mu = weekly_mean(N, 2.0)
    y = nb_series(rng, mu, 2.0, 40)
    start = N - 40
    y[:, start : start + 5] += rng.poisson(3.0 * np.sqrt(2.0 * mu[start : start + 5]), size=(40, 5))
    det = detect(y, EVAL, PARAMS)
    in_burst = det.alarm[:, start - EVAL[0] : start - EVAL[0] + 5]
    assert in_burst.any(axis=1).mean() >= 0.85
    first = np.argmax(in_burst, axis=1)[in_burst.any(axis=1)]
    assert np.median(first) <= 1
    # before the burst the same series are quiet
    assert det.alarm[:, : start - EVAL[0]].mean() <= 0.02


def test_weekday_effect_is_modelled_not_alarmed() -> None:
    rng = np.random.default_rng(11)
    mu = weekly_mean(N, 3.0, amplitude=0.8)  # Mondays ~5x Saturdays
    y = nb_series(rng, mu, 1.5, 60)
    det = detect(y, EVAL, PARAMS)
    mondays = (EVAL % 7) == 0
    assert det.alarm[:, mondays].mean() <= 0.03
    ratio = det.expected / mu[EVAL]
    assert np.median(ratio[:, mondays]) == pytest.approx(1.0, abs=0.1)
    assert np.median(ratio[:, (EVAL % 7) == 5]) == pytest.approx(1.0, abs=0.15)


def test_drift_is_followed() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(N)
    mu = weekly_mean(N, 1.0) * np.exp(np.log(4.0) * t / (N - 1))  # x4 over the series
    y = nb_series(rng, mu, 1.5, 60)
    det = detect(y, EVAL, PARAMS)
    assert det.alarm.mean() <= 0.02
    assert np.median(det.expected / mu[EVAL]) == pytest.approx(1.0, abs=0.1)


def test_alarms_do_not_depend_on_future_counts() -> None:
    rng = np.random.default_rng(5)
    y = nb_series(rng, weekly_mean(N, 2.0), 2.0, 20)
    y[:, N - 70 : N - 66] += 6  # something to alarm on before the cut
    cut = N - 50
    full = detect(y, EVAL, PARAMS)
    changed = y.copy()
    changed[:, cut + 1 :] = changed[:, cut + 1 :] * 10 + 50
    pert = detect(changed, EVAL, PARAMS)
    truncated = detect(y[:, : cut + 1], EVAL[cut >= EVAL], PARAMS)
    k = int((cut >= EVAL).sum())
    assert full.alarm[:, :k].any()
    np.testing.assert_array_equal(full.alarm[:, :k], pert.alarm[:, :k])
    np.testing.assert_array_equal(full.alarm[:, :k], truncated.alarm)
    np.testing.assert_allclose(full.score[:, :k], truncated.score)
    assert pert.alarm[:, k:].all()  # and the inflated future does alarm


def test_short_history_gives_no_alarm() -> None:
    y = np.array([[0.0] * 20 + [9.0]])
    det = detect(y, np.array([20]), PARAMS)
    assert not det.alarm.any()
