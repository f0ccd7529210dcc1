#!/usr/bin/python3
"""label_ranking_report.py OUT: the label-ranking results (the paper's Fig. 3)
from the sweeps OUT/<method>/sweep.h5 (method: fy, perturbed_squared, squared,
blackbox, ridge with the affine model, default.grid; a missing one is skipped
with a note; fy_mlp, perturbed_squared_mlp, squared_mlp with the mlp,
mlp.grid), beside the random forest and k-NN of OUT/baselines.csv
(scripts/label_ranking_baselines.py) when it is there.

Protocol (nested cross-validation): for each method, dataset and outer fold
(data.fold), every hyperparameter setting (the values of every grid axis other
than data.dataset, data.fold, data.inner_fold) is scored by its mean test
Spearman over the inner folds (data.inner_fold = 0..K-1); the best setting
(ties: the first in the order of the summary rows) is scored by the test
Spearman of its refit (data.inner_fold = -1, evaluated on the outer test
fold). A fold with a needed point missing or NaN is left out and counted.

Inputs: OUT/<method>/sweep.h5 (/summary, see src/engine/sweep/sweep.h); optional
OUT/times.txt ("<method> <seconds>" lines); optional environment variable
PERTURB_LABEL_RANKING_DIR (the dataset CSVs, for n and d in the timing table).

Outputs in OUT: label_ranking.csv (one row per dataset and method),
label_ranking.md (table, shares, checks, timing) and fig3.png (FY against the
other methods, one point per dataset); with the mlp sweeps, fig3_mlp.png (FY
with the mlp against FY with the affine model and against the better of the
random forest and k-NN). The shares and checks are also printed.
Exit status 0 even when a check fails; 1 when OUT holds no sweep.h5 or a
summary lacks a required axis. Needs Debian's python3-h5py and
python3-matplotlib: run it with /usr/bin/python3."""
import collections
import csv
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import sweep_summary  # noqa: E402  (scripts/sweep_summary.py)

AFFINE = ["fy", "perturbed_squared", "squared", "blackbox", "ridge"]
MLP = ["fy_mlp", "perturbed_squared_mlp", "squared_mlp"]
METHODS = AFFINE + MLP
TRAINED = ["fy", "perturbed_squared", "squared", "blackbox"]
BASELINES = ["rf", "knn"]  # OUT/baselines.csv
BEST_BASELINE = "best_rf_knn"
LABELS = {"fy": "perturbed FY", "perturbed_squared": "perturbed squared",
          "squared": "squared", "blackbox": "blackbox", "ridge": "ridge",
          "fy_mlp": "FY, mlp", "perturbed_squared_mlp": "perturbed squared, mlp",
          "squared_mlp": "squared, mlp", "rf": "random forest", "knn": "k-NN",
          BEST_BASELINE: "best of RF / k-NN"}
# issue #12: FY with the mlp at or above the best of RF / k-NN on >= 15 of 21
# datasets, and at or above FY with the affine model on >= 19 of 21
MLP_OVER_BASELINES, MLP_OVER_AFFINE = 15, 19
DATASET, FOLD, INNER = "data.dataset", "data.fold", "data.inner_fold"
REQUIRED_AXES = (DATASET, FOLD, INNER)
REFIT = -1
PAPER_DATASETS, PAPER_NEEDED = 21, 19  # check 1: FY within 5% of squared on >= 19/21
WITHIN = 0.05
PROG = "label_ranking_report"


def fail(message):
    sweep_summary.fail(PROG, message)


def read_summary(path):
    return sweep_summary.read(path, REQUIRED_AXES, PROG)


def hyper_axes(summary):
    return [a for a in summary["axes"] if a not in REQUIRED_AXES]


def setting_name(axes, setting):
    return " ".join(f"{a}={v}" for a, v in zip(axes, setting)) if axes else "(no hyperparameters)"


def unique_in_order(items):
    return list(dict.fromkeys(items))


def dataset_points(summary, dataset):
    """{(fold, inner fold, setting): test Spearman}, the settings in row order,
    the inner folds present and the sum of the points' wall seconds."""
    cols, hyper = summary["cols"], hyper_axes(summary)
    rows = np.flatnonzero(cols[DATASET] == dataset)
    spearman, settings, inner_folds = {}, [], set()
    for r in rows:
        setting = tuple(cols[a][r] for a in hyper)
        fold, inner = int(cols[FOLD][r]), int(cols[INNER][r])
        spearman[(fold, inner, setting)] = cols["test_spearman"][r]
        settings.append(setting)
        if inner != REFIT:
            inner_folds.add(inner)
    seconds = float(np.nansum(cols["wall_seconds"][rows]))
    return spearman, unique_in_order(settings), sorted(inner_folds), seconds


