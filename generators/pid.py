"""``pid``: a point mass driven toward the target by a PID controller.

The cursor is a unit point mass in the canonical frame (start (0, 0), target
(D, 0)). Each step, the controller sets the acceleration from the error
``e = target - p``::

    a = c + noise,  c = Kp e + Ki integral(e) - Kd v,   |a| <= a_max,   |v| <= v_max

with ``Kp = w^2``, ``Kd = 2 zeta w`` (a second-order system of natural
frequency ``w`` and damping ratio ``zeta``) and ``Ki = ki_ratio w^3``; the integral accumulates only within
``integral_zone`` pixels of the target and is clamped so that ``Ki |integral|
<= a_max`` (anti-wind-up). Nothing
is scripted about the shape: overshoot and oscillation (``zeta < 1``), a slow
creep to the target (``zeta > 1``), integral wind-up and saturation at
``v_max`` emerge from the dynamics. The force noise is signal-dependent motor noise
(Harris & Wolpert 1998): a unit Ornstein-Uhlenbeck process (correlation time
0.1 s) times ``force_noise`` times the size of the command, so it bends the
path while the controller pushes and fades as the mass settles.

The state is integrated with semi-implicit Euler at the bot's own (jittered)
time steps. All movements are simulated in parallel: the loop runs over time
steps, never over movements, and finished movements leave the active set. A
movement stops when it is within ``settle_px`` of the target and slower than
``settle_speed``, or after ``max_duration``; its last point is put exactly on
the target.

With ``use_duration``, the simulated time axis is stretched to the requested
duration (point counts are not followed: the dynamics decide them).
"""

from __future__ import annotations


import numpy as np

from deval.generators.parameters import ParamSpec, draw_uniform
from deval.generators.ragged import RaggedIndex
from deval.generators.scripted import Motion, ScriptedBot, common_params
from deval.generators.timing import TimingDraw

__all__ = ["PIDBot"]

NOISE_CORRELATION_S = 0.1


