"""``deval compare REAL FAKE [FAKE ...] --out DIR``."""

from __future__ import annotations

from pathlib import Path

import click

from deval.app.cli.progress import step_progress
from deval.app.cli.options import force_option, out_dir_option, quiet_option, seed_option
from deval.compare import ALL_METRICS, CompareSettings


def _csv_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


@click.command("compare")
@click.argument("real", type=click.Path(exists=True))
@click.argument("fakes", nargs=-1, required=True, type=click.Path(exists=True))
@out_dir_option("Report directory (report.html, metrics.csv, metrics.json, feature_distances.csv).")
@seed_option
@click.option("--features", default="all", show_default=True,
              help="Feature set: all, kinematic, spectral, shape, or comma-separated column names.")
@click.option("--metrics", default=",".join(ALL_METRICS), show_default=True,
              help="Comma-separated metrics to compute.")
@click.option("--max-samples", type=click.IntRange(min=10), default=20_000, show_default=True,
              help="Keep at most this many movements per set (subsampled with --seed; recorded). MMD and the "
                   "distance metrics are quadratic in it.")
@click.option("--classifier", type=click.Choice(["hgb", "logistic", "mlp"]), default="hgb", show_default=True,
              help="C2ST probe.")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True, help="C2ST folds.")
@click.option("--group-by-user", is_flag=True, help="Keep each person's movements in one C2ST fold.")
@click.option("--permutations", type=click.IntRange(min=0), default=200, show_default=True,
              help="Permutations of the MMD test.")
@click.option("--view", type=click.Choice(["raw", "60hz"]), default="raw", show_default=True,
              help="raw: the movements as recorded; 60hz: every set resampled at 60 Hz with seeded jitter first, "
                   "so the report shows realism apart from the logger (as evaluate's 60hz view).")
@click.option("--sequence-probe/--no-sequence-probe", default=True, show_default=True,
              help="Run the meter's sequence-level probe (a small 1-D CNN on the steps) and the stacked probe.")
@click.option("--no-baselines", is_flag=True, help="Skip the real-vs-real reference C2STs.")
@click.option("--sessions", "session_k", type=click.IntRange(min=0), default=0, show_default=True, metavar="K",
              help="Also judge sessions of K movements (mean and spread of each feature over K consecutive "
                   "movements of one session; a FAKE without session ids is cut in file order), against the "
                   "same measure between two halves of the real people (0: off).")
@click.option("--by-style", is_flag=True, help="Split each FAKE file by its style column: one row per style.")
@click.option("--by-condition", is_flag=True,
              help="Split each FAKE file by condition (start-to-end distance bin x 8 direction sectors): one row "
                   "per condition, judged against the real movements of the same condition (conditions with "
                   "fewer than --min-per-condition movements on either side are left out).")
@click.option("--distance-bins", default="0,200,500,1000,inf", show_default=True,
              help="Distance bin edges in pixels for --by-condition.")
@click.option("--min-per-condition", type=click.IntRange(min=20), default=50, show_default=True,
              help="Fewest movements per side for a --by-condition row.")
@click.option("--format", "fmt", default=None, help="Input format for every file (default: detect).")
@click.option("--animation", "animations", multiple=True, type=click.Path(exists=True, dir_okay=False),
              metavar="FILE.gif", help="GIF to embed in report.html, e.g. the denoising.gif written by "
                                       "generate-negatives --save-diffusion-frames (repeatable).")