def choose_setting(spearman, fold, settings, inner_folds, axes):
    """The setting with the best mean inner-fold Spearman, or (None, reason)."""
    if not inner_folds:
        return (settings[0], None) if len(settings) == 1 else (None, "no inner folds to tune on")
    means = []
    for s in settings:
        values = [spearman.get((fold, k, s), math.nan) for k in inner_folds]
        bad = [k for k, v in zip(inner_folds, values) if math.isnan(v)]
        if bad:
            return None, f"inner fold {bad[0]} missing or NaN ({setting_name(axes, s)})"
        means.append(np.mean(values))
    return settings[int(np.argmax(means))], None


def evaluate_dataset(summary, dataset):
    """Per outer fold the refit score of the chosen setting; missing folds with reasons."""
    spearman, settings, inner_folds, seconds = dataset_points(summary, dataset)
    axes = hyper_axes(summary)
    folds = sorted({int(f) for f in summary["cols"][FOLD][summary["cols"][DATASET] == dataset]})
    scores, chosen, missing = {}, {}, {}
    for fold in folds:
        best, reason = choose_setting(spearman, fold, settings, inner_folds, axes)
        score = spearman.get((fold, REFIT, best), math.nan) if best is not None else math.nan
        if best is not None and math.isnan(score):
            reason = "refit point missing or NaN"
        if reason:
            missing[fold] = reason
            continue
        scores[fold], chosen[fold] = score, best
    return fold_statistics(scores, chosen, missing, folds, settings, axes, seconds)


def most_chosen(chosen, settings, axes):
    if not chosen:
        return ""
    counts = collections.Counter(chosen.values())
    top = max(settings, key=lambda s: counts.get(s, 0))  # max keeps the first of equals
    return f"{setting_name(axes, top)} ({counts[top]}/{len(chosen)})"


def fold_statistics(scores, chosen, missing, folds, settings, axes, seconds):
    values = np.array([scores[f] for f in sorted(scores)])
    n = len(values)
    mean = float(np.mean(values)) if n else math.nan
    sd = float(np.std(values, ddof=1)) if n > 1 else math.nan
    return {"folds": n, "outer_folds": len(folds), "mean": mean, "sd": sd,
            "se": sd / math.sqrt(n) if n > 1 else math.nan,
            "chosen": most_chosen(chosen, settings, axes), "seconds": seconds,
            "missing": missing}


def collect(out):
    """{method: {dataset: statistics}} and notes on what was skipped (the mlp
    methods only when some mlp sweep is there: an affine-only run is whole)."""
    results, notes = {}, []
    any_mlp = any(os.path.exists(os.path.join(out, m, "sweep.h5")) for m in MLP)
    for method in METHODS:
        path = os.path.join(out, method, "sweep.h5")
        if not os.path.exists(path):
            if method in AFFINE or any_mlp:
                notes.append(f"{method}: no {path}, skipped")
            continue
        summary = read_summary(path)
        if summary is None:
            notes.append(f"{method}: {path} has no /summary yet (sweep not finished), skipped")
            continue
        if not summary["complete"]:
            notes.append(f"{method}: sweep not complete (NaN points make folds missing)")
        datasets = unique_in_order(summary["cols"][DATASET])
        results[method] = {d: evaluate_dataset(summary, d) for d in datasets}
    results.update(read_baselines(out, notes))
    return results, notes


def read_baselines(out, notes):
    """{rf, knn, best_rf_knn: {dataset: statistics}} from OUT/baselines.csv
    (one row per dataset, method and outer fold), or {} if it is not there.
    The best of the two is chosen per dataset by the mean over folds, as the
    comparison of issue #12 states it."""
    path = os.path.join(out, "baselines.csv")
    if not os.path.exists(path):
        return {}
    scores = collections.defaultdict(dict)  # (method, dataset) -> {fold: spearman}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row.get("method") in BASELINES:
                scores[(row["method"], row["dataset"])][int(row["fold"])] = float(row["spearman"])
    found = {}
    for (method, dataset), by_fold in scores.items():
        folds = sorted(by_fold)
        found.setdefault(method, {})[dataset] = fold_statistics(by_fold, {}, {}, folds, [], [], math.nan)
    if not found:
        notes.append(f"{path}: no rows of {', '.join(BASELINES)}")
        return {}
    best = {}
    for dataset in sorted({d for per in found.values() for d in per}):
        candidates = [found[m][dataset] for m in BASELINES if dataset in found.get(m, {})]
        best[dataset] = max(candidates, key=lambda st: st["mean"])
    found[BEST_BASELINE] = best
    return found


