"""The command-line flags of the diffusion evaluation hook (argparse, no heavy imports)."""

from __future__ import annotations

import argparse
from typing import Callable

__all__ = ["add_diffusion_eval_args"]


def _bounded(convert: Callable[[str], float], what: str, low: float, inclusive: bool) -> Callable[[str], float]:
    """An argparse ``type=``: ``convert(text)``, refused unless ``>= low`` (``inclusive``) or ``> low``."""

    def parse(text: str):
        try:
            v = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not (v >= low if inclusive else v > low):
            raise argparse.ArgumentTypeError(f"must be {'>=' if inclusive else '>'} {low}, got {v}")
        return v

    return parse


_positive_int = _bounded(int, "an integer", 1, inclusive=True)
_non_negative_int = _bounded(int, "an integer", 0, inclusive=True)
_positive_float = _bounded(float, "a number", 0, inclusive=False)


def add_diffusion_eval_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``--use_diffusion_eval`` flags to an existing ``argparse`` parser.

    Every flag is also accepted with hyphens (``--use-diffusion-eval``). The
    parsed values feed :meth:`deval.app.hooks.DiffusionEvalHook.from_args`.

    ==============================  =========  ===================================================
    flag                            default    meaning
    ==============================  =========  ===================================================
    ``--use_diffusion_eval``        off        evaluate the harness's GAN against a deval diffusion model
    ``--diffusion_eval_every N``    1          evaluate on every N-th call (epoch)
    ``--diffusion_eval_checkpoint``            diffusion checkpoint or training-run directory
    ``--diffusion_eval_samples N``  500        movements generated per evaluation (per model)
    ``--diffusion_eval_out DIR``    diffusion_eval   metrics.jsonl and overlay PNGs go here
    ``--diffusion_eval_steps N``    0          diffusion sampler steps (0: the checkpoint's default)
    ``--diffusion_eval_device``     cpu        torch device of the diffusion model (cpu, cuda, mps)
    ``--diffusion_eval_channels``   xyt        meaning of the channels of array data: ``xyt``
                                               (x, y[, t]), ``xy`` (x, y; other channels ignored)
                                               or ``deltas`` (dx, dy[, dt])
    ``--diffusion_eval_dt S``       1/60       seconds between points when the data have no time channel
    ``--diffusion_eval_xy_scale F`` 1.0        pixels per unit of the harness's x, y
    ``--diffusion_eval_seed S``     0          seed of the condition draw, the sampler and the metrics
    ``--diffusion_eval_threads N``  0          CPU threads of torch and the metrics during an
                                               evaluation (0: leave as they are)
    ``--diffusion_eval_no_plots``   off        skip the overlay PNGs (numbers only)
    ==============================  =========  ===================================================

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The harness's parser; a titled argument group is added to it.

    Returns
    -------
    argparse.ArgumentParser
        The same parser, so that the call chains.
    """
    g = parser.add_argument_group(
        "deval diffusion evaluation",
        "Compare the GAN being trained with a deval diffusion model on the validation split "
        "(C2ST, MMD, PRD, kinematic and spectral overlays).",
    )

    def add(name: str, **kw) -> None:
        dest = name.lstrip("-")
        g.add_argument(name, "--" + dest.replace("_", "-"), dest=dest, **kw)

    add("--use_diffusion_eval", action="store_true",
        help="Evaluate against a deval diffusion model at the end of epochs (off: no cost at all).")
    add("--diffusion_eval_every", type=_positive_int, default=1, metavar="N",
        help="Evaluate on every N-th epoch (call of the hook). Default: 1.")
    add("--diffusion_eval_checkpoint", default=None, metavar="DIR",
        help="Diffusion checkpoint or run directory (deval train-generator diffusion --out DIR; default: the "
             "pretrained model shipped with deval).")
    add("--diffusion_eval_samples", type=_positive_int, default=500, metavar="N",
        help="Movements generated per evaluation and per model, on validation conditions. Default: 500.")
    add("--diffusion_eval_out", default="diffusion_eval", metavar="DIR",
        help="Where metrics.jsonl and the overlay plots go. Default: ./diffusion_eval.")
    add("--diffusion_eval_steps", type=_non_negative_int, default=0, metavar="N",
        help="Diffusion sampler steps (0: the checkpoint's default).")
    add("--diffusion_eval_device", default="cpu", choices=("cpu", "cuda", "mps"),
        help="Torch device of the diffusion model. Default: cpu.")
    add("--diffusion_eval_channels", default="xyt", choices=("xyt", "xy", "deltas"),
        help="Channels of array validation data: x,y[,t] (xyt), x,y (xy) or dx,dy[,dt] (deltas). Default: xyt.")
    add("--diffusion_eval_dt", type=_positive_float, default=1 / 60, metavar="S",
        help="Seconds between points of data without a time channel. Default: 1/60.")
    add("--diffusion_eval_xy_scale", type=_positive_float, default=1.0, metavar="F",
        help="Pixels per unit of the harness's coordinates (the diffusion model works in pixels). Default: 1.")
    add("--diffusion_eval_seed", type=int, default=0, metavar="S",
        help="Seed of the evaluation (conditions, sampler, metrics). Default: 0.")
    add("--diffusion_eval_threads", type=_non_negative_int, default=0, metavar="N",
        help="CPU threads of torch and the metrics during an evaluation (0: unchanged; 1 is fastest on a "
             "busy machine).")
    add("--diffusion_eval_no_plots", action="store_true",
        help="Do not write the kinematic/spectral overlay PNGs (the numbers are still computed).")
    return parser