@quiet_option
@force_option
def compare(real, fakes, out, seed, features, metrics, max_samples, classifier, folds, group_by_user,
            permutations, view, sequence_probe, no_baselines, session_k, by_style, by_condition, distance_bins, min_per_condition,
            fmt, animations, quiet, force):
    """Judge how close FAKE movement sets are to REAL ones.

    Every set goes through the same canonicalisation and feature extraction;
    then C2ST, MMD, PRD, k-NN precision/recall/density/coverage, per-feature
    and spectral distances. Writes a self-contained report.html plus CSV/JSON.

    \b
    Example:
      deval compare real.npz fake_a.npz fake_b.npz --out report/
      deval compare real.npz kf.npz --animation frames/keyframe-diffusion/denoising.gif --out report/
    """
    from deval.compare import compare_sets
    from deval.io import load_trajectories
    from deval.io.streaming import load_subsample
    from deval.reports.compare_report import REPORT_FILES, write_compare_report
    from deval.atomic import check_files_writable

    check_files_writable(out, REPORT_FILES, force)  # fail before any work
    from deval.reports.compare_report import gif_data_uri

    for path in animations:  # fail before any work on a file that is not a GIF
        gif_data_uri(path)
    captions = {}
    for path in animations:
        caption = f"{Path(path).parent.name}/{Path(path).name}" if Path(path).parent.name else Path(path).name
        while caption in captions:
            caption += "'"
        captions[caption] = path
    feats = features if features in ("all", "kinematic", "spectral", "shape") else _csv_list(features)
    settings = CompareSettings(
        seed=seed, max_samples=max_samples, features=feats, metrics=_csv_list(metrics),
        c2st_classifier=classifier, c2st_folds=folds, group_by_user=group_by_user,
        mmd_permutations=permutations, baselines=not no_baselines, view=view, sequence_probe=sequence_probe,
        session_k=session_k,
    )
    def load(path):
        if by_style or by_condition:  # split first, then each part is subsampled
            return load_trajectories(path, fmt)
        return load_subsample(path, fmt, n=max_samples, seed=seed)  # a parts folder is never held whole

    real_traj = load(real)
    fake_trajs = {}
    real_for: dict = {}
    real_parts: dict = {}
    part_condition: dict[str, str] = {}
    for path in fakes:
        traj = load(path)
        parts = {Path(path).stem: traj}
        if by_style:
            parts = {f"{Path(path).stem}:{st}": traj[traj.style == st] for st in dict.fromkeys(traj.style)}
        if by_condition:
            from deval.compare import condition_labels

            try:
                edges = tuple(float(v) for v in distance_bins.split(","))
            except ValueError:
                raise click.BadParameter(f"{distance_bins!r}: comma-separated numbers", param_hint="--distance-bins")
            real_labels = condition_labels(real_traj, edges)
            split_parts = {}
            for base, part in parts.items():
                labels = condition_labels(part, edges)
                for c in sorted(set(labels)):
                    if (labels == c).sum() >= min_per_condition and (real_labels == c).sum() >= min_per_condition:
                        split_parts[f"{base}:{c}"] = part[labels == c]
                        real_parts.setdefault(c, real_traj[real_labels == c])
                        part_condition[f"{base}:{c}"] = c
            if not split_parts:
                raise click.UsageError(f"no condition has {min_per_condition} movements on both sides; lower "
                                       "--min-per-condition or use coarser --distance-bins")
            parts = split_parts
        for key, part in parts.items():
            name = key
            while name in fake_trajs or name == Path(real).stem:
                name += "'"
            fake_trajs[name] = part
            if key in part_condition:
                real_for[name] = real_parts[part_condition[key]]
    steps = 2 + 2 * len(fake_trajs) + (0 if no_baselines else 1)
    with step_progress(steps, "compare", quiet) as advance:
        result = compare_sets(real_traj, fake_trajs, settings, real_name=Path(real).stem, progress=advance,
                              real_for=real_for or None)
        advance("report")
        html = write_compare_report(result, out, force=force, animations=captions)
    for v in result.verdicts():
        click.echo(f"{v['name']}: {v['text']}")
    for b in result.baselines:
        click.echo(f"  reference {b['name']}: C2ST {b['c2st_acc']:.3f} [{b['c2st_ci_low']:.3f}, {b['c2st_ci_high']:.3f}]")
    for row in result.sessions:
        if "not_computed" in row:
            click.echo(f"{row['name']}: sessions of {row['k']}: not computed ({row['not_computed']})")
        else:
            click.echo(f"{row['name']}: sessions of {row['k']}: C2ST {row['c2st_acc']:.3f} [{row['c2st_ci_low']:.3f}, "
                       f"{row['c2st_ci_high']:.3f}] (people vs people {row['people_vs_people']:.3f})"
                       + ("; no session ids: windows in file order" if row["pseudo_sessions"] else ""))
    click.echo(f"report: {html}")