def fmt_seconds(seconds):
    return f"{seconds:.1f}" if seconds >= 10 else f"{seconds:.3f}"


def fmt(x, digits=3):
    return "n/a" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def write_csv(out, results):
    with open(os.path.join(out, "label_ranking.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["dataset", "method", "folds", "mean", "sd", "se", "chosen", "seconds"])
        for dataset in all_datasets(results):
            for method in results:
                st = results[method].get(dataset)
                if st:
                    w.writerow([dataset, method, st["folds"], fmt(st["mean"], 6), fmt(st["sd"], 6),
                                fmt(st["se"], 6), st["chosen"], f"{st['seconds']:.3f}"])


def all_datasets(results):
    return sorted({d for per_dataset in results.values() for d in per_dataset})


def mean_of(results, method, dataset):
    st = results.get(method, {}).get(dataset)
    return st["mean"] if st else math.nan


def table_cell(st, bold):
    if st is None:
        return "–"
    if st["folds"] == 0:
        return f"– (0/{st['outer_folds']} folds)"
    cell = f"{st['mean']:.3f} ± {fmt(st['sd'])}"
    cell = f"**{cell}**" if bold else cell
    if st["folds"] < st["outer_folds"]:
        cell += f" ({st['folds']}/{st['outer_folds']} folds)"
    return cell


def table_section(results):
    methods = list(results)
    lines = ["## Test Spearman correlation (mean ± sd over outer folds)", "",
             "Hyperparameters tuned by inner cross-validation on each outer training part; "
             f"bold: the best of the trained methods ({', '.join(LABELS[m] for m in TRAINED)}).", "",
             "| dataset | " + " | ".join(LABELS[m] for m in methods) + " |",
             "|---|" + "---:|" * len(methods)]
    for dataset in all_datasets(results):
        trained = [mean_of(results, m, dataset) for m in TRAINED]
        best = np.nanmax(trained) if not all(math.isnan(v) for v in trained) else math.nan
        cells = [table_cell(results[m].get(dataset),
                            m in TRAINED and mean_of(results, m, dataset) == best) for m in methods]
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    return lines + missing_fold_lines(results)


def missing_fold_lines(results):
    lines = []
    for method, per_dataset in results.items():
        for dataset, st in sorted(per_dataset.items()):
            for fold, reason in sorted(st["missing"].items()):
                lines.append(f"- {method}, {dataset}, outer fold {fold}: {reason}")
    return ["", "Outer folds left out:", ""] + lines if lines else ["", "No outer fold left out."]


def fy_comparison(results, method):
    """Datasets where both have a mean: (compared, FY better, FY better or within 5%)."""
    compared, better, within = [], [], []
    for dataset in all_datasets(results):
        fy, other = mean_of(results, "fy", dataset), mean_of(results, method, dataset)
        if math.isnan(fy) or math.isnan(other):
            continue
        compared.append(dataset)
        if fy > other:
            better.append(dataset)
        if fy >= other - WITHIN * abs(other):
            within.append(dataset)
    return compared, better, within


def percent(k, n):
    return f"{100 * k / n:.0f}%" if n else "n/a"


def shares_section(results):
    lines = ["## Shares of datasets where perturbed FY wins", "",
             "(the paper reports 76% better and 90% better or within 5% for its comparison)", "",
             "| FY against | datasets | FY better | FY better or within 5% |", "|---|---:|---:|---:|"]
    for method in AFFINE[1:]:
        if method not in results or "fy" not in results:
            lines.append(f"| {LABELS[method]} | – | – | – |")
            continue
        compared, better, within = fy_comparison(results, method)
        n = len(compared)
        lines.append(f"| {LABELS[method]} | {n} | {len(better)} ({percent(len(better), n)}) | "
                     f"{len(within)} ({percent(len(within), n)}) |")
    return lines


def at_or_above(results, method, other):
    """Datasets where both have a mean: (compared, method >= other)."""
    compared, above = [], []
    for dataset in all_datasets(results):
        a, b = mean_of(results, method, dataset), mean_of(results, other, dataset)
        if math.isnan(a) or math.isnan(b):
            continue
        compared.append(dataset)
        if a >= b:
            above.append(dataset)
    return compared, above


def check_mlp(results, other, needed):
    if "fy_mlp" not in results or other not in results:
        return None
    compared, above = at_or_above(results, "fy_mlp", other)
    n = len(compared)
    need = needed if n == PAPER_DATASETS else math.ceil(needed * n / PAPER_DATASETS)
    verdict = "PASS" if n and len(above) >= need else "FAIL"
    below = [d for d in compared if d not in above]
    return (f"- {verdict}: FY with the mlp at or above {LABELS[other]} on {len(above)}/{n} datasets "
            f"(need >= {need}; below on: {', '.join(below) or 'none'})")


def check_squared(results):
    if "fy" not in results or "squared" not in results:
        return "- n/a: FY better than or within 5% of squared: needs both the fy and the squared sweeps"
    compared, _, within = fy_comparison(results, "squared")
    n = len(compared)
    needed = PAPER_NEEDED if n == PAPER_DATASETS else math.ceil(PAPER_NEEDED * n / PAPER_DATASETS)
    verdict = "PASS" if n and len(within) >= needed else "FAIL"
    line = (f"- {verdict}: FY better than or within 5% of squared on {len(within)}/{n} datasets "
            f"(need >= {needed}")
    if n != PAPER_DATASETS:
        line += (f"; {PAPER_NEEDED}/{PAPER_DATASETS} scaled: only {n} of the paper's "
                 f"{PAPER_DATASETS} datasets compared")
    return line + ")"


def check_ridge(results):
    if "fy" not in results or "ridge" not in results:
        return "- n/a: FY against ridge: needs both the fy and the ridge sweeps"
    below, unknown = [], []
    for dataset in all_datasets(results):
        fy, ridge = results["fy"].get(dataset), mean_of(results, "ridge", dataset)
        if fy is None or math.isnan(fy["mean"]) or math.isnan(ridge):
            continue
        if math.isnan(fy["se"]):
            unknown.append(dataset)
        elif fy["mean"] < ridge - fy["se"]:
            below.append(f"{dataset} ({fy['mean']:.3f} vs {ridge:.3f}, se {fy['se']:.3f})")
    verdict = "PASS" if not below else "FAIL"
    line = (f"- {verdict}: FY more than one standard error (FY's se) below ridge on datasets: "
            f"{', '.join(below) or 'none'}")
    if unknown:
        line += f" (not decidable, FY se undefined with < 2 folds: {', '.join(unknown)})"
    return line


def checks_section(results):
    mlp = [check_mlp(results, BEST_BASELINE, MLP_OVER_BASELINES), check_mlp(results, "fy", MLP_OVER_AFFINE)]
    return ["## Checks", "", check_squared(results), check_ridge(results)] + [c for c in mlp if c]


def dataset_shape(dataset):
    """(n, d) from $PERTURB_LABEL_RANKING_DIR/<dataset>.csv, or ("", "")."""
    folder = os.environ.get("PERTURB_LABEL_RANKING_DIR")
    path = os.path.join(folder, f"{dataset}.csv") if folder else None
    if not path or not os.path.exists(path):
        return "", ""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = sum(1 for row in reader if row)
    return rows, sum(1 for name in header if re.fullmatch(r"r\d*", name.strip()))


def read_times(out):
    path = os.path.join(out, "times.txt")
    times = []
    if os.path.exists(path):
        for line in open(path):
            fields = line.split()
            if len(fields) == 2 and re.fullmatch(r"[0-9.eE+-]+", fields[1]):
                times.append((fields[0], float(fields[1])))
    return times


def timing_section(out, results):
    trained = [m for m in results if m in METHODS]
    per_dataset = {d: sum(results[m][d]["seconds"] for m in trained if d in results[m])
                   for d in all_datasets(results)}
    total = sum(per_dataset.values())
    lines = ["## Time", "", "Sum of the points' wall seconds over all methods, per dataset:", "",
             "| dataset | seconds | share | n | d |", "|---|---:|---:|---:|---:|"]
    for dataset, seconds in sorted(per_dataset.items(), key=lambda kv: -kv[1]):
        n, d = dataset_shape(dataset)
        lines.append(f"| {dataset} | {fmt_seconds(seconds)} | {percent(seconds, total)} | {n} | {d} |")
    lines.append(f"| total | {fmt_seconds(total)} | 100% | | |")
    lines += ["", "| method | points' seconds | sweep wall seconds (times.txt) |", "|---|---:|---:|"]
    times = dict(read_times(out))
    for method in unique_in_order(trained + list(times)):
        point_seconds = sum(st["seconds"] for st in results.get(method, {}).values())
        wall = fmt_seconds(times[method]) if method in times else ""
        lines.append(f"| {method} | {fmt_seconds(point_seconds)} | {wall} |")
    if times:
        lines.append(f"| total | {fmt_seconds(total)} | {fmt_seconds(sum(times.values()))} |")
    return lines


def write_markdown(out, results, notes):
    shares, checks = shares_section(results), checks_section(results)
    lines = ["# Label ranking (Fig. 3): nested cross-validation", ""]
    lines += [f"- {n}" for n in notes] + ([""] if notes else [])
    lines += table_section(results) + [""] + shares + [""] + checks + [""] + timing_section(out, results)
    lines += ["", "Plots: fig3.png (left: FY against squared, blackbox and ridge; "
              "right: perturbed squared against FY and blackbox; one point per dataset)."]
    if "fy_mlp" in results:
        lines += ["fig3_mlp.png: FY with the mlp against FY with the affine model (left) and against "
                  "the best of the random forest and k-NN (right)."]
    with open(os.path.join(out, "label_ranking.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(shares + [""] + checks))


def scatter_panel(ax, results, y_method, x_methods, title):
    """y_method's mean against each x method's, one point per dataset; returns all values."""
    markers = {"fy": "o", "squared": "s", "blackbox": "^", "ridge": "D", BEST_BASELINE: "v"}
    plotted = []
    for method in x_methods:
        pairs = [(mean_of(results, method, d), mean_of(results, y_method, d), d)
                 for d in all_datasets(results)]
        pairs = [p for p in pairs if not (math.isnan(p[0]) or math.isnan(p[1]))]
        if not pairs:
            continue
        ax.scatter([p[0] for p in pairs], [p[1] for p in pairs], marker=markers[method],
                   label=LABELS[method], alpha=0.75)
        plotted += pairs
    label_extremes(ax, plotted)
    ax.set_ylabel(f"{LABELS[y_method]} test Spearman")
    ax.set_xlabel("other method's test Spearman")
    ax.set_title(title, fontsize=10)
    return [v for p in plotted for v in p[:2]]


def label_extremes(ax, pairs, count=4):
    """Names the few points farthest from the diagonal (few, to stay readable)."""
    for x, y, dataset in sorted(pairs, key=lambda p: -abs(p[1] - p[0]))[:count]:
        if abs(y - x) > 0.01:
            ax.annotate(dataset, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")


def finish_panel(ax, values):
    if not values:
        ax.text(0.5, 0.5, "no data", ha="center", transform=ax.transAxes)
        return
    lo, hi = min(values), max(values)
    pad = max(0.02, 0.05 * (hi - lo))
    lo, hi = lo - pad, hi + pad
    ax.plot([lo, hi], [lo, hi], color="gray", linewidth=1)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")


def plot_fig3(out, results):
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
    left = scatter_panel(axes[0], results, "fy", ["squared", "blackbox", "ridge"],
                         "points above the diagonal: FY better")
    right = scatter_panel(axes[1], results, "perturbed_squared", ["fy", "blackbox"],
                          "points above the diagonal: perturbed squared better")
    finish_panel(axes[0], left)
    finish_panel(axes[1], right)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fig3.png"), dpi=100)
    plt.close(fig)


def plot_fig3_mlp(out, results):
    """FY with the mlp against FY affine and against the best of RF / k-NN."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
    panels = [("fy", "points above the diagonal: the mlp better"),
              (BEST_BASELINE, "points above the diagonal: FY with the mlp better")]
    for ax, (other, title) in zip(axes, panels):
        finish_panel(ax, scatter_panel(ax, results, "fy_mlp", [other] if other in results else [], title))
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fig3_mlp.png"), dpi=100)
    plt.close(fig)


def main(out):
    if not os.path.isdir(out):
        fail(f"{out}: no such directory")
    if not any(os.path.exists(os.path.join(out, m, "sweep.h5")) for m in METHODS):
        fail(f"{out}: no sweep.h5 under {out}/<method>/ for any of {', '.join(METHODS)}")
    results, notes = collect(out)
    if not results:
        fail(f"{out}: no sweep.h5 holds a /summary yet")
    for note in notes:
        print(f"{PROG}: {note}", file=sys.stderr)
    write_csv(out, results)
    write_markdown(out, results, notes)
    plot_fig3(out, results)
    outputs = "label_ranking.csv, label_ranking.md, fig3.png"
    if "fy_mlp" in results:
        plot_fig3_mlp(out, results)
        outputs += ", fig3_mlp.png"
    print(f"{PROG}: {', '.join(results)} -> {out}/{outputs}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: label_ranking_report.py OUT")
    main(sys.argv[1])
