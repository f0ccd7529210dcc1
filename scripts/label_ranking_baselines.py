#!/usr/bin/python3
"""label_ranking_baselines.py [--datasets a,b] [--out DIR] [--folds-from PERTURB] [--jobs N]
                             [--folds K] [--inner-folds J]:
the rankers practitioners use, a random forest and k-nearest neighbours from
scikit-learn, on the label-ranking datasets, scored on exactly the folds of
perturb's nested cross-validation (issue #12).

Folds: `perturb folds --dataset NAME --csv-dir DIR` (10 outer folds, 5 inner
folds of each outer training part, split seed 0: experiments/label_ranking/
base.ini; --folds and --inner-folds as scripts/label_ranking.sh's --folds), so that every score here is on the same held-out rows as the
perturb methods' in docs/label_ranking.md.

Protocol, per dataset and outer fold, as perturb trains its models:
  - features standardised with the mean and the sample standard deviation
    (n - 1) of the part fitted on only, a constant feature only centred
    (pt_dataset_feature_stats: data.standardize = true);
  - the regression target is the rank embedding y = d - rank (rank 1 = top,
    as the CSV gives it), predicted by a multi-output regressor; the
    predicted ranking is the ranking of the predictions;
  - score: Spearman's correlation between the predictions and y per test
    instance, tied predictions taking the average of the ranks they span, a
    constant prediction scoring 0 (pt_spearman, src/engine/task/metrics.c),
    averaged over the outer fold's test instances.
Methods:
  rf   RandomForestRegressor(n_estimators=200, min_samples_leaf=5,
       max_features=0.5, random_state=0), fitted on the outer training part;
  knn  KNeighborsRegressor with k in {5, 10, 20, 40} (capped at the number of
       training rows), chosen by the mean over the 5 inner folds of the
       validation Spearman (each inner fold's training part standardised with
       its own statistics, as a perturb point with data.inner_fold = j is;
       ties: the smaller k), then refitted on the whole outer training part.

Inputs: the CSVs in $PERTURB_LABEL_RANKING_DIR (default: all of them); the
perturb binary: --folds-from, else $PERTURB, else build/perturb of the
repository. Outputs in --out (default out/label_ranking): baselines.csv
(dataset,method,fold,spearman,k: one row per dataset, method and outer fold;
k empty for rf) and baselines.md (per dataset the mean over the outer folds
of rf, knn and the better of the two, with the standard error over folds).
The wall time per dataset and in total is printed. Every random choice is
seeded, so a second run writes the same files. Bad input (no data
directory, an unknown dataset, no perturb binary): one line on stderr, exit
status 1. Needs Debian's python3-sklearn and python3-numpy: run it with
/usr/bin/python3."""
import argparse
import csv
import io
import math
import os
import subprocess
import sys
import time

import numpy as np
from scipy.stats import rankdata
from sklearn.ensemble import RandomForestRegressor
from sklearn.neighbors import KNeighborsRegressor
from threadpoolctl import threadpool_limits

PROG = "label_ranking_baselines"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KS = (5, 10, 20, 40)
METHODS = ("rf", "knn")


def fail(message):
    """One line on stderr, exit status 1."""
    print(f"{PROG}: {message}", file=sys.stderr)
    sys.exit(1)


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        fail(f"{message} (try --help)")


def read_csv(path):
    """Features X [n, p] and rank embedding y = d - rank [n, d], rows in the
    order perturb's loader (data_csv.c) reads them: the data lines after the
    header, empty lines skipped."""
    with open(path, newline="") as f:
        lines = [line for line in f.read().splitlines() if line != ""]
    header = [h.strip() for h in lines[0].lstrip("\ufeff").split(",")]
    p = sum(h.startswith("f") for h in header)
    d = len(header) - p
    if p < 1 or d < 2 or header != [f"f{j + 1}" for j in range(p)] + [f"r{j + 1}" for j in range(d)]:
        fail(f"{path}: bad header (expected f1,...,fp,r1,...,rd)")
    table = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    X, ranks = table[:, :p], table[:, p:]
    return X, d - ranks


