"""Hooks that put deval inside an existing training script.

``--use_diffusion_eval``: evaluate a GAN being trained in someone else's
harness against a deval diffusion model at the end of epochs, with three
lines in the script::

    from deval.app.hooks import DiffusionEvalHook, add_diffusion_eval_args

    add_diffusion_eval_args(parser)                   # before parser.parse_args()
    hook = DiffusionEvalHook.from_args(args)          # after it
    metrics = hook(epoch, val_data, gan_sample_fn=sample, model=generator)   # end of each epoch

Any other loop (dict-configured, counted in iterations, its own tensor
layout): :class:`RealismEval` (``ev.step(iteration, sample_fn)`` or
``ev(iteration, fake_batch)``; ``every`` counts the caller's iterations).

Importing this package is cheap: it imports neither torch, scikit-learn nor
matplotlib (they are imported by the first evaluation), and a disabled hook
returns ``{}`` without doing anything. See :mod:`deval.app.hooks.diffusion_eval`
for what an evaluation computes and :mod:`deval.app.hooks.data` for the accepted
data layouts (arrays / tensors ``[B, T, C]`` with a mask or lengths,
``x, y[, t]`` or ``dx, dy[, dt]`` channels, or ``Trajectories``).
"""

from deval.app.hooks.args import add_diffusion_eval_args
from deval.app.hooks.data import CHANNEL_CONVENTIONS, as_trajectories
from deval.app.hooks.diffusion_eval import HOOK_METRICS, DiffusionEvalHook
from deval.app.hooks.realism_eval import RealismEval

__all__ = ["CHANNEL_CONVENTIONS", "DiffusionEvalHook", "HOOK_METRICS", "RealismEval", "add_diffusion_eval_args",
           "as_trajectories"]
