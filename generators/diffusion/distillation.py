"""Step distillation: a student that samples in half the steps of its teacher (progressive distillation).

Salimans & Ho (2022), "Progressive Distillation for Fast Sampling of Diffusion Models", one halving round,
trained along the teacher's own sampling paths: for a batch of real conditions (goals and lengths), the
teacher runs its deterministic DDIM chain of ``teacher_steps`` steps from noise; the student, started from
the teacher's weights, learns for every second state ``x_{2j}`` the clean estimate whose one DDIM step lands
where the teacher's two steps land, ``x_{2j+2}``:

    x0* = (x_{2j+2} - r x_{2j}) / (alpha_next - r alpha),   r = sigma_next / sigma

(the last student step lands on the teacher's sample itself). Its self-conditioning input is the teacher's
latest clean estimate at that state. The loss is the squared error to ``x0*`` weighted by the truncated SNR,
``clip(SNR, 1, 5)``. The student's timesteps are the teacher's even ones (DDIM's ``trailing`` spacing of
``teacher_steps / 2`` steps), so it samples with plain DDIM at half the steps: half the network calls.
"""

from __future__ import annotations

import copy
import logging
import math
from typing import Callable

import torch

from deval.errors import ConfigError
from deval.trajectories import Trajectories

from .model import DiffusionModel
from .parameterization import to_x0
from .samplers import make_sampler

__all__ = ["distill_checkpoint", "distill_halving"]

log = logging.getLogger(__name__)


