"""Schedules, parameterisations and samplers against closed-form Gaussian cases."""

from __future__ import annotations

import math

import pytest
import torch

from deval.errors import ConfigError
from deval.generators.diffusion.ddpm import ddpm_posterior
from deval.generators.diffusion.parameterization import (
    PREDICTION_TYPES, from_x0, min_snr_weight, to_eps, to_x0, training_target,
)
from deval.generators.diffusion.samplers import make_sampler
from deval.generators.diffusion.schedules import NoiseSchedule, inference_timesteps


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_alphas_cumprod_strictly_decreasing(kind):
    s = NoiseSchedule(kind, 1000)
    ab = s.alphas_cumprod
    assert torch.all(ab[1:] < ab[:-1])
    assert 0.99 < float(ab[0]) <= 1.0 and float(ab[-1]) < 1e-2
    assert torch.all((s.betas > 0) & (s.betas < 1))


def test_cosine_schedule_endpoints_match_formula():
    T, s = 1000, 0.008
    sched = NoiseSchedule("cosine", T)
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    for t in (0, 10, 250, 500, 900):
        assert float(sched.alphas_cumprod[t]) == pytest.approx(f(t + 1) / f(0), rel=1e-9)
    assert float(sched.alphas_cumprod[-1]) < 1e-6  # the end is (almost) pure noise
    assert float(sched.betas.max()) == pytest.approx(0.999)  # clipped last beta


def test_linear_schedule_betas():
    sched = NoiseSchedule("linear", 1000)
    assert float(sched.betas[0]) == pytest.approx(1e-4) and float(sched.betas[-1]) == pytest.approx(0.02)


def test_bad_schedule_raises():
    with pytest.raises(ConfigError):
        NoiseSchedule("sigmoid")
    with pytest.raises(ConfigError):
        make_sampler("euler", NoiseSchedule(), "epsilon")


def test_inference_timesteps():
    ts = inference_timesteps(1000, 10)
    assert ts[0] == 999 and len(ts) == 10 and torch.all(ts[1:] < ts[:-1]) and ts[-1] > 0
    assert torch.equal(inference_timesteps(1000, 1000), torch.arange(999, -1, -1))
    ab = NoiseSchedule("cosine").alphas_cumprod
    ls = inference_timesteps(1000, 10, "logsnr", ab)
    assert ls[0] == 999 and torch.all(ls[1:] < ls[:-1]) and ls[-1] < ts[-1]  # denser near clean data
    lam = 0.5 * torch.log(ab[ls[1:]] / (1 - ab[ls[1:]]))
    assert torch.allclose(lam.diff(), lam.diff().mean(), rtol=0.2)  # ~uniform in log-SNR
    with pytest.raises(ConfigError):
        inference_timesteps(1000, 0)


@pytest.mark.parametrize("ptype", PREDICTION_TYPES)
def test_conversions_are_exact_inverses(ptype):
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(64, 5, dtype=torch.float64, generator=g)
    eps = torch.randn(64, 5, dtype=torch.float64, generator=g)
    for abar in (0.999, 0.5, 1e-3):
        a, s = abar ** 0.5, (1 - abar) ** 0.5
        xt = a * x0 + s * eps
        target = training_target(x0, eps, a, s, ptype)
        torch.testing.assert_close(to_x0(target, xt, a, s, ptype), x0)
        torch.testing.assert_close(to_eps(target, xt, a, s, ptype), eps)
        torch.testing.assert_close(from_x0(x0, xt, a, s, ptype), target)


@pytest.mark.parametrize("ptype", PREDICTION_TYPES)
def test_min_snr_weight_equals_clipped_snr_times_x0_loss(ptype):
    """Weighted loss in any parameterisation == min(snr, gamma) * ||x0_hat - x0||^2."""
    g = torch.Generator().manual_seed(1)
    x0, eps, err = (torch.randn(3, dtype=torch.float64, generator=g) for _ in range(3))
    for abar in (0.99, 0.6, 0.05):
        a, s = abar ** 0.5, (1 - abar) ** 0.5
        xt = a * x0 + s * eps
        x0_hat = x0 + err
        out = from_x0(x0_hat, xt, a, s, ptype)
        snr = torch.tensor(abar / (1 - abar), dtype=torch.float64)
        w = min_snr_weight(snr, 5.0, ptype)
        lhs = w * ((out - training_target(x0, eps, a, s, ptype)) ** 2).sum()
        rhs = min(float(snr), 5.0) * (err ** 2).sum()
        assert float(lhs) == pytest.approx(float(rhs), rel=1e-9)


def test_ddpm_posterior_matches_gaussian_conditioning():
    """q(x_s | x_t, x0) from the joint Gaussian of (x_s, x_t) given x0."""
    sched = NoiseSchedule("cosine", 1000)
    x0 = torch.tensor([0.7, -1.3], dtype=torch.float64)
    xt = torch.tensor([0.1, 2.0], dtype=torch.float64)
    for t, s in ((500, 499), (500, 300), (10, 0)):
        ab_t, ab_s = float(sched.alphas_cumprod[t]), float(sched.alphas_cumprod[s])
        # x_s = sqrt(ab_s) x0 + sqrt(1-ab_s) e1 ; x_t = sqrt(ab_t/ab_s) x_s + sqrt(1-ab_t/ab_s) e2
        cov_st = math.sqrt(ab_t / ab_s) * (1 - ab_s)
        var_t = 1 - ab_t
        mean_ref = math.sqrt(ab_s) * x0 + cov_st / var_t * (xt - math.sqrt(ab_t) * x0)
        var_ref = (1 - ab_s) - cov_st ** 2 / var_t
        mean, var = ddpm_posterior(x0, xt, ab_t, ab_s)
        torch.testing.assert_close(mean, mean_ref)
        assert var == pytest.approx(var_ref, rel=1e-9)


