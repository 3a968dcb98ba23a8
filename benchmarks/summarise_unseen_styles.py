"""Summary table (markdown) of bench_unseen_styles.py JSON files.

    python benchmarks/summarise_unseen_styles.py benchmarks/results/unseen_styles*.json
"""

from __future__ import annotations

import json
import sys


def main(paths: list[str]) -> None:
    print("| head | view | loggers | scripted LOSO: min AUC / TPR@1% | + design space, held-out scripted: min AUC / "
          "TPR@1% (worst) | leave-one-family-out: min AUC / TPR@1% (worst) | LOFO k=10: min TPR | cross-logger max "
          "FPR | human vs human AUC |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in paths:
        d = json.load(open(path))
        head = d["settings"]["head"] + (f" + mined ({d['settings'].get('mine_rounds')} rounds)"
                                        if d["settings"].get("mine_rounds") else "")
        groups: dict = {}
        for r in d["runs"]:
            groups.setdefault((r["view"], r["augment_loggers"]), []).append(r)
        for (view, aug), runs in groups.items():
            def pick(prefix):
                rows = [r for r in runs if r["experiment"].startswith(prefix) and "movement" in r]
                if not rows:
                    return None
                worst = min(rows, key=lambda r: r["movement"]["min_roc_auc"])
                return (worst["movement"]["min_roc_auc"], min(r["movement"]["min_tpr_at_fpr_1pct"] for r in rows),
                        worst["movement"]["worst_style"],
                        min((r.get("session-10", {}).get("min_tpr_at_fpr_1pct", 1.0) for r in rows)))
            loso, comp, fam = pick("scripted LOSO"), pick("scripted+composite"), pick("leave-one-")
            xlog = max((r.get("cross_logger_max_fpr", 0.0) for r in runs), default=float("nan"))
            hh = [r["human_baseline_auc"] for r in runs if r.get("human_baseline_auc") is not None]
            fmt = lambda v: "-" if v is None else f"{v[0]:.3f} / {v[1]:.3f}"  # noqa: E731
            fmtw = lambda v: "-" if v is None else f"{v[0]:.3f} / {v[1]:.3f} ({v[2]})"  # noqa: E731
            print(f"| {head} | {view} | {'augmented x' + str(aug) if aug else 'as logged'} | {fmt(loso)} | "
                  f"{fmtw(comp)} | {fmtw(fam)} | {'-' if fam is None else f'{fam[3]:.3f}'} | {xlog:.3f} | "
                  f"{min(hh):.2f}-{max(hh):.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