def distill_halving(teacher: DiffusionModel, encoder, data: Trajectories, *, teacher_steps: int = 10,
                    iterations: int = 2000, batch_size: int = 256, lr: float = 1e-4, ema_decay: float = 0.995,
                    seed: int = 0, progress: Callable[[int, float], None] | None = None) -> DiffusionModel:
    """A student of ``teacher`` that samples with DDIM in ``teacher_steps // 2`` steps (see the module docs).

    Parameters
    ----------
    teacher : the trained model (its sampler is DDIM with ``trailing`` spacing, eta 0)
    encoder : its :class:`~deval.generators.diffusion.representation.MovementEncoder`
    data : movements whose goals and lengths condition the teacher's paths (its training data)
    teacher_steps : even number of teacher DDIM steps
    iterations, batch_size, lr, ema_decay, seed : the optimisation (AdamW, clip 1; EMA weights returned)
    progress : called with (iteration, loss) after each iteration

    Returns
    -------
    DiffusionModel: the EMA of the student, in eval mode.
    """
    from deval.generators.learned.batches import ShuffledBatches, training_goal
    from deval.generators.learned.ema import EMA

    if teacher_steps < 2 or teacher_steps % 2:
        raise ConfigError(f"teacher_steps must be an even number >= 2, got {teacher_steps}")
    teacher = teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    torch.manual_seed(seed)
    student = copy.deepcopy(teacher).train()
    for p in student.parameters():
        p.requires_grad_(True)
    ema = EMA(student, ema_decay)
    opt = torch.optim.AdamW(student.parameters(), lr=lr, weight_decay=0.0)
    g = torch.Generator().manual_seed(seed)
    batches = ShuffledBatches(encoder.canonical(data), batch_size, g, torch.device("cpu"))
    sched = make_sampler("ddim", teacher.schedule, teacher.prediction_type, eta=0.0, timestep_spacing="trailing")
    sched.set_timesteps(teacher_steps)
    ts = [int(t) for t in sched.timesteps.tolist()]
    abar = teacher.schedule.alphas_cumprod.double()
    a = lambda t: 1.0 if t < 0 else float(abar[t])  # noqa: E731
    for it in range(iterations):
        b = batches.next()
        _, mask = encoder.features_of(b)
        length = int(mask.sum(1).max())
        mask = mask[:, :length]
        goal = training_goal(encoder, b, 0.0, None)
        m = mask.float()[..., None]
        n = len(mask)
        # the teacher's path: states x_i at ts[i], with the self-conditioning input (the last clean estimate)
        x = torch.randn((n, length, encoder.n_channels), generator=g) * m
        states = [(x, None, ts[0])]
        teacher.sample(mask, goal, sampler=sched, steps=teacher_steps, start=(x, ts[0]),
                       on_step=lambda i, _n, _t, x_i, x0: states.append((x_i, x0, ts[i + 1] if i + 1 < len(ts) else -1)))
        loss = torch.zeros(())
        for j in range(teacher_steps // 2):
            xj, scj, t = states[2 * j]
            target, t_next = states[2 * j + 2][0], states[2 * j + 2][2]
            al, si = math.sqrt(a(t)), math.sqrt(1 - a(t))
            al_n, si_n = math.sqrt(a(t_next)), math.sqrt(1 - a(t_next))
            r = si_n / si
            x0_star = (target - r * xj) / (al_n - r * al)
            tt = torch.full((n,), t, dtype=torch.long)
            out = student.denoiser(xj, tt, goal, None, mask, scj if student.self_condition else None).float()
            x0_s = to_x0(out, xj, al, si, student.prediction_type)
            w = min(max(a(t) / (1 - a(t)), 1.0), 5.0)
            per = (((x0_s - x0_star) ** 2) * m).sum((1, 2)) / (m.sum((1, 2)) * xj.shape[2]).clamp(min=1)
            loss = loss + w * per.mean()
        loss = loss / (teacher_steps // 2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        opt.step()
        ema.update(student)
        if progress is not None:
            progress(it, float(loss.detach()))
    return ema.model.eval()


def distill_checkpoint(checkpoint: str, data: Trajectories, out, *, iterations: int = 1500,
                       teacher_steps: int | None = None, batch_size: int = 256, lr: float = 1e-4, seed: int = 0,
                       force: bool = False, progress: Callable[[int, float], None] | None = None) -> dict:
    """Distil the diffusion checkpoint ``checkpoint`` (a directory, or a shipped model's name such as
    ``sapimouse-small``) into a checkpoint directory ``out`` that samples with DDIM in half its steps.

    ``teacher_steps`` defaults to the checkpoint's ``sample.steps``; ``data`` conditions the teacher's paths (its
    training movements, or movements like them). The new checkpoint keeps the teacher's configuration, encoder
    and logger, with ``sample.sampler = ddim`` and ``sample.steps = teacher_steps // 2``; its ``encoder.json``
    records the distillation. Written atomically; an existing ``out`` only with ``force``. Returns a summary.
    """
    import time
    from pathlib import Path

    from deval.atomic import staged_directory
    from deval.errors import OutputExistsError
    from deval.generators import get

    out = Path(out)
    if out.exists() and not force and (not out.is_dir() or any(out.iterdir())):
        raise OutputExistsError(out)
    teacher_gen = get("diffusion")(checkpoint=checkpoint)
    net, encoder, cfg = teacher_gen._require()
    steps = int(teacher_steps or cfg.sample.steps)
    t0 = time.perf_counter()
    student = distill_halving(net, encoder, data, teacher_steps=steps, iterations=iterations, batch_size=batch_size,
                              lr=lr, seed=seed, progress=progress)
    new_cfg = cfg.override({"sample.sampler": "ddim", "sample.steps": steps // 2})
    record = {"distilled_from": str(teacher_gen.checkpoint_dir), "teacher_steps": steps, "student_steps": steps // 2,
              "iterations": iterations, "batch_size": batch_size, "lr": lr, "seed": seed,
              "movements": len(data), "seconds": round(time.perf_counter() - t0, 1)}
    with staged_directory(out) as stage:
        teacher_gen.checkpoint_format.save(stage, student.state_dict(), new_cfg, encoder,
                                           extra={"distillation": record}, logger=teacher_gen.logger)
    return {"out": str(out), **record}