def read_folds(perturb, name, data_dir, folds, inner_folds):
    """{outer fold: part per row}, part -1 for the outer test rows, else the
    inner fold, from `perturb folds`."""
    try:
        run = subprocess.run([perturb, "folds", "--dataset", name, "--csv-dir", data_dir, "--folds", str(folds),
                              "--inner-folds", str(inner_folds)],
                             capture_output=True, text=True)
    except OSError as e:
        fail(f"cannot run {perturb}: {e.strerror}")
    if run.returncode != 0:
        fail(run.stderr.strip() or f"{perturb} folds exited with status {run.returncode}")
    rows = list(csv.reader(io.StringIO(run.stdout)))
    if not rows or rows[0] != ["outer_fold", "row", "part"]:
        fail(f"{perturb} folds printed no outer_fold,row,part header")
    folds = {}
    for k, i, part in rows[1:]:
        folds.setdefault(int(k), []).append((int(i), -1 if part == "test" else int(part)))
    return {k: np.array([part for _, part in sorted(v)]) for k, v in folds.items()}


def standardise(X_fit, *others):
    """X_fit and others standardised with X_fit's mean and sample deviation;
    a deviation that is not > 0 (a constant feature, or one row) becomes 1."""
    mean = X_fit.mean(axis=0)
    sd = X_fit.std(axis=0, ddof=1) if len(X_fit) > 1 else np.zeros(X_fit.shape[1])
    sd = np.where(sd > 0, sd, 1.0)
    return [(X - mean) / sd for X in (X_fit,) + others]


def spearman(pred, y):
    """Mean over rows of perturb's per-instance Spearman correlation of the
    scores pred with the rank embedding y (a permutation of 0..d-1 per row):
    the Pearson correlation of the average ranks of pred with y; 0 for a
    constant row of pred."""
    d = y.shape[1]
    a = rankdata(pred, method="average", axis=1) - (d + 1) / 2.0
    yc = y - (d - 1) / 2.0
    saa = (a * a).sum(axis=1)
    syy = d * (d * d - 1) / 12.0
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(saa > 0, (a * yc).sum(axis=1) / np.sqrt(saa * syy), 0.0)
    return float(rho.mean())


def fit_score(model, X_fit, y_fit, X_test, y_test):
    Xf, Xt = standardise(X_fit, X_test)
    model.fit(Xf, y_fit)
    return spearman(model.predict(Xt), y_test)


def knn_grid(n_train):
    """The k to try on n_train rows: KS capped at n_train, each once."""
    return list(dict.fromkeys(min(k, n_train) for k in KS))


def choose_k(X, y, parts):
    """The k of the best mean validation Spearman over the inner folds of an
    outer training part (parts: the inner fold of each row); ties: the first."""
    inner = sorted(set(parts))
    smallest = min(int((parts != j).sum()) for j in inner)
    best, best_score = None, -math.inf
    for k in knn_grid(smallest):
        score = np.mean([fit_score(KNeighborsRegressor(n_neighbors=k), X[parts != j], y[parts != j],
                                   X[parts == j], y[parts == j]) for j in inner])
        if score > best_score:
            best, best_score = k, score
    return best


def run_dataset(name, data_dir, perturb, jobs, nfolds, ninner):
    """[(method, fold, spearman, k or None)] over the outer folds."""
    X, y = read_csv(os.path.join(data_dir, name + ".csv"))
    folds = read_folds(perturb, name, data_dir, nfolds, ninner)
    results = []
    for fold in sorted(folds):
        parts = folds[fold]
        if len(parts) != len(X):
            fail(f"{name}: perturb folds gives {len(parts)} rows, the CSV has {len(X)}")
        train, test = parts >= 0, parts < 0
        rf = RandomForestRegressor(n_estimators=200, min_samples_leaf=5, max_features=0.5, random_state=0,
                                   n_jobs=jobs)
        results.append(("rf", fold, fit_score(rf, X[train], y[train], X[test], y[test]), None))
        k_nn = min(choose_k(X[train], y[train], parts[train]), int(train.sum()))
        score = fit_score(KNeighborsRegressor(n_neighbors=k_nn), X[train], y[train], X[test], y[test])
        results.append(("knn", fold, score, k_nn))
    return results


def summary(scores):
    values = np.array(scores)
    se = float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan
    return float(values.mean()), se


