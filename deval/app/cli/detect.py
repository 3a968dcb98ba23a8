"""``deval train-detector``, ``deval score`` and ``deval evaluate``."""

from __future__ import annotations

from pathlib import Path

import click

from deval.app.cli.options import device_option, force_option, out_dir_option, out_file_option, parse_key_values
from deval.app.cli.options import quiet_option, scheduler_option, seed_option
from deval.app.cli.progress import step_progress

HEAD_CHOICES = ("hgb", "logistic", "density", "hybrid", "cnn", "gru")
TORCH_HEADS = ("cnn", "gru")

#: below this many movements of a class, train-detector reports no training AUC
MIN_PER_CLASS = 30


class GreedyOption(click.Option):
    """A repeatable option that also takes every following value up to the next option.

    ``--negatives a.npz b.npz c.npz`` and ``--negatives a.npz --negatives b.npz``
    both give ``("a.npz", "b.npz", "c.npz")`` (so shell globs work).
    """

    def __init__(self, *args, **kwargs):
        kwargs["multiple"] = True
        super().__init__(*args, **kwargs)

    def add_to_parser(self, parser, ctx):
        result = super().add_to_parser(parser, ctx)
        for name in self.opts:
            lookup = getattr(parser, "_long_opt", {}).get(name) or getattr(parser, "_short_opt", {}).get(name)
            if lookup is None or not hasattr(lookup, "process"):
                continue  # unknown click internals: the option still works when repeated
            previous = lookup.process
            prefixes = getattr(lookup, "prefixes", {"-"}) or {"-"}

            def process(value, state, previous=previous, prefixes=prefixes):
                previous(value, state)
                while state.rargs and not any(state.rargs[0].startswith(p) for p in prefixes):
                    previous(state.rargs.pop(0), state)

            lookup.process = process
        return result


def _csv_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _negative_sets(paths, fmt, what: str):
    """Load bot files into ``style -> Trajectories``; a file without style names is named after itself."""
    from deval.detectors.evaluation import style_sets
    from deval.io import load_trajectories

    parts = []
    for p in paths:
        traj = load_trajectories(p, fmt)
        styles = traj.style.astype(str)
        if ((styles == "human") | (styles == "")).all():
            traj = traj.with_meta(style=Path(p).stem)
        parts.append(traj)
    return style_sets(parts, what)


def _head_params(head: str, epochs, device, params: tuple[str, ...]) -> dict:
    out = parse_key_values(params, "--param")
    if epochs is not None:
        if head not in TORCH_HEADS:
            raise click.BadParameter(f"--epochs applies to the torch heads ({', '.join(TORCH_HEADS)}), not {head}",
                                     param_hint="--epochs")
        out["epochs"] = epochs
    if head in TORCH_HEADS and device:
        out["device"] = device
    return out


def _view_options(f):
    f = click.option("--jitter", type=click.FloatRange(0, 0.45), default=0.1, show_default=True,
                     help="Timing jitter of the resampled view, as a fraction of the period.")(f)
    f = click.option("--resample-hz", type=click.FloatRange(min=1.0), default=60.0, show_default=True,
                     help="Rate of the resampled view [Hz].")(f)
    return f


def _augment_option(f):
    return click.option("--augment-loggers", type=click.IntRange(min=0), default=0, show_default=True,
                        help="Also train on every movement re-recorded by one of K random loggers (clocks, "
                             "rates, stamp and pixel grids), so that the logger is not a cue (0: off).")(f)


def _head_options(f):
    f = click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
                     help="Extra head parameter (repeatable), e.g. --param max_iter=300 --param lr=1e-3.")(f)
    f = click.option("--epochs", type=click.IntRange(min=1), default=None,
                     help="Training epochs of the cnn/gru heads (default 10).")(f)
    f = click.option("--head", type=click.Choice(HEAD_CHOICES), default="hgb", show_default=True,
                     help="Detector head: gradient boosting or logistic regression on features, a human-density "
                          "score (needs no negatives), hybrid (the larger of boosting and density), 1-D CNN or GRU "
                          "on canonical steps.")(f)
    return f


# ---------------------------------------------------------------- train-detector
@click.command("train-detector")
@click.option("--real", required=True, type=click.Path(exists=True), help="Human movements.")
@click.option("--negatives", cls=GreedyOption, required=True, type=click.Path(exists=True),
              help="Bot movement files (one or more; styles from each file's style column or its name).")
