"""Do detectors catch bot styles and spare people behind loggers they never saw? (issue 20's protocol)

Command::

    python benchmarks/bench_unseen_styles.py --real ../shared/data/sapimouse_dev.npz \\
        --json-out benchmarks/results/unseen_styles.json [--n-scripted 1500] [--n-composite 9000] \\
        [--views 60hz,logger-robust] [--augment 0,16] [--head hgb]

Negatives are made as a user would (``--like`` the real file: its endpoints):
the six scripted styles (spline, pid, noise, minimum-jerk, sigma-lognormal,
replay) and the ``composite`` design space. For every view and augmentation
setting it runs:

1. **scripted LOSO**: leave-one-style-out over the six scripted styles (what
   deval did before the design space);
2. **scripted LOSO + design space**: the same held-out scripted styles, with
   composite movements always in training (test-negatives protocol, one model
   per held-out style);
3. **leave-one-family-out** over composite's ``path``, ``speed``, ``timing``
   and ``noise`` parts, scripted styles always in training.

Each prints the minimum over held-out styles / families of ROC-AUC and TPR at
1% FPR (replay, a recording of people, reported but kept out of the minimum),
the held-out people's FPR, the session-level (k = 3, 10) minimum TPR, and the
worst cross-logger FPR at the in-domain 1% threshold.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
SCRIPTED = ("spline", "pid", "noise", "minimum-jerk", "sigma-lognormal", "replay")
FAMILIES = ("path", "speed", "timing", "noise")


def negatives(real, n_scripted: int, n_composite: int, seed: int):
    from deval.negatives import generate_negatives

    scripted = {s: generate_negatives([s], like=real, n=n_scripted, seed=seed) for s in SCRIPTED}
    composite = generate_negatives(["composite"], like=real, n=n_composite, seed=seed)
    return scripted, composite


def summarise(result, exclude=("replay",)) -> dict:
    m = result.metrics
    out = {}
    for level in sorted(m["level"].unique()):
        held = m[(m["setting"] == "held-out") & (m["level"] == level)]
        keep = held[~held["style"].isin(exclude)]
        if not len(keep):
            continue
        worst = keep.loc[keep["roc_auc"].idxmin()]
        out[level] = {
            "min_roc_auc": float(keep["roc_auc"].min()), "worst_style": str(worst["style"]),
            "min_tpr_at_fpr_1pct": float(keep["tpr_at_fpr_1pct"].min()),
            "min_tpr_at_fpr_01pct": float(keep["tpr_at_fpr_0.1pct"].min()) if "tpr_at_fpr_0.1pct" in keep else None,
            "below_0.90": int((keep["roc_auc"] < 0.90).sum()), "n_styles": int(len(keep)),
            "rows": held[["style", "roc_auc", "tpr_at_fpr_1pct"]].round(4).to_dict(orient="records"),
        }
    base = m[(m["setting"] == "baseline") & (m["level"] == "movement")]
    out["human_baseline_auc"] = float(base["roc_auc"].iloc[0]) if len(base) else None
    if len(result.cross_logger):
        c = result.cross_logger
        out["cross_logger_max_fpr"] = float(c["fpr"].max())
        out["cross_logger_worst"] = str(c.loc[c["fpr"].idxmax(), "logger"])
        out["cross_logger"] = c[["logger", "fpr"]].round(4).to_dict(orient="records")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", default=str(REPO.parent / "shared" / "data" / "sapimouse_dev.npz"))
    ap.add_argument("--n-scripted", type=int, default=1500)
    ap.add_argument("--n-composite", type=int, default=9000)
    ap.add_argument("--views", default="60hz,logger-robust")
    ap.add_argument("--augment", default="0,16", help="comma-separated logger counts (0: no augmentation)")
    ap.add_argument("--head", default="hgb")
    ap.add_argument("--experiments", default="scripted,scripted+composite,families")
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mine-rounds", type=int, default=0,
                    help="mine hard negatives from composite (pool: composite only, so no scripted style leaks) "
                         "and train on them too (train only: never tested, held out with their family)")
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args()

    from deval.detectors.evaluation import evaluate_holdout
    from deval.io import load_trajectories

    real = load_trajectories(args.real)
    t0 = time.perf_counter()
    scripted, composite = negatives(real, args.n_scripted, args.n_composite, args.seed)
    print(f"negatives made in {time.perf_counter() - t0:.0f} s: scripted {args.n_scripted} x {len(scripted)}, "
          f"composite {len(composite)}", flush=True)
    results = {"settings": vars(args), "runs": []}
    if args.mine_rounds:
        from deval.detectors.mining import mine_negatives

        t1 = time.perf_counter()
        mined = mine_negatives(real, {"composite": composite}, rounds=args.mine_rounds, candidates=10000,
                               head="hgb", view="logger-robust", seed=args.seed)
        results["mining"] = mined.rounds
        for r in mined.rounds:
            print(f"mining round {r['round']}: pass rate {r['pass_rate']:.3f}, kept {r['kept']}, "
                  f"coverage {r['coverage']:.2f}", flush=True)
        mined_set = mined.negatives.with_meta(style="mined")
        print(f"mined {len(mined.negatives)} in {time.perf_counter() - t1:.0f} s", flush=True)
    else:
        mined_set = None
    common = dict(head=args.head, session_k=(3, 10), n_bootstrap=args.bootstrap, seed=args.seed)
    experiments = args.experiments.split(",")
    for view in args.views.split(","):
        for k in (int(a) for a in args.augment.split(",")):
            runs = []
            if "scripted" in experiments:
                runs.append(("scripted LOSO", lambda: evaluate_holdout(
                    real, scripted, views=(view,), augment_loggers=k, **common)))
            if "scripted+composite" in experiments:
                for s in SCRIPTED:
                    others = {o: t for o, t in scripted.items() if o != s}
                    runs.append((f"scripted+composite, held out {s}", lambda s=s, others=others: evaluate_holdout(
                        real, {**others, "composite": composite}, test_negatives={s: scripted[s]}, views=(view,),
                        augment_loggers=k, cross_logger=(s == SCRIPTED[0]), train_only=mined_set, **common)))
            if "families" in experiments:
                for fam in FAMILIES:
                    runs.append((f"leave-one-{fam}-out", lambda fam=fam: evaluate_holdout(
                        real, {**scripted, "composite": composite}, holdout="leave-one-family-out", family=fam,
                        views=(view,), augment_loggers=k, cross_logger=(fam == FAMILIES[0]), train_only=mined_set,
                        **common)))
            for name, run in runs:
                t1 = time.perf_counter()
                res = run()
                summary = summarise(res)
                mv = summary.get("movement", {})
                s10 = summary.get("session-10", {})
                print(f"{view:14s} aug={k:<3d} {name:42s} minAUC {mv.get('min_roc_auc', float('nan')):.3f} "
                      f"({mv.get('worst_style', '')}) minTPR@1% {mv.get('min_tpr_at_fpr_1pct', float('nan')):.3f} "
                      f"k10 minTPR {s10.get('min_tpr_at_fpr_1pct', float('nan')):.3f} "
                      f"hh {summary['human_baseline_auc']:.3f} "
                      f"xlog max FPR {summary.get('cross_logger_max_fpr', float('nan')):.3f} "
                      f"({summary.get('cross_logger_worst', '')}) {time.perf_counter() - t1:.0f}s", flush=True)
                results["runs"].append({"view": view, "augment_loggers": k, "experiment": name, **summary})
                if args.json_out:
                    Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
                    Path(args.json_out).write_text(json.dumps(results, indent=1))
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
