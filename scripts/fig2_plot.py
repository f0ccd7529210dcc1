#!/usr/bin/python3
"""fig2_plot.py DIR: collects the Fig. 2 runs in DIR/runs (written by
scripts/fig2.sh) into DIR/fig2.h5 (one row per run), DIR/fig2.md and
DIR/fig2.csv (tables) and DIR/fig2.png: left, train accuracy per epoch of FY
with M = 1 and M = 1000 and of cross-entropy; centre, test accuracy of the same
runs; right, the last epoch's train and test loss of the FY epsilon sweep
against epsilon (log axis). Method, M and epsilon are read from each run file's
stored configuration. Needs Debian's python3-h5py and python3-matplotlib: run it
with /usr/bin/python3."""
import configparser
import csv
import glob
import math
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

CURVES = [("fy_M1", "perturbed FY, M = 1"), ("fy_M1000", "perturbed FY, M = 1000"),
          ("cross_entropy", "cross-entropy")]
# Table order: the Fig. 2 runs, the MLP runs, then the sweep by epsilon.
ORDER = ["fy_M1", "fy_M1000", "cross_entropy", "mlp_fy", "mlp_cross_entropy"]


def load(path):
    """One run: its settings and per-epoch metrics, or None when incomplete."""
    with h5py.File(path, "r") as f:
        if int(f.attrs["complete"]) != 1:
            print(f"fig2_plot: skipping {path}: run not complete", file=sys.stderr)
            return None
        cfg = configparser.ConfigParser(interpolation=None)
        cfg.read_string(f.attrs["config"])
        m = f["metrics"][:]
    kind = cfg["loss"]["kind"]
    fy = kind != "cross_entropy"
    return {"name": os.path.basename(path)[:-3], "model": cfg["model"]["kind"], "loss": kind,
            "samples": int(cfg["loss"]["samples"]) if fy else 0,
            "epsilon": float(cfg["loss"]["epsilon"]) if fy else math.nan,
            "epochs": int(m["epoch"][-1]), "train_accuracy": float(m["train_accuracy"][-1]),
            "test_accuracy": float(m["test_accuracy"][-1]), "train_loss": float(m["train_loss"][-1]),
            "test_loss": float(m["test_loss"][-1]), "wall_seconds": float(m["wall_seconds"][-1]),
            "metrics": m}


def sort_key(r):
    if r["name"] in ORDER:
        return (ORDER.index(r["name"]), 0.0)
    return (len(ORDER), r["epsilon"])


def main(out):
    rows = [r for r in (load(p) for p in sorted(glob.glob(os.path.join(out, "runs", "*.h5")))) if r]
    if not rows:
        sys.exit(f"fig2_plot: no complete runs in {out}/runs")
    rows.sort(key=sort_key)
    cols = ["name", "model", "loss", "samples", "epsilon", "epochs", "train_accuracy",
            "test_accuracy", "train_loss", "test_loss", "wall_seconds"]
    dtype = [(c, h5py.string_dtype() if c in ("name", "model", "loss") else
              ("i8" if c in ("samples", "epochs") else "f8")) for c in cols]
    with h5py.File(os.path.join(out, "fig2.h5"), "w") as f:
        f.create_dataset("results", data=np.array([tuple(r[c] for c in cols) for r in rows], dtype=dtype))
        f.attrs["description"] = "Fig. 2 reproduction (digits): last-epoch metrics per run"
    with open(os.path.join(out, "fig2.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        w.writerows([[r[c] for c in cols] for r in rows])
    with open(os.path.join(out, "fig2.md"), "w") as f:
        f.write("| run | model | method | M | epsilon | train acc | test acc | train loss | test loss | seconds |\n")
        f.write("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
        for r in rows:
            method = "cross-entropy" if r["loss"] == "cross_entropy" else "perturbed FY"
            m = str(r["samples"]) if r["samples"] else "–"
            e = f"{r['epsilon']:g}" if not math.isnan(r["epsilon"]) else "–"
            f.write(f"| {r['name']} | {r['model']} | {method} | {m} | {e} | {r['train_accuracy']:.4f} | "
                    f"{r['test_accuracy']:.4f} | {r['train_loss']:.4g} | {r['test_loss']:.4g} | "
                    f"{r['wall_seconds']:.1f} |\n")

    by_name = {r["name"]: r for r in rows}
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for name, label in CURVES:
        r = by_name.get(name)
        if r is None:
            continue
        axes[0].plot(r["metrics"]["epoch"], r["metrics"]["train_accuracy"], label=label)
        axes[1].plot(r["metrics"]["epoch"], r["metrics"]["test_accuracy"], label=label)
    for ax, title in zip(axes[:2], ["train accuracy", "test accuracy"]):
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right")
    sweep = [r for r in rows if r["name"].startswith("fy_eps")]
    if sweep:
        eps = [r["epsilon"] for r in sweep]
        axes[2].plot(eps, [r["train_loss"] for r in sweep], marker="o", label="train loss")
        axes[2].plot(eps, [r["test_loss"] for r in sweep], marker="s", label="test loss")
        axes[2].set_xscale("log")
        # The test loss spans 0.03 to 13 and the train loss, a Monte-Carlo
        # estimate, is near 0 and can be slightly negative: a log scale linear
        # on [-0.1, 0.1].
        axes[2].set_yscale("symlog", linthresh=0.1)
        axes[2].legend()
    axes[2].set_xlabel("epsilon")
    axes[2].set_title(f"perturbed FY loss after training, M = {sweep[0]['samples'] if sweep else '?'}")
    axes[2].grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fig2.png"), dpi=80)
    print(f"fig2: {len(rows)} runs -> {out}/fig2.h5, fig2.md, fig2.csv, fig2.png")
    print(open(os.path.join(out, "fig2.md")).read())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fig2_plot.py DIR")
    main(sys.argv[1])
