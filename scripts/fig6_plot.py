#!/usr/bin/python3
"""fig6_plot.py DIR: collects the shortest-path runs in DIR/runs (written by
scripts/fig6.sh) into DIR/fig6.md and DIR/fig6.csv and two plots:
DIR/fig6_grid.png, the grid benchmark's normalised test regret against deg
(one panel per noise half-width, one line per loss), and DIR/fig6.png, the
Warcraft-like maps: left, the share of test paths that are optimal per epoch;
right, the mean cost ratio of the predicted test paths to the optimal ones
(without the squared loss on the path indicators, whose thresholded
decisions are not always paths: its cost ratio is NaN in the run file).
Every number is read from the run files' /metrics (the last epoch for the
tables). Needs Debian's python3-h5py and python3-matplotlib: run it with
/usr/bin/python3."""
import csv
import glob
import math
import os
import re
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LOSSES = [("fy", "perturbed FY (additive)"), ("fy_mult", "perturbed FY (multiplicative)"),
          ("spo_plus", "SPO+"), ("blackbox", "blackbox"), ("two_stage", "two-stage squared"),
          ("squared", "squared (path indicators)")]
LABEL = dict(LOSSES)
GRID = re.compile(r"grid_deg(\d+)_hw([0-9.]+)_(\w+)$")
MAPS = re.compile(r"maps_(\w+)$")


def load(path):
    """(name, per-epoch metrics), or None for a run that is not complete."""
    with h5py.File(path, "r") as f:
        if int(f.attrs["complete"]) != 1:
            print(f"fig6_plot: skipping {path}: run not complete", file=sys.stderr)
            return None
        return os.path.basename(path)[:-3], f["metrics"][:]


def last(m, key):
    return float(m[key][-1])


def save_png(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"fig6_plot: wrote {path}")


def grid_part(runs, out, md, rows):
    grid = {}
    for name, m in runs:
        g = GRID.match(name)
        if g:
            grid[(int(g.group(1)), g.group(2), g.group(3))] = m
    if not grid:
        return
    keys = sorted({(deg, hw) for deg, hw, _ in grid})
    losses = [k for k, _ in LOSSES if any(loss == k for _, _, loss in grid)]
    md.write("## Grid benchmark: normalised test regret (wall time of the run)\n\n")
    md.write("| deg | noise half-width | " + " | ".join(LABEL[k] for k in losses) + " |\n")
    md.write("|---:|---:|" + "---:|" * len(losses) + "\n")
    for deg, hw in keys:
        cells = []
        for k in losses:
            m = grid.get((deg, hw, k))
            if m is None:
                cells.append("")
                continue
            cells.append(f"{100 * last(m, 'test_regret'):.2f}% ({last(m, 'wall_seconds'):.2f} s)")
            rows.append({"part": "grid", "deg": deg, "noise_halfwidth": hw, "loss": k,
                         "epochs": int(m["epoch"][-1]), "test_regret": last(m, "test_regret"),
                         "train_regret": last(m, "train_regret"), "test_optimal": last(m, "test_optimal"),
                         "test_cost_ratio": last(m, "test_cost_ratio"), "wall_seconds": last(m, "wall_seconds")})
        md.write(f"| {deg} | {hw} | " + " | ".join(cells) + " |\n")
    md.write("\n")
    hws = sorted({hw for _, hw in keys}, key=float)
    fig, axes = plt.subplots(1, len(hws), figsize=(5 * len(hws), 3.8), squeeze=False)
    for ax, hw in zip(axes[0], hws):
        for k in losses:
            pts = sorted((deg, 100 * last(m, "test_regret")) for (deg, h, loss), m in grid.items()
                         if h == hw and loss == k)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=LABEL[k])
        ax.set_xlabel("polynomial degree deg")
        ax.set_ylabel("normalised test regret (%)")
        ax.set_title(f"5 x 5 grid, noise half-width {hw}")
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=8)
    save_png(fig, os.path.join(out, "fig6_grid.png"))


def maps_part(runs, out, md, rows):
    maps = {}
    for name, m in runs:
        g = MAPS.match(name)
        if g:
            maps[g.group(1)] = m
    if not maps:
        return
    md.write("## Warcraft-like maps: test paths at the last epoch\n\n")
    md.write("| loss | epochs | optimal test paths | test cost ratio | optimal train paths | wall time |\n")
    md.write("|---|---:|---:|---:|---:|---:|\n")
    order = [k for k, _ in LOSSES if k in maps]
    for k in order:
        m = maps[k]
        ratio = last(m, "test_cost_ratio")
        md.write(f"| {LABEL[k]} | {int(m['epoch'][-1])} | {100 * last(m, 'test_optimal'):.1f}% | "
                 f"{'no paths' if math.isnan(ratio) else f'{ratio:.4f}'} | {100 * last(m, 'train_optimal'):.1f}% | "
                 f"{last(m, 'wall_seconds'):.0f} s |\n")
        rows.append({"part": "maps", "deg": "", "noise_halfwidth": "", "loss": k, "epochs": int(m["epoch"][-1]),
                     "test_regret": last(m, "test_regret"), "train_regret": last(m, "train_regret"),
                     "test_optimal": last(m, "test_optimal"), "test_cost_ratio": last(m, "test_cost_ratio"),
                     "wall_seconds": last(m, "wall_seconds")})
    md.write("\n")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for k in order:
        m = maps[k]
        left.plot(m["epoch"], 100 * m["test_optimal"], marker=".", label=LABEL[k])
        if not all(math.isnan(x) for x in m["test_cost_ratio"]):
            right.plot(m["epoch"], m["test_cost_ratio"], marker=".", label=LABEL[k])
    left.set_xlabel("epoch")
    left.set_ylabel("optimal test paths (%)")
    right.set_xlabel("epoch")
    right.set_ylabel("cost ratio to the optimal path (test)")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    left.legend(fontsize=8)
    save_png(fig, os.path.join(out, "fig6.png"))


def main(out):
    runs = [r for r in (load(p) for p in sorted(glob.glob(os.path.join(out, "runs", "*.h5")))) if r]
    if not runs:
        sys.exit(f"fig6_plot: no complete runs in {out}/runs")
    rows = []
    with open(os.path.join(out, "fig6.md"), "w") as md:
        md.write("# Shortest paths (scripts/fig6.sh)\n\n")
        grid_part(runs, out, md, rows)
        maps_part(runs, out, md, rows)
    with open(os.path.join(out, "fig6.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else ["part"])
        w.writeheader()
        w.writerows(rows)
    print(f"fig6_plot: wrote {out}/fig6.md and {out}/fig6.csv")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fig6_plot.py DIR")
    main(sys.argv[1])