@_head_options
@out_dir_option("Directory of the saved detector (detector.json + weights).")
@click.option("--view", default="logger-robust", show_default=True,
              help="raw (timestamps as logged), resampled (at --resample-hz), <rate>hz (e.g. 60hz) or "
                   "logger-robust (resampled, whole pixels, no logger-confounded features).")
@_view_options
@_augment_option
@seed_option
@device_option
@click.option("--format", "fmt", default=None, help="Input format of every file (default: detect).")
@quiet_option
@force_option
def train_detector(real, negatives, head, epochs, params, out, view, resample_hz, jitter, augment_loggers, seed,
                   device, fmt, quiet, force):
    """Train a bot detector on REAL movements (label 0) against NEGATIVES (label 1).

    Humans and bots get equal total weight, and every bot style an equal
    share. The view, canonicalisation and normaliser are saved with the
    model, so `deval score` applies exactly the same pre-processing.

    \b
    Example:
      deval train-detector --real real.npz --negatives spline.npz pid.npz --head cnn --out det/
    """
    from deval.atomic import check_files_writable
    from deval.detectors import save_detector
    from deval.detectors.persistence import DETECTOR_FILES
    from deval.detectors.training import train_detector as fit_detector
    from deval.detectors.views import parse_view
    from deval.io import load_trajectories

    check_files_writable(out, DETECTOR_FILES, force)  # fail before any work
    v = parse_view(view, rate_hz=resample_hz, jitter=jitter, seed=seed)
    hp = _head_params(head, epochs, device, params)
    from deval.detectors import make_detector

    n_epochs = int(getattr(make_detector(head, **hp), "epochs", 0) or 0)
    with step_progress(3 + n_epochs, f"train-detector ({head})", quiet) as advance:
        real_t = load_trajectories(real, fmt)
        bots = _negative_sets(negatives, fmt, "negatives")
        advance("loaded")
        trained = fit_detector(real_t, bots, head=head, view=view, resample_hz=resample_hz, jitter=jitter,
                               augment_loggers=augment_loggers, seed=seed, progress=advance, **hp)
        det, auc = trained.detector, trained.training_roc_auc
        training = {
            "real": str(real), "negatives": [str(p) for p in negatives], "n_real": len(real_t),
            "n_bot": trained.n_bot, "seed": seed, "view": v.to_dict(), "augment_loggers": augment_loggers,
            "training_roc_auc": auc,
        }
        path = save_detector(det, out, force=force, training=training)
        advance("saved")
    n_bot = sum(trained.n_bot.values())
    few = min(len(real_t), n_bot) < MIN_PER_CLASS
    fit_text = ("training ROC-AUC not reported: too few movements to mean anything (at least "
                f"{MIN_PER_CLASS} per class; use deval evaluate on held-out people to judge a detector)") if few else (
        f"training ROC-AUC {'n/a' if auc is None else f'{auc:.3f}'} (on its own training data; deval evaluate "
        "judges held-out people and styles)")
    click.echo(f"{head} detector ({det.n_parameters()} parameters, view {v.name}) trained on {len(real_t)} human "
               f"and {n_bot} bot movements ({', '.join(bots)}); {fit_text}")
    click.echo(f"saved: {path.parent}")


