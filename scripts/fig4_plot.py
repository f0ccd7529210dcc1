#!/usr/bin/python3
"""fig4_plot.py DIR: collects the Fig. 4 runs in DIR/runs into DIR/fig4.h5 (one
row per run), DIR/fig4.md and DIR/fig4.csv (tables) and DIR/fig4.png (the share
of exactly ranked test instances and the Spearman correlation against sigma, one
line per loss). Needs Debian's python3-h5py and python3-matplotlib: run it with
/usr/bin/python3."""
import csv
import glob
import os
import re
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LOSSES = ["fy", "perturbed_squared", "squared", "blackbox"]
LABELS = {"fy": "perturbed FY", "perturbed_squared": "perturbed squared",
          "squared": "squared", "blackbox": "blackbox (Vlastelica)"}


def main(out):
    rows = []
    for path in sorted(glob.glob(os.path.join(out, "runs", "*.h5"))):
        m = re.match(r"(.+)_sigma([0-9.eE+-]+)\.h5$", os.path.basename(path))
        if not m:
            continue
        with h5py.File(path, "r") as f:
            if int(f.attrs["complete"]) != 1:
                print(f"fig4_plot: skipping {path}: run not complete", file=sys.stderr)
                continue
            last = f["metrics"][-1]
            rows.append((m.group(1), float(m.group(2)), float(last["test_exact"]),
                         float(last["test_spearman"]), float(last["train_loss"]),
                         int(last["epoch"]), float(last["wall_seconds"])))
    if not rows:
        sys.exit(f"fig4_plot: no complete runs in {out}/runs")
    rows.sort(key=lambda r: (LOSSES.index(r[0]) if r[0] in LOSSES else 99, r[1]))

    dtype = [("loss", h5py.string_dtype()), ("sigma", "f8"), ("test_exact", "f8"),
             ("test_spearman", "f8"), ("train_loss", "f8"), ("epochs", "i8"), ("wall_seconds", "f8")]
    with h5py.File(os.path.join(out, "fig4.h5"), "w") as f:
        f.create_dataset("results", data=np.array(rows, dtype=dtype))
        f.attrs["description"] = "Fig. 4 reproduction: last-epoch test metrics per loss and sigma"

    with open(os.path.join(out, "fig4.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([name for name, _ in dtype])
        w.writerows(rows)
    sigmas = sorted({r[1] for r in rows})
    losses = [l for l in LOSSES if any(r[0] == l for r in rows)]
    table = {(r[0], r[1]): r for r in rows}
    with open(os.path.join(out, "fig4.md"), "w") as f:
        f.write("Share of test instances ranked exactly (Spearman in brackets)\n\n")
        f.write("| sigma | " + " | ".join(LABELS.get(l, l) for l in losses) + " |\n")
        f.write("|---:|" + "---:|" * len(losses) + "\n")
        for s in sigmas:
            cells = []
            for l in losses:
                r = table.get((l, s))
                cells.append(f"{r[2]:.3f} ({r[3]:.6f})" if r else "–")
            f.write(f"| {s:g} | " + " | ".join(cells) + " |\n")

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    xs = [max(s, sigmas[1] / 3 if len(sigmas) > 1 and sigmas[0] == 0 else s) for s in sigmas]
    for l in losses:
        pts = [(x, table[(l, s)]) for x, s in zip(xs, sigmas) if (l, s) in table]
        axes[0].plot([p[0] for p in pts], [p[1][2] for p in pts], marker="o", label=LABELS.get(l, l))
        axes[1].plot([p[0] for p in pts], [p[1][3] for p in pts], marker="o", label=LABELS.get(l, l))
    for ax, title in zip(axes, ["share of test instances ranked exactly", "test Spearman correlation"]):
        ax.set_xscale("log")
        ax.set_xlabel("label noise sigma (sigma = 0 drawn at the left edge)")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fig4.png"), dpi=100)
    print(f"fig4: {len(rows)} runs -> {out}/fig4.h5, fig4.md, fig4.csv, fig4.png")
    print(open(os.path.join(out, "fig4.md")).read())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fig4_plot.py DIR")
    main(sys.argv[1])