class PIDBot(ScriptedBot):
    """Point mass under PID control with randomised gains and saturation."""

    name = "pid"
    description = "point mass pulled to the target by a PID controller: overshoot, oscillation and settling emerge"
    param_specs = (
        ParamSpec("omega", (8.0, 20.0), "natural frequency w of the loop, rad/s", "float-range", 0.5, 200.0),
        ParamSpec("zeta", (0.4, 1.0), "damping ratio (< 1 overshoots and oscillates)", "float-range", 0.05, 5.0),
        ParamSpec("ki_ratio", (0.0, 0.2), "integral gain Ki = ki_ratio * w^3", "float-range", 0.0, 5.0),
        ParamSpec("integral_zone", 40.0, "the integral only accumulates within this distance of the target, px",
                  "float", 0.0, 1e5),
        ParamSpec("v_max", (800.0, 3000.0), "speed limit, px/s", "float-range", 10.0, 1e5),
        ParamSpec("a_max", (4000.0, 20000.0), "acceleration limit, px/s^2", "float-range", 10.0, 1e7),
        ParamSpec("force_noise", (0.0, 0.3), "motor noise, fraction of the size of the command", "float-range",
                  0.0, 3.0),
        ParamSpec("settle_px", (1.0, 3.0), "stop within this distance of the target, px", "float-range", 0.01, 50.0),
        ParamSpec("settle_speed", 60.0, "and below this speed, px/s", "float", 0.01, 1e4),
        ParamSpec("max_duration", 4.0, "stop after this many seconds in any case", "float", 0.05, 60.0),
    ) + common_params(rate_hz=(60.0, 125.0), jitter=(0.0, 0.1), drop=(0.0, 0.02))

    def _motion(
        self,
        dist: np.ndarray,
        draw: TimingDraw,
        target_duration: np.ndarray | None,
        target_points: np.ndarray | None,
        rng: np.random.Generator,
    ) -> Motion:
        p = self.params
        n = len(dist)
        omega = draw_uniform(rng, p["omega"], n)
        zeta = draw_uniform(rng, p["zeta"], n)
        kp, kd = omega ** 2, 2.0 * zeta * omega
        ki = draw_uniform(rng, p["ki_ratio"], n) * omega ** 3
        v_max = draw_uniform(rng, p["v_max"], n)
        a_max = draw_uniform(rng, p["a_max"], n)
        noise_rel = draw_uniform(rng, p["force_noise"], n)
        settle_px = draw_uniform(rng, p["settle_px"], n)
        settle_speed, max_duration, zone = p["settle_speed"], p["max_duration"], p["integral_zone"]

        # Working set: one entry per unfinished movement, 1-D arrays. Finished movements are
        # only masked out; the set is compacted when a quarter of it has finished.
        w = {
            "i": np.arange(n), "dist": dist.astype(np.float64), "kp": kp, "kd": kd, "ki": ki,
            "v_max": v_max, "a_max": a_max, "noise": noise_rel, "settle": settle_px,
            "i_limit": a_max / np.maximum(ki, 1e-12),  # anti-wind-up: Ki * |integral| <= a_max
            "period": 1.0 / draw.rate_hz, "jitter": draw.jitter, "drop": draw.drop,
            **{k: np.zeros(n) for k in ("px", "py", "vx", "vy", "ix", "iy", "fx", "fy", "clock")},
            "miss": dist.astype(np.float64).copy(),  # distance to the target
        }
        alive = np.ones(n, dtype=bool)
        rec_i, rec_x, rec_y, rec_t = [np.arange(n)], [np.zeros(n)], [np.zeros(n)], [np.zeros(n)]
        while alive.any():
            if alive.mean() < 0.75:
                w = {k: v[alive] for k, v in w.items()}
                alive = np.ones(len(w["i"]), dtype=bool)
            m = len(alive)
            z = rng.standard_normal((3, m))
            dt = w["period"] * np.exp(w["jitter"] * z[0]) * (1.0 + (rng.random(m) < w["drop"]))
            ex, ey = w["dist"] - w["px"], -w["py"]
            near_dt = (w["miss"] < zone) * dt  # conditional integration (anti-wind-up)
            lim = w["i_limit"]
            w["ix"] = np.minimum(np.maximum(w["ix"] + ex * near_dt, -lim), lim)
            w["iy"] = np.minimum(np.maximum(w["iy"] + ey * near_dt, -lim), lim)
            cx = w["kp"] * ex + w["ki"] * w["ix"] - w["kd"] * w["vx"]
            cy = w["kp"] * ey + w["ki"] * w["iy"] - w["kd"] * w["vy"]
            # signal-dependent noise: a unit Ornstein-Uhlenbeck process (exact discretisation)
            # scaled by the size of the command, so it fades as the mass settles
            decay = np.exp(dt * (-1.0 / NOISE_CORRELATION_S))
            kick = np.sqrt(1.0 - decay * decay)
            w["fx"] = w["fx"] * decay + kick * z[1]
            w["fy"] = w["fy"] * decay + kick * z[2]
            gain = w["noise"] * np.hypot(cx, cy)
            ax, ay = cx + gain * w["fx"], cy + gain * w["fy"]
            sat = np.minimum(1.0, w["a_max"] / np.maximum(np.hypot(ax, ay), 1e-12)) * dt
            vx, vy = w["vx"] + ax * sat, w["vy"] + ay * sat
            speed = np.hypot(vx, vy)
            sat = np.minimum(1.0, w["v_max"] / np.maximum(speed, 1e-12))
            w["vx"], w["vy"] = vx * sat, vy * sat
            speed *= sat
            w["px"] = w["px"] + w["vx"] * dt
            w["py"] = w["py"] + w["vy"] * dt
            w["clock"] = w["clock"] + dt
            if alive.all():
                rec_i.append(w["i"]), rec_x.append(w["px"]), rec_y.append(w["py"]), rec_t.append(w["clock"])
            else:
                rec_i.append(w["i"][alive]), rec_x.append(w["px"][alive]), rec_y.append(w["py"][alive])
                rec_t.append(w["clock"][alive])
            w["miss"] = np.hypot(w["dist"] - w["px"], w["py"])
            alive &= ((w["miss"] >= w["settle"]) | (speed >= settle_speed)) & (w["clock"] < max_duration)

        idx = np.concatenate(rec_i)
        order = np.argsort(idx, kind="stable")  # per movement, in time order
        index = RaggedIndex.from_lengths(np.bincount(idx, minlength=n))
        x = np.concatenate(rec_x)[order]
        y = np.concatenate(rec_y)[order]
        t = np.concatenate(rec_t)[order]
        x[index.last] = dist  # the final point is put on the target
        y[index.last] = 0.0
        if target_duration is not None:
            t = t * (target_duration / t[index.last])[index.seg]
        return Motion(index, x, y, t)