# ------------------------------------------------------------------------ score
@click.command("score")
@click.argument("detector_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@out_file_option("CSV with one row per movement: index, p_bot, log_odds, predicted_bot and the metadata.")
@click.option("--format", "fmt", default=None, help="Input format (default: detect).")
@click.option("--device", default=None, help="Torch device for the cnn/gru heads (default: as trained).")
@click.option("--chunk", type=click.IntRange(min=1), default=4096, show_default=True,
              help="Movements scored at a time (scores do not depend on it).")
@click.option("--timing-check", "timing_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="A second detector trained on the raw view (train-detector --view raw): its verdict on the "
                   "logger's timing alone goes in timing_p_bot / timing_flag, next to the main verdict.")
@click.option("--by", "by", type=click.Choice(["movement", "session", "user"]), default="movement",
              show_default=True,
              help="One decision per movement, or per session / user: the mean log-odds of its movements.")
@scheduler_option
@quiet_option
@force_option
def score(detector_dir, input_path, out, fmt, device, chunk, timing_dir, by, scheduler, quiet, force):
    """Score every movement of INPUT with the detector saved in DETECTOR_DIR.

    Writes the bot probability of each movement with its index in INPUT and
    its metadata (style, user, session, label...).

    \b
    Example:
      deval score det/ sessions.npz --out scores.csv
    """
    from deval.atomic import check_not_an_input, check_writable, write_text
    from deval.detectors import load_detector
    from deval.detectors.scoring import score_movements
    from deval.distributed import parse_scheduler, shard_runner
    from deval.io.streaming import count_movements, iter_trajectories

    check_not_an_input([out], [input_path])
    check_writable(out, force)
    parse_scheduler(scheduler)
    det = load_detector(detector_dir, device=device)
    timing = None if timing_dir is None else load_detector(timing_dir, device=device)  # score_movements checks it
    total = count_movements(input_path, fmt)
    with step_progress(-(-total // chunk) if total else None, "score", quiet) as advance, \
            shard_runner(scheduler) as runner:
        frame = score_movements(det, iter_trajectories(input_path, fmt, chunk=chunk), chunk=chunk, timing=timing,
                                by=by, runner=runner, progress=advance, source=input_path)
    write_text(out, frame.to_csv(index=False), force=force)
    what = "movements" if by == "movement" else f"{by}s"
    at = (f"at the calibrated threshold (log-odds >= {frame['threshold'].iloc[0]:.3f})" if "threshold" in frame
          and len(frame) else "at p >= 0.5")
    click.echo(f"{len(frame)} {what} scored; {int(frame['predicted_bot'].sum())} flagged as bots {at}; "
               f"mean p_bot {frame['p_bot'].mean():.3f}")
    click.echo(f"scores: {out}")


# -------------------------------------------------------------------- calibrate
@click.command("calibrate")
@click.argument("detector_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--traffic", "traffic_path", required=True, type=click.Path(exists=True),
              help="A sample of your site's own movements, unlabelled (session / user ids give those thresholds).")
@click.option("--fpr", "target_fpr", type=click.FloatRange(0, 0.5, min_open=True, max_open=True), default=0.01,
              show_default=True, help="Share of your people to flag, per movement, session and user.")
@click.option("--bot-share", type=click.FloatRange(0, 0.5, max_open=True), default=0.02, show_default=True,
              help="Share of bots your traffic may hold (the thresholds tolerate them).")
@click.option("--format", "fmt", default=None, help="Input format of --traffic (default: detect).")
@force_option
def calibrate(detector_dir, traffic_path, target_fpr, bot_share, fmt, force):
    """Set the thresholds of the detector in DETECTOR_DIR from your own unlabelled traffic, and save them
    with it: `deval score` then flags about --fpr of your people per movement, per session and per user
    (--by), whatever devices and loggers they use, instead of deciding at p >= 0.5.

    \b
    Example:
      deval calibrate det/ --traffic last_week.npz --fpr 0.01 --bot-share 0.05
    """
    from deval.detectors import load_detector
    from deval.detectors.calibration import calibrate as calibrate_detector
    from deval.detectors.calibration import save_thresholds
    from deval.io import load_trajectories

    det = load_detector(detector_dir)
    traffic = load_trajectories(traffic_path, fmt)
    th = calibrate_detector(det, traffic, target_fpr=target_fpr, bot_share=bot_share, source=str(traffic_path))
    save_thresholds(detector_dir, th, force=force)
    for level in ("movement", "session", "user"):
        value = th.for_level(level)
        n = {"movement": th.n_movements, "session": th.n_sessions, "user": th.n_users}[level]
        click.echo(f"{level}: " + (f"log-odds >= {value:.3f} (from {n} {level}s)" if value is not None
                                   else f"no {level} ids in the traffic: decided at p >= 0.5"))
    click.echo(f"saved with the detector: {Path(detector_dir) / 'detector.json'}")


# --------------------------------------------------------------------- evaluate
@click.command("evaluate")
@click.option("--real", required=True, type=click.Path(exists=True), help="Human movements.")
@click.option("--negatives", cls=GreedyOption, required=True, type=click.Path(exists=True),
              help="Bot movement files used for training (one or more; styles from the style column or file name).")
@click.option("--holdout", type=click.Choice(["leave-one-style-out", "test-negatives", "leave-one-family-out"]),
              default=None,
              help="Protocol (default: test-negatives when --test-negatives is given, else leave-one-style-out). "
                   "leave-one-family-out holds out each value of --family (negatives from -s composite).")
@click.option("--family", type=click.Choice(["path", "speed", "timing", "noise", "duration_model"]), default="path",
              show_default=True, help="Part column held out by --holdout leave-one-family-out.")
@click.option("--test-negatives", cls=GreedyOption, type=click.Path(exists=True),
              help="Bot files used only for testing (their styles are never trained on).")
@_head_options
@click.option("--views", default="logger-robust", show_default=True,
              help="Comma-separated views: raw, resampled (at --resample-hz), <rate>hz or logger-robust, "
                   "e.g. raw,60hz,logger-robust.")
@_view_options
@_augment_option
@click.option("--cross-logger/--no-cross-logger", default=True, show_default=True,
              help="Re-record the held-out people through 10 other loggers and report the share flagged at the "
                   "in-domain 1% threshold.")
@click.option("--session-k", type=str, default="",
              help="Comma-separated window sizes for session-level fusion of consecutive movements, e.g. 5,10.")
@click.option("--test-fraction", type=click.FloatRange(0.05, 0.95), default=0.3, show_default=True,
              help="Fraction of people (and of bot movements not linked to people) held out for testing.")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bootstrap replicates of the confidence intervals (0: none).")
@click.option("--max-per-set", type=click.IntRange(min=10), default=None,
              help="Subsample the real set and every style to at most this many movements (seeded).")
@out_dir_option("Report directory (report.html, metrics.csv, scores.csv, summary.json).")
@seed_option
@device_option
@click.option("--format", "fmt", default=None, help="Input format of every file (default: detect).")
@click.option("--no-figures", is_flag=True, help="Skip the figures of the HTML report.")
@quiet_option
@force_option
def evaluate(real, negatives, holdout, family, test_negatives, head, epochs, params, views, resample_hz, jitter,
             augment_loggers, cross_logger, session_k, test_fraction, n_bootstrap, max_per_set, out, seed, device, fmt,
             no_figures, quiet, force):
    """Train detectors and measure them on bot styles and people they never saw.

    Leave-one-style-out: for each style, train on real movements of some
    people + every other style, test on other people + the left-out style.
    With --test-negatives: train on --negatives, test on each test style.
    Leave-one-family-out: negatives built from parts (-s composite) are held
    out by the value of one part column (--family path: every bezier path,
    every arc...). Reports ROC-AUC, PR-AUC, EER, TPR at FPR 1% and 0.1%, F1 with bootstrap
    intervals, a human-vs-human baseline, ROC curves, score distributions and
    the easiest/hardest movements.

    \b
    Example:
      deval evaluate --real real.npz --negatives spline.npz pid.npz noise.npz \\
          --views raw,60hz --session-k 5 --out eval/
    """
    from deval.atomic import check_files_writable
    from deval.detectors.evaluation import evaluate_holdout
    from deval.io import load_trajectories
    from deval.reports.detector_report import EVALUATION_FILES, headline_table, write_evaluation_report

    if holdout == "test-negatives" and not test_negatives:
        raise click.UsageError("--holdout test-negatives needs --test-negatives FILE [FILE ...]")
    if holdout in ("leave-one-style-out", "leave-one-family-out") and test_negatives:
        raise click.UsageError(f"--test-negatives cannot be used with --holdout {holdout}")
    check_files_writable(out, EVALUATION_FILES, force)  # fail before any work
    try:
        ks = tuple(int(k) for k in _csv_list(session_k))
    except ValueError:
        raise click.BadParameter(f"{session_k!r} is not a comma-separated list of integers",
                                 param_hint="--session-k") from None
    view_list = _csv_list(views)
    if not view_list:
        raise click.BadParameter("give at least one view", param_hint="--views")
    hp = _head_params(head, epochs, device, params)
    real_t = load_trajectories(real, fmt)
    bots = _negative_sets(negatives, fmt, "negatives")
    tests = _negative_sets(test_negatives, fmt, "test-negatives") if test_negatives else None
    n_models = 1 if tests else len(bots) + 1
    total = len(view_list) * (1 + 2 * n_models) + 1
    with step_progress(total, f"evaluate ({head})", quiet) as advance:
        result = evaluate_holdout(
            real_t, bots, test_negatives=tests, holdout=holdout, family=family, head=head, head_params=hp,
            views=view_list, session_k=ks, augment_loggers=augment_loggers, cross_logger=cross_logger,
            test_fraction=test_fraction, n_bootstrap=n_bootstrap, max_per_set=max_per_set,
            resample_hz=resample_hz, jitter=jitter, seed=seed, progress=advance,
        )
        advance("report")
        html = write_evaluation_report(result, out, force=force, figures=not no_figures, real_name=Path(real).stem)
    table = headline_table(result)
    click.echo(table.to_string(index=False))
    click.echo(f"report: {html}")


# --------------------------------------------------------------- mine-negatives
MINING_FILES = ("mined.npz", "rounds.json", "detector")


@click.command("mine-negatives")
@click.option("--real", required=True, type=click.Path(exists=True),
              help="Human movements (their endpoints condition every candidate).")
@click.option("--negatives", cls=GreedyOption, required=True, type=click.Path(exists=True),
              help="The starting negatives (one or more files).")
@click.option("--source", "-s", "sources", multiple=True, default=("composite",), show_default=True,
              metavar="NAME", help="Generators the candidates come from (repeatable).")
@click.option("--rounds", type=click.IntRange(1, 50), default=3, show_default=True, help="Mining rounds.")
@click.option("--candidates", type=click.IntRange(min=10), default=10000, show_default=True,
              help="Candidates generated per round.")
@click.option("--keep", type=click.FloatRange(0.0, 1.0, min_open=True), default=0.2, show_default=True,
              help="Share of the candidates kept each round (the hardest, under the diversity floor).")
@click.option("--clusters", type=click.IntRange(min=1), default=32, show_default=True,
              help="Feature-space clusters that each give some of the kept movements (the diversity floor).")
@click.option("--search/--no-search", default=True, show_default=True,
              help="Each round, random-search composite configurations the detector finds most human and draw "
                   "half of the candidates from them.")
@_head_options
@click.option("--view", default="logger-robust", show_default=True, help="View of the detectors trained each round.")
@_augment_option
@click.option("--evaluate-family", type=click.Choice(["path", "speed", "timing", "noise"]), default=None,
              help="After each round, leave-one-family-out on the pool so far; the per-family matrix goes in "
                   "rounds.json and the output.")
@out_dir_option("Directory: mined.npz (the mined movements), rounds.json, detector/ (trained on the final pool).")
@seed_option
@click.option("--format", "fmt", default=None, help="Input format of every file (default: detect).")
@quiet_option
@force_option
def mine_negatives(real, negatives, sources, rounds, candidates, keep, clusters, search, head, epochs, params, view,
                   augment_loggers, evaluate_family, out, seed, fmt, quiet, force):
    """Mine hard negatives: keep the candidates the current detector misses, retrain, repeat.

    Each round trains a detector on REAL against the pool (the starting
    negatives plus everything mined so far), searches the composite design
    space for the configurations it finds most human, generates candidates,
    and keeps the hardest share of them, spread over feature-space clusters so
    that the selection covers the pool instead of one trick.

    \b
    Example:
      deval mine-negatives --real real.npz --negatives neg.npz --rounds 3 --out mined/
      deval train-detector --real real.npz --negatives neg.npz mined/mined.npz --out det/
    """
    from deval.atomic import check_files_writable, json_text, staged_directory, write_text
    from deval.detectors import save_detector
    from deval.detectors.mining import mine_negatives as mine
    from deval.io import load_trajectories

    final = check_files_writable(out, MINING_FILES, force)
    hp = _head_params(head, epochs, None, params)
    real_t = load_trajectories(real, fmt)
    pool = _negative_sets(negatives, fmt, "negatives")
    with step_progress(4 * rounds + 1, "mine-negatives", quiet) as advance:
        result = mine(real_t, pool, sources=sources, rounds=rounds, candidates=candidates, keep=keep,
                      clusters=clusters, adversarial=search, head=head, head_params=hp, view=view,
                      augment_loggers=augment_loggers, evaluate_family=evaluate_family, seed=seed, progress=advance)
        final.mkdir(parents=True, exist_ok=True)
        with staged_directory(final) as stage:
            result.negatives.save(stage / "mined.npz")
            write_text(stage / "rounds.json", json_text({"rounds": result.rounds, "sources": list(sources),
                                                        "head": head, "view": view, "seed": seed}, indent=1),
                       force=True)
            save_detector(result.detector, stage / "detector", force=True,
                          training={"real": str(real), "negatives": [str(p) for p in negatives],
                                    "mined": len(result.negatives), "seed": seed})
    for r in result.rounds:
        click.echo(f"round {r['round']}: {r['candidates']} candidates, {r['pass_rate']:.3f} pass as people at the "
                   f"1% threshold; kept {r['kept']} (coverage {r['coverage']:.2f})")
        for row in r.get("family_matrix", []):
            click.echo(f"    held out {row['family']:28s} ROC-AUC {row['roc_auc']:.3f}  "
                       f"TPR@1%FPR {row['tpr_at_fpr_1pct']:.3f}")
    click.echo(f"mined: {final / 'mined.npz'} ({len(result.negatives)} movements)")