def write_outputs(out, per_dataset):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "baselines.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["dataset", "method", "fold", "spearman", "k"])
        for name, results in per_dataset.items():
            for method, fold, score, k in results:
                w.writerow([name, method, fold, f"{score:.6f}", "" if k is None else k])
    lines = ["# Label-ranking baselines on perturb's folds", "",
             "Test Spearman, mean ± standard error over the outer folds (scripts/label_ranking_baselines.py; "
             "folds from `perturb folds`). best: the better mean of rf and knn. k: the k-NN's k chosen by the "
             "inner folds (times chosen).", "",
             "| dataset | rf | knn | best | k |", "|---|---:|---:|---:|---|"]
    for name, results in per_dataset.items():
        stats = {m: summary([s for mm, _, s, _ in results if mm == m]) for m in METHODS}
        best = max(METHODS, key=lambda m: stats[m][0])  # max keeps the first of equals: rf
        chosen = [k for m, _, _, k in results if m == "knn"]
        ks = ", ".join(f"{k} ({chosen.count(k)})" for k in sorted(set(chosen)))
        cells = [f"{stats[m][0]:.3f} ± {stats[m][1]:.3f}" for m in METHODS]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {stats[best][0]:.3f} ± {stats[best][1]:.3f} ({best}) "
                     f"| {ks} |")
    with open(os.path.join(out, "baselines.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return lines


def main():
    ap = Parser(prog="label_ranking_baselines.py",
                description="A random forest and k-NN on the label-ranking datasets, on perturb's folds.")
    ap.add_argument("--datasets", help="comma-separated dataset names (default: every CSV of the directory)")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "label_ranking"), help="output directory")
    ap.add_argument("--folds-from", dest="perturb", help="the perturb binary (default $PERTURB or build/perturb)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="n_jobs of the random forest, and threads of the neighbour searches (default 1)")
    ap.add_argument("--folds", type=int, default=10, help="outer folds (default 10, as base.ini)")
    ap.add_argument("--inner-folds", dest="inner_folds", type=int, default=5,
                    help="inner folds of each outer training part (default 5, as base.ini)")
    a = ap.parse_args()
    if a.jobs < 1:
        fail(f"--jobs must be >= 1 (got {a.jobs})")
    data_dir = os.environ.get("PERTURB_LABEL_RANKING_DIR", "")
    if not data_dir:
        fail("set PERTURB_LABEL_RANKING_DIR to the directory of the label-ranking CSVs")
    if not os.path.isdir(data_dir):
        fail(f"PERTURB_LABEL_RANKING_DIR: no directory '{data_dir}'")
    perturb = a.perturb or os.environ.get("PERTURB") or os.path.join(ROOT, "build", "perturb")
    if not (os.path.isfile(perturb) and os.access(perturb, os.X_OK)):
        fail(f"no perturb binary at '{perturb}' (build it with scripts/build.sh, or give --folds-from)")
    available = sorted(f[:-4] for f in os.listdir(data_dir) if f.endswith(".csv"))
    names = [s for s in a.datasets.split(",") if s] if a.datasets is not None else available
    if not names:
        fail(f"no datasets to run (no CSV in '{data_dir}', or an empty --datasets)")
    unknown = [s for s in names if s not in available]
    if unknown:
        fail(f"no dataset '{unknown[0]}' in '{data_dir}' (no file {unknown[0]}.csv)")
    try:  # before hours of fitting, not after
        os.makedirs(a.out, exist_ok=True)
    except OSError as e:
        fail(f"cannot create the output directory '{a.out}': {e.strerror}")
    per_dataset, t0 = {}, time.monotonic()
    for name in names:
        t = time.monotonic()
        # --jobs bounds the cores used: the forest's processes, and the
        # OpenMP and BLAS threads of the neighbour searches (the results do
        # not depend on either)
        with threadpool_limits(limits=a.jobs):
            per_dataset[name] = run_dataset(name, data_dir, perturb, a.jobs, a.folds, a.inner_folds)
        means = {m: np.mean([s for mm, _, s, _ in per_dataset[name] if mm == m]) for m in METHODS}
        print(f"{name}: rf {means['rf']:.3f}, knn {means['knn']:.3f} ({time.monotonic() - t:.1f} s)", flush=True)
    try:
        lines = write_outputs(a.out, per_dataset)
    except OSError as e:
        fail(f"cannot write the results into '{a.out}': {e.strerror}")
    print("\n".join(lines[4:]))
    print(f"total {time.monotonic() - t0:.1f} s; wrote {os.path.join(a.out, 'baselines.csv')} and baselines.md")


if __name__ == "__main__":
    main()
