"""Generators: a shared contract test for every generator, plus what each style does.

A new generator gets the whole contract by subclassing :class:`GeneratorContract`
and naming its class and configuration (like diffusers' scheduler tests)::

    class TestMyBot(GeneratorContract):
        generator_class = MyBot
        config = {"speed": (500.0, 900.0)}
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from deval.canonical import canonicalize
from deval.errors import ConfigError, DataError
from deval.generators import Generator, TrainableGenerator, get
from deval.generators.contract import CHECKS, check_generator, random_endpoints
from deval.generators.minimum_jerk import MinimumJerkBot, minimum_jerk_profile, via_point_coefficients
from deval.generators.noise import NoiseBot
from deval.generators.pid import PIDBot
from deval.generators.replay import ReplayBot
from deval.generators.sigma_lognormal import SigmaLognormalBot, arc_displacement, lognormal_fraction
from deval.generators.spline import SplineBot
from deval.trajectories import Endpoints, Trajectories

EXAMPLE_PLUGIN = Path(__file__).resolve().parents[1] / "examples" / "third_party_generator"


def inner_steps(traj: Trajectories) -> np.ndarray:
    """Boolean mask over np.diff(points): steps inside a movement."""
    inner = np.ones(max(traj.n_points - 1, 0), dtype=bool)
    inner[traj.offsets[1:-1] - 1] = False
    return inner


class GeneratorContract:
    """What every generator must do. Subclasses set ``generator_class`` and ``config``."""

    generator_class: ClassVar[type[Generator]]
    config: ClassVar[dict[str, Any]] = {}
    n: ClassVar[int] = 64

    def make(self, **overrides: Any) -> Generator:
        return self.generator_class(**{**self.config, **overrides})

    @pytest.fixture
    def gen(self) -> Generator:
        return self.make()

    # ------------------------------------------------------------ contract
    def test_contract(self):
        """The library contract (deval.generators.contract.check_generator): endpoints, time, seeding, labels,
        sizes, description."""
        assert check_generator(self.make, self.n) == list(CHECKS)

    def test_sampling_interval_is_realistic(self, gen):
        traj = gen.sample(200, seed=4)
        dt = np.diff(traj.t)[inner_steps(traj)]
        assert 0.004 <= np.median(dt) <= 0.050
        assert 0.05 <= np.median(traj.durations) <= 5.0

    def test_cond_with_one_movement_and_many(self, gen):
        one = random_endpoints(1, seed=8)
        traj = gen.sample(1, cond=one, seed=0)
        assert len(traj) == 1
        np.testing.assert_allclose(traj.end, one.end, atol=1e-6, rtol=0)
        many = random_endpoints(1500, seed=9, integer=True)
        traj = gen.sample(1500, cond=many, seed=0)
        np.testing.assert_allclose(traj.start, many.start, atol=1e-9, rtol=0)
        np.testing.assert_allclose(traj.end, many.end, atol=1e-6, rtol=0)
        traj.validate()

    def test_own_endpoints_are_plausible(self, gen):
        traj = gen.sample(500, seed=10)
        for pts in (traj.start, traj.end):
            assert (pts >= 0).all() and (pts[:, 0] <= 1920).all() and (pts[:, 1] <= 1080).all()
        assert 250 <= np.median(traj.endpoints().distance) <= 700

    def test_zero_and_tiny_distances(self, gen):
        start = np.array([[100.0, 100.0], [500.5, 300.25], [10.0, 10.0]])
        end = start + np.array([[0.0, 0.0], [0.4, -0.3], [3.0, 0.0]])
        traj = gen.sample(3, cond=Endpoints(start, end), seed=0)
        traj.validate()
        np.testing.assert_allclose(traj.end, end, atol=1e-6, rtol=0)

    def test_unknown_parameter_is_rejected(self):
        with pytest.raises(ConfigError, match="unknown parameter 'no_such_param'"):
            self.make(no_such_param=1)

    def test_out_of_range_parameters_are_rejected(self):
        """Every bounded parameter refuses a value beyond its bounds, naming itself."""
        for spec in self.generator_class.param_specs:
            bad = []
            if spec.high is not None:
                bad.append(spec.high + abs(spec.high) + 1)
            if spec.low is not None:
                bad.append(spec.low - abs(spec.low) - 1)
            if spec.kind == "choice":
                bad.append("not-a-choice")
            if spec.kind == "bool":
                bad.append("yes")
            for value in bad:
                with pytest.raises(ConfigError, match=f"'{spec.name}'"):
                    self.make(**{spec.name: value})

    def test_describe_lists_every_parameter(self):
        text = self.generator_class.describe()
        assert text.startswith(f"{self.generator_class.name}: ") or text.startswith(
            f"{self.generator_class.name} (trainable): ")
        for spec in self.generator_class.param_specs:
            assert spec.name in text


class DurationContract:
    """Scripted bots follow durations given with the endpoints when ``use_duration`` is set."""

    def test_use_duration_follows_requested_durations(self):
        cond = random_endpoints(400, seed=11)
        traj = self.make(use_duration=True).sample(400, cond=cond, seed=0)
        ratio = traj.durations / cond.duration
        assert 0.75 <= np.median(ratio) <= 1.3
        assert np.corrcoef(traj.durations, cond.duration)[0, 1] > 0.8
        free = self.make().sample(400, cond=cond, seed=0)
        assert np.corrcoef(free.durations, cond.duration)[0, 1] < 0.5  # its own timing otherwise


# ---------------------------------------------------------------- per style
class TestNoiseBot(GeneratorContract, DurationContract):
    generator_class = NoiseBot

    def test_without_noise_the_path_is_the_straight_line_at_constant_speed(self):
        bot = NoiseBot(point_noise=0.0, drift=0.0, jitter=0.0, drop=0.0, dwell_start=0, dwell_end=0,
                       integer_pixels=False, speed=1000.0, rate_hz=100.0, min_duration=0.001)
        cond = Endpoints([[0.0, 0.0]], [[300.0, 400.0]])
        m = bot.sample(1, cond=cond, seed=0).movement(0)
        np.testing.assert_allclose(m[:, 1] / 400.0, m[:, 0] / 300.0, atol=1e-12)  # on the line
        np.testing.assert_allclose(np.diff(m[:, 2]), 0.01, rtol=1e-9)  # metronome at 100 Hz
        np.testing.assert_allclose(m[-1, 2], 0.5, rtol=1e-9)  # 500 px at 1000 px/s
        np.testing.assert_allclose(np.hypot(*np.diff(m[:, :2], axis=0).T), 10.0, rtol=1e-9)

    def test_noise_scales_the_deviation(self):
        cond = random_endpoints(300, seed=1)
        lateral = {}
        for sd in (0.5, 5.0):
            traj = NoiseBot(point_noise=sd, drift=0.0, integer_pixels=False).sample(300, cond=cond, seed=0)
            canon, _ = canonicalize(traj)
            lateral[sd] = np.std(canon.y)
        assert 6 < lateral[5.0] / lateral[0.5] < 14


class TestSplineBot(GeneratorContract, DurationContract):
    generator_class = SplineBot

    def test_zero_curvature_is_straight(self):
        bot = SplineBot(curvature=0.0, point_noise=0.0, integer_pixels=False)
        canon, _ = canonicalize(bot.sample(50, seed=0))
        assert np.abs(canon.y).max() < 1e-9

    def test_curvature_bends_the_path(self):
        cond = random_endpoints(300, seed=2)
        dev = []
        for c in ((0.02, 0.05), (0.3, 0.4)):
            canon, _ = canonicalize(SplineBot(curvature=c, point_noise=0.0).sample(300, cond=cond, seed=0))
            dev.append(np.median(np.abs(canon.y)))
        assert dev[1] > 4 * dev[0]

    @pytest.mark.parametrize("curve", ["bezier", "catmull-rom"])
    def test_easing_sets_the_speed_profile(self, curve):
        bot = SplineBot(curve=curve, easing="smoothstep", point_noise=0.0, integer_pixels=False, jitter=0.0,
                        drop=0.0, dwell_start=0, dwell_end=0, rate_hz=1000.0, curvature=0.0)
        m = bot.sample(1, cond=Endpoints([[0.0, 0.0]], [[600.0, 0.0]]), seed=0).movement(0)
        assert m[0, 0] == 0 and m[-1, 0] == 600
        speed = np.abs(np.diff(m[:, 0])) / np.diff(m[:, 2])
        assert speed[:5].mean() < 0.1 * speed.max() and speed[-5:].mean() < 0.1 * speed.max()  # eased in and out
        linear = SplineBot(curve=curve, easing="linear", point_noise=0.0, integer_pixels=False, jitter=0.0, drop=0.0,
                           dwell_start=0, dwell_end=0, rate_hz=1000.0, curvature=0.0, n_control=1)
        m = linear.sample(1, cond=Endpoints([[0.0, 0.0]], [[600.0, 0.0]]), seed=0).movement(0)
        speed = np.abs(np.diff(m[:, 0])) / np.diff(m[:, 2])
        assert speed[:5].mean() > 0.2 * speed.max()  # no easing: moves from the first step


class TestPIDBot(GeneratorContract, DurationContract):
    generator_class = PIDBot

    def _along(self, **params):
        cond = Endpoints(np.zeros((200, 2)), np.tile([[400.0, 0.0]], (200, 1)))
        base = dict(force_noise=0.0, integer_pixels=False, ki_ratio=0.0, dwell_start=0, dwell_end=0)
        traj = PIDBot(**{**base, **params}).sample(200, cond=cond, seed=0)
        peak = np.maximum.reduceat(traj.x, traj.first_index)
        return traj, peak

    def test_underdamped_loops_overshoot_and_overdamped_do_not(self):
        _, peak = self._along(zeta=0.2, omega=10.0)
        assert np.all(peak > 420)  # overshoots by > 5 %
        _, peak = self._along(zeta=1.5, omega=10.0)
        assert np.all(peak <= 400 + 1e-6)

    def test_low_damping_oscillates_longer(self):
        fast, _ = self._along(zeta=0.9, omega=12.0)
        slow, _ = self._along(zeta=0.25, omega=12.0)
        assert np.median(slow.durations) > 1.5 * np.median(fast.durations)

    def test_settles_and_snaps_to_the_target(self):
        traj, _ = self._along(zeta=0.7, omega=12.0, settle_px=1.0)
        before_last = traj.x[traj.last_index - 1]
        assert np.all(np.abs(before_last - 400) < 3)  # already close when it stopped
        assert np.all(traj.x[traj.last_index] == 400)


class TestMinimumJerkBot(GeneratorContract, DurationContract):
    generator_class = MinimumJerkBot

    def test_single_reach_is_the_flash_hogan_polynomial(self):
        bot = MinimumJerkBot(corrections=0, via_prob=0.0, integer_pixels=False, jitter=0.0, drop=0.0,
                             dwell_start=0, dwell_end=0, rate_hz=500.0, fitts_a=0.5, fitts_b=0.0)
        m = bot.sample(1, cond=Endpoints([[0.0, 0.0]], [[500.0, 0.0]]), seed=0).movement(0)
        tau = m[:, 2] / 0.5
        np.testing.assert_allclose(m[:, 0], 500 * (10 * tau ** 3 - 15 * tau ** 4 + 6 * tau ** 5), atol=1e-9)
        speed = np.diff(m[:, 0]) / np.diff(m[:, 2])
        assert abs(m[np.argmax(speed), 2] - 0.25) < 0.005  # symmetric bell: peak at mid-movement
        np.testing.assert_allclose(speed.max(), 1.875 * 500 / 0.5, rtol=1e-3)  # peak = 15/8 D/T

    def test_via_point_solution_meets_its_conditions(self):
        rng = np.random.default_rng(0)
        target = rng.uniform(100, 800, (50, 2))
        via = target * rng.uniform(0.3, 0.7, (50, 1)) + rng.normal(0, 80, (50, 2))
        tau1 = rng.uniform(0.3, 0.7, 50)
        c = via_point_coefficients(target, via, tau1)

        def x(tau, d=0):
            p = np.polynomial.polynomial
            out = np.zeros((50, 2))
            for i in range(50):
                for ax in range(2):
                    poly = np.array([0, 0, 0, *c[i, :3, ax]])
                    plus = np.zeros(6)
                    plus[5] = c[i, 3, ax]
                    val = p.polyval(tau, p.polyder(poly, d))
                    shift = tau - tau1[i]
                    if shift > 0:
                        val += p.polyval(shift, p.polyder(plus, d))
                    out[i, ax] = val
            return out

        np.testing.assert_allclose(x(1.0), target, atol=1e-8)
        np.testing.assert_allclose(x(1.0, 1), 0, atol=1e-7)
        np.testing.assert_allclose(x(1.0, 2), 0, atol=1e-6)
        got_via = np.array([[np.polynomial.polynomial.polyval(tau1[i], [0, 0, 0, *c[i, :3, ax]]) for ax in range(2)]
                            for i in range(50)])
        np.testing.assert_allclose(got_via, via, atol=1e-8)

    def test_via_point_on_the_straight_path_needs_no_extra_term(self):
        target = np.array([[400.0, 0.0]])
        tau1 = np.array([0.4])
        via = minimum_jerk_profile(tau1)[:, None] * target
        c = via_point_coefficients(target, via, tau1)
        np.testing.assert_allclose(c[0, :, 0], [4000.0, -6000.0, 2400.0, 0.0], atol=1e-7)

    def test_corrections_add_speed_peaks(self):
        cond = random_endpoints(300, seed=3)
        one = MinimumJerkBot(corrections=0, via_prob=0.0).sample(300, cond=cond, seed=0)
        more = MinimumJerkBot(corrections=2, gain=(0.7, 0.8), correction_onset=(1.0, 1.0)).sample(300, cond=cond, seed=0)
        assert np.median(more.durations) > np.median(one.durations) + 0.2


class TestSigmaLognormalBot(GeneratorContract, DurationContract):
    generator_class = SigmaLognormalBot

    def test_one_straight_stroke_has_a_lognormal_speed_profile(self):
        mu, sigma = -1.2, 0.3
        bot = SigmaLognormalBot(strokes=1, mu=mu, mu_slope=0.0, sigma=sigma, curvature=1e-3, drift_px=0.0,
                                poll_hz=None, jitter=0.0, drop=0.0, dwell_start=0, dwell_end=0, rate_hz=2000.0,
                                integer_pixels=False, ms_timestamps=False, event_driven=False)
        m = bot.sample(1, cond=Endpoints([[0.0, 0.0]], [[450.0, 0.0]]), seed=0).movement(0)
        speed = np.hypot(*np.diff(m[:, :2], axis=0).T) / np.diff(m[:, 2])
        t_mid = 0.5 * (m[1:, 2] + m[:-1, 2])
        assert abs(t_mid[np.argmax(speed)] - math.exp(mu - sigma ** 2)) < 2e-3  # mode of the lognormal
        # and the whole profile: D * lognormal pdf, normalised to the end of the movement
        pdf = np.exp(-(np.log(t_mid) - mu) ** 2 / (2 * sigma ** 2)) / (sigma * math.sqrt(2 * math.pi) * t_mid)
        f_end = lognormal_fraction(np.array([m[-1, 2]]), np.zeros(1), np.array([mu]), np.array([sigma]))[0]
        np.testing.assert_allclose(speed, 450 * pdf / f_end, rtol=2e-2, atol=1.0)

    def test_arc_geometry(self):
        chord = np.array([[300.0, 0.0], [0.0, 100.0]])
        delta = np.array([math.pi / 2, -0.5])
        length, theta_s, _ = arc_displacement(chord, delta)
        # a quarter circle with chord 300 has radius 300 / sqrt(2) and length pi/2 * r
        np.testing.assert_allclose(length[0], math.pi / 2 * 300 / math.sqrt(2))
        np.testing.assert_allclose(theta_s, [-math.pi / 4, math.pi / 2 + 0.25])

    def test_recorder_gives_whole_milliseconds_and_few_repeats(self):
        traj = SigmaLognormalBot().sample(300, seed=0)
        np.testing.assert_allclose(traj.t * 1000, np.round(traj.t * 1000), atol=1e-6)
        steps = np.hypot(np.diff(traj.x), np.diff(traj.y))[inner_steps(traj)]
        last_step = np.zeros(len(steps), dtype=bool)
        idx = np.cumsum(traj.lengths - 1) - 1
        last_step[idx] = True
        assert np.all(steps[~last_step] > 0)  # move events only; the click may repeat the last position


@pytest.fixture(scope="module")
def replay_library(tmp_path_factory) -> Path:
    """A small 'real' file to replay (sigma-lognormal movements relabelled as human)."""
    traj = SigmaLognormalBot().sample(300, seed=42).with_meta(style="human", label=0)
    path = tmp_path_factory.mktemp("replay") / "real.npz"
    traj.save(path)
    return path


class TestReplayBot(GeneratorContract, DurationContract):
    generator_class = ReplayBot

    @pytest.fixture(autouse=True)
    def _library(self, replay_library):
        self.config = {"data": str(replay_library)}

    def test_replays_the_shape_of_a_library_movement(self, replay_library):
        bot = ReplayBot(data=str(replay_library), time_stretch=1.0, noise=0.0, mirror_prob=0.0,
                        integer_pixels=False, ms_timestamps=False, event_driven=False, candidates=1)
        lib = bot.library
        d = lib.x[lib.last_index[150]]
        cond = Endpoints([[100.0, 900.0]], [[100.0, 900.0 - d]])  # same distance, pointing up the screen
        out = bot.sample(1, cond=cond, seed=0)
        canon, _ = canonicalize(out)
        np.testing.assert_allclose(canon.x, lib[150].x, atol=1e-9)
        np.testing.assert_allclose(canon.y, lib[150].y, atol=1e-9)
        np.testing.assert_allclose(out.t, lib[150].t)

    def test_warps_onto_any_endpoints_by_rotation_and_scale(self, replay_library):
        from deval.io import load_trajectories

        one = load_trajectories(replay_library)[7]
        bot = ReplayBot(time_stretch=1.0, noise=0.0, mirror_prob=0.0, integer_pixels=False, ms_timestamps=False,
                        event_driven=False).fit(one)
        src, _ = canonicalize(one)
        cond = random_endpoints(5, seed=4)
        out = bot.sample(5, cond=cond, seed=0)
        canon, _ = canonicalize(out)
        scale = cond.distance / src.x[-1]
        for i in range(5):
            np.testing.assert_allclose(canon[i].x, scale[i] * src.x, atol=1e-8)
            np.testing.assert_allclose(canon[i].y, scale[i] * src.y, atol=1e-8)

    def test_time_stretch_and_mirror(self, replay_library):
        bot = ReplayBot(data=str(replay_library), time_stretch=2.0, noise=0.0, mirror_prob=1.0, candidates=1,
                        integer_pixels=False, ms_timestamps=False, event_driven=False)
        lib = bot.library
        cond = Endpoints([[0.0, 0.0]], [[lib.x[lib.last_index[10]], 0.0]])
        out = bot.sample(1, cond=cond, seed=0)
        np.testing.assert_allclose(out.t, 2 * lib[10].t)
        np.testing.assert_allclose(out.y, -lib[10].y, atol=1e-9)

    def test_needs_data(self):
        bot = ReplayBot()
        assert not bot.is_fitted
        with pytest.raises(ConfigError, match="no movements to replay"):
            bot.sample(3, seed=0)
        with pytest.raises(DataError):
            ReplayBot(data="/nonexistent/real.npz")

    def test_save_load_roundtrip(self, replay_library, tmp_path):
        bot = ReplayBot(data=str(replay_library), noise=(0.0, 0.5))
        bot.save(tmp_path / "ckpt")
        again = ReplayBot.load(tmp_path / "ckpt")
        assert isinstance(again, TrainableGenerator) and again.is_fitted
        assert {k: v for k, v in again.params.items() if k != "data"} == {k: v for k, v in bot.params.items() if k != "data"}
        cond = random_endpoints(20, seed=0)
        np.testing.assert_array_equal(bot.sample(20, cond=cond, seed=3).x, again.sample(20, cond=cond, seed=3).x)
        changed = ReplayBot.load(tmp_path / "ckpt", noise=0.0)
        assert changed.params["noise"] == (0.0, 0.0)
        from deval.errors import CheckpointError

        with pytest.raises(CheckpointError, match="not a replay checkpoint"):
            ReplayBot.load(tmp_path)


class TestExamplePluginZigZag(GeneratorContract):
    """The third-party example gets the same contract through its public API."""

    @pytest.fixture(autouse=True)
    def _plugin(self, monkeypatch):
        monkeypatch.syspath_prepend(str(EXAMPLE_PLUGIN))
        from deval_example_plugin import ZigZagBot

        type(self).generator_class = ZigZagBot

    generator_class = None  # set by the fixture


def test_builtin_names_resolve_to_their_classes():
    assert get("noise") is NoiseBot and get("spline") is SplineBot and get("pid") is PIDBot
    assert get("minimum-jerk") is MinimumJerkBot and get("sigma-lognormal") is SigmaLognormalBot
    assert get("replay") is ReplayBot


# ------------------------------------------------------------- building blocks
def test_param_specs_validate_and_normalise():
    from deval.generators.parameters import ParamSpec, validate_params

    specs = (
        ParamSpec("width", (1.0, 2.0), "w", "float-range", 0.0, 10.0),
        ParamSpec("count", (1, 3), "c", "int-range", 0, 5),
        ParamSpec("flag", False, "f", "bool"),
        ParamSpec("mode", "a", "m", "choice", choices=("a", "b")),
        ParamSpec("path", None, "p", "path", nullable=True),
    )
    got = validate_params(specs, {"width": 3, "count": [2, 4.0], "flag": True}, "bot")
    assert got == {"width": (3.0, 3.0), "count": (2, 4), "flag": True, "mode": "a", "path": None}
    for given, match in [
        ({"width": [3.0, 2.0]}, "low > high"),
        ({"width": [1.0, 11.0]}, r"'width' must be within \[0, 10\], got 11"),
        ({"width": "wide"}, "'width' must be a number or a"),
        ({"width": float("nan")}, "must be finite"),
        ({"count": 1.5}, "'count' must be an integer"),
        ({"flag": 1}, "'flag' must be true or false"),
        ({"mode": "c"}, "'mode' must be one of a, b"),
        ({"path": 3}, "'path' must be a file path"),
        ({"colour": 1}, "bot: unknown parameter 'colour'; known parameters: width, count, flag, mode, path"),
    ]:
        with pytest.raises(ConfigError, match=match):
            validate_params(specs, given, "bot")


def test_motion_grid_spans_the_duration_with_jittered_increasing_times():
    from deval.generators.timing import TimingModel

    model = TimingModel(rate_hz=(60.0, 60.0), jitter=(0.3, 0.3), drop=(0.2, 0.2), dwell_start=(0, 0), dwell_end=(0, 0))
    rng = np.random.default_rng(0)
    draw = model.draw(500, rng)
    duration = rng.uniform(0.2, 2.0, 500)
    grid = model.motion_grid(duration, draw, rng)
    idx = grid.index
    np.testing.assert_array_equal(grid.u[idx.first], 0.0)
    np.testing.assert_array_equal(grid.u[idx.last], duration)
    np.testing.assert_array_equal(grid.s[idx.last], 1.0)
    steps = np.diff(grid.u)[np.diff(idx.seg) == 0]
    assert (steps > 0).all()
    np.testing.assert_allclose(idx.lengths, np.rint(duration * 60) + 1)
    assert 0.25 < np.std(np.log(steps)) < 0.6  # the jitter (plus drops) shows in the steps
    fixed = model.motion_grid(duration, draw, rng, n_points=np.full(500, 9))
    assert (fixed.index.lengths == 9).all()


def test_dwell_repeats_the_ends_with_advancing_time():
    from deval.generators.ragged import RaggedIndex
    from deval.generators.timing import TimingModel

    model = TimingModel(rate_hz=(100.0, 100.0), jitter=(0.0, 0.0), drop=(0.0, 0.0), dwell_start=(2, 2),
                        dwell_end=(3, 3), dwell_gap=None)
    rng = np.random.default_rng(0)
    draw = model.draw(2, rng)
    index = RaggedIndex.from_lengths(np.array([3, 2]))
    x = np.array([0.0, 5.0, 10.0, 0.0, 7.0])
    t = np.array([0.0, 0.1, 0.2, 0.0, 0.05])
    out, ox, oy, ot, anchor = TimingModel.add_dwell(index, x, np.zeros(5), t, draw, rng)
    np.testing.assert_array_equal(out.lengths, [8, 7])
    np.testing.assert_array_equal(ox[:8], [0, 0, 0, 5, 10, 10, 10, 10])
    np.testing.assert_allclose(ot[:8], [0, 0.01, 0.02, 0.12, 0.22, 0.23, 0.24, 0.25])
    np.testing.assert_array_equal(anchor[:8], [1, 1, 1, 0, 2, 2, 2, 2])
    gap = TimingModel(dwell_start=(0, 0), dwell_end=(1, 1), dwell_gap=(0.2, 0.2)).draw(2, rng)
    _, _, _, ot, _ = TimingModel.add_dwell(index, x, np.zeros(5), t, gap, rng)
    np.testing.assert_allclose(ot[:4], [0, 0.1, 0.2, 0.4])


def test_recorder_rounds_times_and_drops_still_samples():
    from deval.generators.ragged import RaggedIndex
    from deval.generators.recording import record

    index = RaggedIndex.from_lengths(np.array([6, 3]))
    x = np.array([0.0, 1, 1, 1, 2, 2, 5, 5, 5])
    y = np.zeros(9)
    t = np.array([0.0, 0.0101, 0.0204, 0.0302, 0.0304, 0.0406, 0.0, 0.0104, 0.0106])
    out, ox, oy, ot = record(index, x, y, t, ms_timestamps=True, event_driven=True)
    np.testing.assert_array_equal(out.lengths, [4, 2])
    np.testing.assert_array_equal(ox, [0, 1, 2, 2, 5, 5])
    np.testing.assert_allclose(ot, [0, 0.010, 0.030, 0.041, 0, 0.011])  # the click keeps its own millisecond
    same = record(index, x, y, t, ms_timestamps=False, event_driven=False)
    assert same[0] is index and same[3] is t


def test_easings_go_from_zero_to_one_monotonically():
    from deval.generators.easing import EASINGS, ease

    s = np.linspace(0, 1, 201)
    for code, name in enumerate(EASINGS):
        e = ease(s, np.full(len(s), code))
        assert e[0] == 0 and abs(e[-1] - 1) < 1e-12, name
        assert (np.diff(e) >= -1e-12).all(), name


def test_default_endpoints_look_like_real_ones():
    from deval.generators.endpoints import draw_endpoints

    ends = draw_endpoints(20000, np.random.default_rng(0))
    d = ends.distance
    assert 380 <= np.median(d) <= 480 and d.min() >= 19
    assert 0.6 < np.std(np.log(d)) < 0.95
    assert (ends.start >= 10).all() and (ends.end[:, 0] <= 1910).all() and (ends.end[:, 1] <= 1070).all()


# ------------------------------------------------- realism against SapiMouse-dev
SCRIPTED = ("noise", "spline", "pid", "minimum-jerk", "sigma-lognormal")


def _realism_features(sapimouse: Trajectories, n: int) -> dict[str, np.ndarray]:
    """deval features of ``n`` held-out real movements and of every style on their endpoints.

    The real side is the odd-numbered users; ``replay`` replays the even-numbered ones.
    """
    from deval.features import extract_features

    held_out = sapimouse[sapimouse.user % 2 == 1]
    real = held_out.subsample(n, seed=0)
    cond = held_out.endpoints().resample(n, seed=1)
    feats = {"human": extract_features(real).to_numpy()}
    for k, style in enumerate((*SCRIPTED, "replay")):
        gen = ReplayBot().fit(sapimouse[sapimouse.user % 2 == 0]) if style == "replay" else get(style)()
        feats[style] = extract_features(gen.sample(n, cond=cond, seed=100 + k)).to_numpy()
    return feats


def _c2st(a: np.ndarray, b: np.ndarray) -> float:
    from threadpoolctl import threadpool_limits

    from deval.metrics import c2st

    with threadpool_limits(1):  # the probe's OpenMP threads crawl on a busy shared machine
        return c2st(a, b)


def _check_realism_ranking(feats: dict[str, np.ndarray]) -> dict[str, float]:
    acc = {s: _c2st(feats["human"], f) for s, f in feats.items() if s != "human"}
    for style, a in acc.items():  # every style really is a different style from humans
        assert a > 0.65, f"{style}: C2ST {a:.3f} against SapiMouse-dev ({acc})"
    scripted = {s: acc[s] for s in SCRIPTED}
    assert min(scripted, key=scripted.get) == "sigma-lognormal", scripted
    others = min(v for s, v in scripted.items() if s != "sigma-lognormal")
    assert scripted["sigma-lognormal"] < others - 0.03, scripted
    return acc


def test_styles_vs_humans_and_sigma_lognormal_most_human_like(sapimouse):
    """Fast version (400 movements per side)."""
    _check_realism_ranking(_realism_features(sapimouse, 400))


@pytest.mark.slow
def test_styles_vs_humans_and_each_other_at_full_size(sapimouse):
    """1500 movements per side against humans; every pair of styles is told apart too."""
    feats = _realism_features(sapimouse, 1500)
    _check_realism_ranking(feats)
    styles = [s for s in feats if s != "human"]
    for i, a in enumerate(styles):
        for b in styles[i + 1:]:
            acc = _c2st(feats[a][:750], feats[b][:750])
            assert acc > 0.65, f"{a} vs {b}: C2ST {acc:.3f}"


def test_styles_are_told_apart_from_each_other_small(sapimouse):
    """Fast version of the pairwise check (200 movements per side)."""
    from deval.features import extract_features

    cond = sapimouse.endpoints().resample(200, seed=3)
    lib = sapimouse[sapimouse.user % 2 == 0]
    feats = {}
    for k, style in enumerate((*SCRIPTED, "replay")):
        gen = ReplayBot().fit(lib) if style == "replay" else get(style)()
        feats[style] = extract_features(gen.sample(200, cond=cond, seed=k)).to_numpy()
    for i, a in enumerate(feats):
        for b in list(feats)[i + 1:]:
            acc = _c2st(feats[a], feats[b])
            assert acc > 0.65, f"{a} vs {b}: C2ST {acc:.3f}"
