#!/usr/bin/python3
"""eps_plot.py DIR: the effect of the noise amplitude epsilon and of the number
of samples M (the paper's Fig. 2, right) from the sweep DIR/sweep.h5, whose
grid has the axes loss.epsilon and loss.samples and possibly data.dataset and
data.fold. Every other axis is averaged over: per dataset, M, epsilon and
fold the mean over the other axes, then the mean and standard error over the
folds. Points with NaN metrics (not complete) are left out and counted.

Outputs: DIR/eps_m.png (one row per dataset: train Spearman and test Spearman
against epsilon, log x axis, one line per M with standard-error bars; the
train panel shows train_loss when the summary has no train_spearman column)
and DIR/eps_m.csv (dataset, samples, epsilon, folds, train mean, train se,
test mean, test se). Needs Debian's python3-h5py and python3-matplotlib: run
it with /usr/bin/python3."""
import collections
import configparser
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import sweep_summary  # noqa: E402  (scripts/sweep_summary.py)

EPSILON, SAMPLES, DATASET, FOLD = "loss.epsilon", "loss.samples", "data.dataset", "data.fold"
PROG = "eps_plot"


def fail(message):
    sweep_summary.fail(PROG, message)


def read_summary(path):
    """The /summary columns (axes as str arrays, metrics as floats), its axes, completeness."""
    if not os.path.exists(path):
        fail(f"no {path}")
    summary = sweep_summary.read(path, (EPSILON, SAMPLES), PROG)
    if summary is None:
        fail(f"{path} has no /summary yet (sweep not finished)")
    cols = summary["cols"]
    if DATASET not in cols:
        cols[DATASET] = np.array([configured_dataset(summary["base_config"])] * len(cols["index"]), dtype=object)
    return cols, summary["axes"], summary["complete"]


def configured_dataset(base_config):
    """data.dataset of the base configuration (the sweep has no such axis), or a placeholder."""
    parser = configparser.ConfigParser()
    try:
        parser.read_string(base_config)
    except configparser.Error:
        return "(dataset)"
    return parser.get("data", "dataset", fallback="") or "(dataset)"


def fold_means(cols, train_metric):
    """{(dataset, M, epsilon): {fold: (train, test)}}, each the mean over the other
    axes, and the number of points left out for NaN metrics."""
    per_fold = collections.defaultdict(lambda: collections.defaultdict(list))
    nrows = len(cols["index"])
    left_out = 0
    for r in range(nrows):
        train, test = cols[train_metric][r], cols["test_spearman"][r]
        if math.isnan(train) or math.isnan(test):
            left_out += 1
            continue
        dataset = cols[DATASET][r]
        fold = cols[FOLD][r] if FOLD in cols else r
        per_fold[(dataset, cols[SAMPLES][r], cols[EPSILON][r])][fold].append((train, test))
    means = {key: {fold: tuple(np.mean(values, axis=0)) for fold, values in folds.items()}
             for key, folds in per_fold.items()}
    return means, left_out


def mean_se(values):
    values = np.asarray(values, dtype=float)
    se = np.std(values, ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return float(np.mean(values)), float(se)


def statistics(means):
    """Rows (dataset, M, epsilon, folds, train mean, train se, test mean, test se),
    sorted by dataset, then M and epsilon as numbers."""
    rows = []
    for (dataset, samples, epsilon), folds in means.items():
        pairs = list(folds.values())
        rows.append((dataset, samples, epsilon, len(pairs),
                     *mean_se([p[0] for p in pairs]), *mean_se([p[1] for p in pairs])))
    rows.sort(key=lambda r: (r[0], float(r[1]), float(r[2])))
    return rows


def write_csv(path, rows, train_metric):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["dataset", "samples", "epsilon", "folds", f"{train_metric}_mean",
                    f"{train_metric}_se", "test_spearman_mean", "test_spearman_se"])
        w.writerows([r[:4] + tuple(f"{v:.6g}" for v in r[4:]) for r in rows])


def x_positions(epsilons):
    """Epsilon as plotted on a log axis: 0 drawn at a third of the smallest positive value."""
    positive = [e for e in epsilons if e > 0]
    zero_at = min(positive) / 3 if positive else 1.0
    return {e: (e if e > 0 else zero_at) for e in epsilons}


def plot_dataset(axes_pair, rows, train_label):
    epsilons = sorted({float(r[2]) for r in rows})
    xs = x_positions(epsilons)
    for samples in sorted({r[1] for r in rows}, key=float):
        line = sorted((r for r in rows if r[1] == samples), key=lambda r: float(r[2]))
        x = [xs[float(r[2])] for r in line]
        for ax, mean_col in zip(axes_pair, (4, 6)):
            ax.errorbar(x, [r[mean_col] for r in line],
                        yerr=[0 if math.isnan(r[mean_col + 1]) else r[mean_col + 1] for r in line],
                        marker="o", markersize=4, capsize=3, label=f"M = {samples}")
    zero_note = " (0 drawn at the left edge)" if 0.0 in epsilons else ""
    if "loss" in train_label and all(r[4] > 0 for r in rows):
        axes_pair[0].set_yscale("log")
    for ax, ylabel in zip(axes_pair, (train_label, "test Spearman")):
        ax.set_xscale("log")
        ax.set_xlabel(f"epsilon{zero_note}")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)


def plot(path, rows, train_label):
    datasets = sorted({r[0] for r in rows})
    fig, axes = plt.subplots(len(datasets), 2, figsize=(9.5, 3.2 * len(datasets)), squeeze=False)
    for axes_pair, dataset in zip(axes, datasets):
        plot_dataset(axes_pair, [r for r in rows if r[0] == dataset], train_label)
        folds = max(r[3] for r in rows if r[0] == dataset)
        axes_pair[0].set_title(f"{dataset}: train (mean ± se, {folds} folds)", fontsize=10)
        axes_pair[1].set_title(f"{dataset}: test (mean ± se, {folds} folds)", fontsize=10)
    axes[0][1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(directory):
    cols, axes, complete = read_summary(os.path.join(directory, "sweep.h5"))
    train_metric = "train_spearman" if "train_spearman" in cols else "train_loss"
    train_label = ("train Spearman" if train_metric == "train_spearman"
                   else "train loss\n(no train_spearman column)")
    means, left_out = fold_means(cols, train_metric)
    if not complete or left_out:
        print(f"{PROG}: sweep {'not ' if not complete else ''}complete; {left_out} point(s) "
              "with NaN metrics left out", file=sys.stderr)
    if not means:
        fail(f"{directory}/sweep.h5: no point has metrics yet")
    rows = statistics(means)
    averaged = [a for a in axes if a not in (EPSILON, SAMPLES, DATASET, FOLD)]
    write_csv(os.path.join(directory, "eps_m.csv"), rows, train_metric)
    plot(os.path.join(directory, "eps_m.png"), rows, train_label)
    print(f"{PROG}: {len(rows)} (dataset, M, epsilon) cells, averaged over folds"
          f"{' and ' + ', '.join(averaged) if averaged else ''} -> {directory}/eps_m.png, eps_m.csv")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: eps_plot.py DIR")
    main(sys.argv[1])
