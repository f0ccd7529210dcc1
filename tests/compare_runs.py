#!/usr/bin/python3
"""compare_runs.py A.h5 B.h5 [...]: exit 0 if every run file holds bitwise the
same final model and the same metrics (all columns but the timings) as the
first; otherwise print the first difference and exit 1."""
import sys

import h5py
import numpy as np

FIELDS = ["epoch", "step", "train_loss", "test_spearman", "test_exact", "train_spearman", "train_exact", "test_loss",
          "train_accuracy", "test_accuracy", "test_optimal", "test_cost_ratio", "test_regret", "train_optimal",
          "train_cost_ratio", "train_regret"]


def load(path):
    with h5py.File(path, "r") as f:
        if int(f.attrs["complete"]) != 1:
            sys.exit(f"{path}: run not complete")
        return f["model/params"][...], f["metrics"][...]


def main(paths):
    ref_params, ref_metrics = load(paths[0])
    for p in paths[1:]:
        params, metrics = load(p)
        if params.shape != ref_params.shape or params.tobytes() != ref_params.tobytes():
            diff = np.max(np.abs(params - ref_params)) if params.shape == ref_params.shape else "shape"
            sys.exit(f"{p}: /model/params differ from {paths[0]} (max |diff| {diff})")
        if len(metrics) != len(ref_metrics):
            sys.exit(f"{p}: {len(metrics)} metrics rows, {paths[0]} has {len(ref_metrics)}")
        for field in FIELDS:
            if metrics[field].tobytes() != ref_metrics[field].tobytes():
                sys.exit(f"{p}: metrics column {field} differs: {metrics[field]} vs {ref_metrics[field]}")
    print(f"identical: {len(paths)} runs, {ref_params.size} parameters, {len(ref_metrics)} epochs")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: compare_runs.py A.h5 B.h5 [...]")
    main(sys.argv[1:])
