"""Negatives from one or more generators: the library call behind ``deval generate-negatives`` and the demo.

>>> from deval.negatives import generate_negatives
>>> neg = generate_negatives(["diffusion", "spline"], n=1000, like=real, seed=0)    # doctest: +SKIP

One seeding scheme: ``SeedSequence(seed)`` spawns one child per source (in the
order given); each child spawns the condition draw and one seed per chunk of
:data:`CHUNK` movements; a chunk re-logged with the ``--like`` logger uses a
child of its chunk seed. So the same arguments give the same bytes from the
CLI, the demo and Python.

Loggers (``timing``): ``own`` keeps each generator's timestamps; ``like``
re-records every source with the logger of ``like``
(:class:`deval.loggers.Logger`, fitted by `Logger.fit`); ``model`` gives learned
sources the logger stored with their checkpoint; ``auto`` is ``like`` for
learned sources when ``like`` is given and ``model`` otherwise, and ``own`` for
scripted sources.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from deval.distributed import ShardRunner
from deval.errors import ConfigError
from deval.trajectories import Endpoints, Trajectories

log = logging.getLogger(__name__)

#: ``durations`` values: the like movements' durations or the generators' own (auto: like when given)
DURATIONS = ("auto", "like", "own")

__all__ = ["CHUNK", "TIMINGS", "generate_negatives", "iter_negatives", "route_params", "build_generators", "conditions"]

#: Movements generated per call (progress advances by chunks; part of the seeding scheme).
CHUNK = 10_000
TIMINGS = ("auto", "own", "like", "model")


def route_params(params: Mapping[str, Any], sources: Sequence[str], classes: Mapping[str, type]) -> dict[str, dict]:
    """Route parameters to sources: ``source.key`` goes to that source, ``key`` to every source that has it.

    Raises
    ------
    ConfigError
        A prefix that is not one of ``sources``, or a key that no (prefixed) source has.
    """
    routed: dict[str, dict] = {s: {} for s in sources}
    for key, value in params.items():
        if "." in key:
            src, name = key.split(".", 1)
            if src not in routed:
                raise ConfigError(f"{key!r}: {src!r} is not one of the --source values "
                                  f"({', '.join(sources)})")
            routed[src][name] = value
            continue
        targets = [s for s in sources if any(p.name == key for p in classes[s].param_specs)]
        if not targets:
            raise ConfigError(f"no source has a parameter {key!r} (see deval list-generators)")
        for s in targets:
            routed[s][key] = value
    return routed


def _timing_modes(sources: Sequence[str], classes: Mapping[str, type], timing: str, has_like: bool,
                  params: dict) -> dict[str, str]:
    """The logger of each source; sets the ``timing`` parameter of learned sources in ``params``."""
    if timing not in TIMINGS:
        raise ConfigError(f"timing must be one of {', '.join(TIMINGS)}, got {timing!r}")
    if timing == "like" and not has_like:
        raise ConfigError("timing 'like' re-records with the logger of the like file; give like=REAL (--like)")
    modes = {}
    for s in sources:
        learned = any(p.name == "timing" for p in classes[s].param_specs)
        mode = timing if timing != "auto" else (("like" if has_like else "model") if learned else "own")
        if learned and "timing" not in params and f"{s}.timing" not in params:
            params[f"{s}.timing"] = "own" if mode == "like" else mode
        elif not learned and mode == "model":
            raise ConfigError(f"{s} has no stored logger; use timing 'own' or 'like'")
        modes[s] = mode
    return modes


def build_generators(sources: Sequence[str], params: Mapping[str, Any] | None = None,
                     checkpoints: Mapping[str, str] | None = None, *, timing: str = "auto",
                     has_like: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
    """Instantiate (and validate) every source before any heavy work: ``(generators, timing mode per source)``."""
    from deval.generators import get

    classes = {s: get(s) for s in sources}
    kv = dict(params or {})
    modes = _timing_modes(sources, classes, timing, has_like, kv)
    routed = route_params(kv, sources, classes)
    ckpts = dict(checkpoints or {})
    gens = {s: classes[s].load(ckpts[s], **routed[s]) if s in ckpts else classes[s](**routed[s]) for s in sources}
    return gens, modes


def conditions(ends: Endpoints | None, n: int, per_condition: int, rng: np.random.Generator, gen) -> Endpoints | None:
    """``n`` endpoints for one source: drawn from ``ends`` (the like file) or, with ``per_condition`` > 1
    and no file, from the generator's own default; each drawn condition repeated ``per_condition`` times."""
    if per_condition == 1:
        return ends.resample(n, seed=rng) if ends is not None else None
    k = -(-n // per_condition)
    base = ends.resample(k, seed=rng) if ends is not None else gen.draw_endpoints(k, rng)
    return base.take(np.repeat(np.arange(k), per_condition)[:n])


def generate_negatives(
    sources: Sequence[str] | Mapping[str, Any],
    *,
    n: int = 1000,
    like: Trajectories | None = None,
    params: Mapping[str, Any] | None = None,
    checkpoints: Mapping[str, str] | None = None,
    timing: str = "auto",
    per_condition: int = 1,
    seed: int = 0,
    progress: Callable[[str, int], None] | None = None,
    source_timings: Mapping[str, str] | None = None,
    runner: "ShardRunner | None" = None,
    durations: str = "auto",
) -> Trajectories:
    """``n`` movements from each source, labelled bots (label 1, style = source name), concatenated.

    Parameters
    ----------
    sources : sequence of registry names, or mapping name -> generator instance
        Names are built with ``params`` and ``checkpoints`` (see :func:`build_generators`);
        instances are used as they are (their own ``timing`` parameter included), and only
        ``timing="like"`` re-records them.
    n : int
        Movements per source.
    like : Trajectories, optional
        Real movements whose endpoints (and durations, point counts) the negatives follow, and
        whose logger ``timing="like"`` borrows.
    params : mapping, optional
        ``key`` or ``source.key`` -> value (generator parameters).
    checkpoints : mapping, optional
        Source -> checkpoint directory of a learned generator.
    timing : {"auto", "own", "like", "model"}
        Which logger records the movements (see the module docs).
    per_condition : int
        Movements per drawn condition (numbered in the ``condition`` metadata column).
    seed : int
        Seed of everything (see the module docs).
    progress : callable, optional
        ``progress(source, movements_done)`` after each chunk.
    source_timings : mapping, optional
        With generator instances: the logger mode of each source, as :func:`build_generators` returns it
        (overrides ``timing``).
    runner : ShardRunner, optional
        Where the seeded shards (10,000 movements of one source each) run: here (default) or on a Dask
        cluster (:func:`deval.distributed.shard_runner`); the result is the same.
    durations : {"auto", "like", "own"}
        ``like``: every movement is re-timed (its time axis scaled) to last as long as the like movement whose
        endpoints it took, so negatives follow the reference's duration-distance relation (Fitts) whatever
        rate or people it was recorded at; ``own``: as generated. ``auto``: ``like`` when ``like`` is given.

    Returns
    -------
    Trajectories
    """
    return Trajectories.concat(list(iter_negatives(
        sources, n=n, like=like, params=params, checkpoints=checkpoints, timing=timing, per_condition=per_condition,
        seed=seed, progress=progress, source_timings=source_timings, runner=runner, durations=durations)))


def _prepare(sources, *, n, like, params, checkpoints, timing, per_condition, seed, source_timings) -> tuple:
    """Check the request and build (and fit) the generators: ``(generators, logger mode per source, like logger)``."""
    from deval.generators import TrainableGenerator

    if n < 1 or per_condition < 1:
        raise ConfigError(f"n and per_condition must be >= 1, got {n} and {per_condition}")
    if isinstance(sources, Mapping):
        gens = dict(sources)
        modes = dict(source_timings) if source_timings else {s: "like" if timing == "like" else "own" for s in gens}
        if "like" in modes.values() and like is None:
            raise ConfigError("timing 'like' re-records with the logger of the like file; give like=REAL")
    else:
        gens, modes = build_generators(list(dict.fromkeys(sources)), params, checkpoints, timing=timing,
                                       has_like=like is not None)
    for s, gen in gens.items():
        if isinstance(gen, TrainableGenerator) and not gen.is_fitted:
            if like is None or not type(gen).cheap_fit:
                raise ConfigError(f"{s} needs a fitted model: give a checkpoint ({s}=DIR)"
                                  + (", a data parameter or like=REAL" if type(gen).cheap_fit else ""))
            log.info("%s: fitting on the like movements", s)
            gen.fit(like)
    like_logger = None
    if like is not None and "like" in modes.values():
        from deval.loggers import Logger

        like_logger = Logger.fit(like, seed=seed, source="like")
    return gens, modes, like_logger



def iter_negatives(sources, *, n: int = 1000, like: Trajectories | None = None,
                   params: Mapping[str, Any] | None = None, checkpoints: Mapping[str, str] | None = None,
                   timing: str = "auto", per_condition: int = 1, seed: int = 0,
                   progress: Callable[[str, int], None] | None = None,
                   source_timings: Mapping[str, str] | None = None,
                   runner: "ShardRunner | None" = None, durations: str = "auto") -> Iterator[Trajectories]:
    """The movements of :func:`generate_negatives`, one seeded shard at a time, in the same order.

    Concatenated, the shards are exactly what :func:`generate_negatives` returns; a caller that writes each
    shard as it comes (``deval generate-negatives --out DIR/``) never holds the whole output.
    Takes the same arguments.
    """
    gens, modes, like_logger = _prepare(sources, n=n, like=like, params=params, checkpoints=checkpoints,
                                        timing=timing, per_condition=per_condition, seed=seed,
                                        source_timings=source_timings)
    if durations not in DURATIONS:
        raise ConfigError(f"durations must be one of {', '.join(DURATIONS)}, got {durations!r}")
    if durations == "like" and like is None:
        raise ConfigError("durations 'like' takes each movement's duration from the like file; give like=REAL")
    retime = durations == "like" or (durations == "auto" and like is not None)
    yield from _shards(gens, modes, like, like_logger, n, per_condition, seed, progress, runner or ShardRunner(),
                       retime)


def _shards(gens, modes, like, like_logger, n, per_condition, seed, progress, runner,
            retime: bool = False) -> Iterator[Trajectories]:
    ends = like.endpoints() if like is not None else None
    children = np.random.SeedSequence(seed).spawn(len(gens))
    for (s, gen), child in zip(gens.items(), children):
        cond_seed, *chunk_seeds = child.spawn(1 + (n + CHUNK - 1) // CHUNK)
        cond = conditions(ends, n, per_condition, np.random.default_rng(cond_seed), gen)
        shards = []
        for k, chunk_seed in enumerate(chunk_seeds):
            lo, hi = k * CHUNK, min(n, (k + 1) * CHUNK)
            shards.append(_Shard(lo, hi, None if cond is None else cond.take(np.arange(lo, hi)), chunk_seed,
                                 modes[s], per_condition, retime))
        for shard, part in zip(shards, runner.run(_sample_shard, shards, gen, like_logger)):
            if progress is not None:
                progress(s, shard.hi - shard.lo)
            yield part


@dataclass(frozen=True)
class _Shard:
    """One seeded piece of a source's movements: ``[lo, hi)`` with its endpoints and seed."""

    lo: int
    hi: int
    cond: Endpoints | None
    seed: np.random.SeedSequence
    mode: str
    per_condition: int
    retime: bool = False


def retime_to(traj: Trajectories, durations: np.ndarray) -> Trajectories:
    """Every movement's time axis scaled so that it lasts ``durations`` (N,) seconds (positions kept)."""
    scale = np.asarray(durations, dtype=np.float64) / np.maximum(traj.durations, 1e-9)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    t0 = traj.t[traj.first_index]
    seg = traj.segment_ids
    return traj.with_points(traj.x, traj.y, t0[seg] + (traj.t - t0[seg]) * scale[seg])


def _sample_shard(shard: _Shard, gen, like_logger) -> Trajectories:
    """The movements of one shard (runs here or on a Dask worker; depends on nothing but its arguments)."""
    part = gen.sample(shard.hi - shard.lo, cond=shard.cond, seed=np.random.default_rng(shard.seed))
    if shard.retime and shard.cond is not None and shard.cond.duration is not None and len(part) == len(shard.cond):
        part = retime_to(part, shard.cond.duration)
    if shard.mode == "like" and part.press is None:
        part = like_logger.relog(part, shard.seed.spawn(1)[0])
    if shard.per_condition > 1:
        part = part.with_meta(condition=np.arange(shard.lo, shard.hi) // shard.per_condition)
    return part.with_meta(logged_by=shard.mode)