def _gaussian_denoiser(sched, mu, sd, ptype):
    """Exact E[x0 | x_t] for x0 ~ N(mu, sd^2), returned in parameterisation ``ptype``."""

    def model(x, t):
        abar = float(sched.alphas_cumprod[int(t)])
        a, s = abar ** 0.5, (1 - abar) ** 0.5
        x0 = mu + a * sd ** 2 / (abar * sd ** 2 + 1 - abar) * (x - a * mu)
        return from_x0(x0, x, a, s, ptype)

    return model


def _run(sampler, model, n, steps, seed=0):
    g = torch.Generator().manual_seed(seed)
    sampler.set_timesteps(steps)
    x = torch.randn(n, 2, dtype=torch.float64, generator=g)
    for t in sampler.timesteps:
        x = sampler.step(model(x, t), t, x, generator=g).prev_sample
    return x


MU = torch.tensor([1.5, -0.5], dtype=torch.float64)
SD = torch.tensor([0.3, 2.0], dtype=torch.float64)


@pytest.mark.parametrize("ptype", PREDICTION_TYPES)
@pytest.mark.parametrize("name,steps,tol", [("dpm-solver", 20, 0.015), ("dpm-solver", 10, 0.03), ("ddim", 50, 0.05)])
def test_deterministic_samplers_map_noise_to_gaussian_data(name, steps, tol, ptype):
    sched = NoiseSchedule("cosine", 1000)
    sampler = make_sampler(name, sched, ptype)
    x = _run(sampler, _gaussian_denoiser(sched, MU, SD, ptype), 100_000, steps)
    assert torch.all((x.mean(0) - MU).abs() < 4 * SD / len(x) ** 0.5)
    torch.testing.assert_close(x.std(0) / SD, torch.ones(2, dtype=torch.float64), atol=tol, rtol=0)


def test_ddim_is_deterministic_and_ddim_eta1_ddpm_are_stochastic_but_seeded():
    sched = NoiseSchedule("linear", 1000)
    model = _gaussian_denoiser(sched, MU, SD, "epsilon")
    a = _run(make_sampler("ddim", sched, "epsilon"), model, 10, 20, seed=0)
    g = torch.Generator().manual_seed(0)
    s = make_sampler("ddim", sched, "epsilon")
    s.set_timesteps(20)
    x = torch.randn(10, 2, dtype=torch.float64, generator=g)
    for t in s.timesteps:
        x = s.step(model(x, t), t, x, generator=torch.Generator().manual_seed(99)).prev_sample
    torch.testing.assert_close(a, x)  # eta = 0 ignores the generator
    b1 = _run(make_sampler("ddim", sched, "epsilon", eta=1.0), model, 10, 20, seed=0)
    b2 = _run(make_sampler("ddim", sched, "epsilon", eta=1.0), model, 10, 20, seed=0)
    torch.testing.assert_close(b1, b2)
    assert not torch.allclose(a, b1)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_ddpm_all_steps_samples_gaussian_data(kind):
    sched = NoiseSchedule(kind, 1000)
    n = 8000
    x = _run(make_sampler("ddpm", sched, "epsilon"), _gaussian_denoiser(sched, MU, SD, "epsilon"), n, 1000)
    assert torch.all((x.mean(0) - MU).abs() < 4 * SD / n ** 0.5)
    torch.testing.assert_close(x.std(0) / SD, torch.ones(2, dtype=torch.float64), atol=0.03, rtol=0)


def test_stochastic_ddim_converges_to_gaussian_data():
    """DDIM(eta=1) is a strided DDPM: its variance error shrinks with the step count."""
    sched = NoiseSchedule("cosine", 1000)
    model = _gaussian_denoiser(sched, MU, SD, "v_prediction")
    errs = []
    for steps in (50, 200):
        x = _run(make_sampler("ddim", sched, "v_prediction", eta=1.0, timestep_spacing="logsnr"), model, 8000, steps)
        errs.append(float((x.std(0) / SD - 1).abs().max()))
    assert errs[1] < errs[0] and errs[1] < 0.03


def test_second_order_beats_first_order():
    """DPM-Solver++(2M) is more accurate than first order (= DDIM) at the same step count."""
    sched = NoiseSchedule("cosine", 1000)
    model = _gaussian_denoiser(sched, MU, SD, "epsilon")
    from deval.generators.diffusion.dpm_solver import DPMSolverMultistepScheduler

    err = {}
    for order in (1, 2):
        x = _run(DPMSolverMultistepScheduler(sched, "epsilon", solver_order=order), model, 50_000, 8)
        err[order] = float((x.std(0) / SD - 1).abs().max())
    assert err[2] < err[1]


def test_the_model_takes_a_sampler_object_as_a_pipeline_takes_a_scheduler():
    from deval.generators import get

    gen = get("diffusion")()
    if gen.model is None:
        pytest.skip("the pretrained diffusion model is not installed")
    model = gen.model.eval()
    mask = torch.ones(4, 16, dtype=torch.bool)
    goal = torch.zeros(4, gen._require()[1].goal_dim)
    with torch.no_grad():
        by_name = model.sample(mask, goal, sampler="ddim", steps=5, generator=torch.Generator().manual_seed(0))
        obj = make_sampler("ddim", model.schedule, model.prediction_type)
        by_object = model.sample(mask, goal, sampler=obj, steps=5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(by_name, by_object)
