#!/usr/bin/python3
"""grid_cost.py OUT GRID [--ranks R] [--factor F] [section.key=value ...]: estimates the cost of running
the label-ranking reproduction with another grid file GRID (and overrides such
as loss.samples=10 train.epochs=50), from the point times measured in a
finished run OUT of scripts/label_ranking.sh.

For each method, the measured core-seconds per grid setting are scaled by the new number of settings, by the ratio of
epochs (not for ridge, which is solved, not trained) and, for the perturbed
losses (fy, perturbed_squared), by the ratio of samples M (training time is
linear in both). Measured core-seconds: the sweep's wall time (OUT/times.txt)
times the R ranks it ran on (default 2), which includes each point's start,
data loading and file writes and the idle tail of the sweep; without
times.txt, the sum of the points' training seconds. Scaling the start-up
with the training makes the estimate err on the high side. Prints a
table per method and the total in core-hours, with the wall time it means on
64 and 256 cores at full use. --factor F multiplies every setting's cost by F: what
the measured run cannot tell, such as the mean cost of wider mlps over the measured
widths (docs/label_ranking.md measures it). Needs Debian's python3-h5py (/usr/bin/python3).
"""
import configparser
import os
import sys

import h5py

SAMPLED = ("fy", "perturbed_squared", "fy_mlp", "perturbed_squared_mlp")  # cost proportional to M
SOLVED = ("ridge",)                    # no epochs


def grid_settings(path):
    """method -> number of settings (product of the axis lengths) of a grid file."""
    settings = {}
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            n = 1
            for axis in words[1:]:
                n *= len(axis.split("=", 1)[1].split(","))
            settings[words[0]] = n
    return settings


def measured(path):
    """(core-seconds of all points, settings, epochs, samples) of one method's sweep."""
    with h5py.File(path, "r") as f:
        summary = f["summary"][()]
        base = f.attrs["base_config"]
        grid = f.attrs["grid"]
    text = lambda v: v.decode() if isinstance(v, bytes) else v
    config = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    config.read_string(text(base))
    settings = 1
    for line in text(grid).splitlines():
        key, values = line.split("=", 1)
        if key not in ("data.dataset", "data.fold", "data.inner_fold"):
            settings *= len(values.split(","))
    seconds = float(sum(summary["wall_seconds"]))
    return seconds, settings, int(config["train"]["epochs"]), int(config["loss"]["samples"])


def sweep_seconds(out):
    """method -> wall seconds of its sweep, from OUT/times.txt (empty if absent)."""
    path = os.path.join(out, "times.txt")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {w[0]: float(w[1]) for w in (line.split() for line in f) if len(w) >= 2}


def main(out, grid_path, ranks, factor, overrides):
    new = grid_settings(grid_path)
    walls = sweep_seconds(out)
    values = dict(o.split("=", 1) for o in overrides)
    print(f"estimate for {grid_path} {' '.join(overrides)} from the point times in {out}")
    print(f"{'method':<18} {'settings':>9} {'measured core-s':>16} {'per setting':>12} {'new settings':>13}"
          f" {'scale':>6} {'core-hours':>11}")
    total = 0.0
    for method, settings_new in new.items():
        path = os.path.join(out, method, "sweep.h5")
        if not os.path.exists(path):
            print(f"{method:<18} not measured (no {path})")
            continue
        seconds, settings, epochs, samples = measured(path)
        if method in walls:
            seconds = max(seconds, walls[method] * ranks)
        scale = factor
        if method not in SOLVED:
            scale *= int(values.get("train.epochs", epochs)) / epochs
        if method in SAMPLED:
            scale *= int(values.get("loss.samples", samples)) / samples
        hours = seconds / settings * settings_new * scale / 3600
        total += hours
        print(f"{method:<18} {settings:>9} {seconds:>16.0f} {seconds / settings:>12.1f} {settings_new:>13}"
              f" {scale:>6.2f} {hours:>11.2f}")
    print(f"total: {total:.1f} core-hours = {total * 60 / 64:.0f} min on 64 cores,"
          f" {total * 60 / 256:.0f} min on 256 cores (at full use)")


if __name__ == "__main__":
    args = sys.argv[1:]
    ranks, factor = 2, 1.0
    for option in ("--ranks", "--factor"):
        if option in args:
            i = args.index(option)
            try:
                value = float(args[i + 1])
            except (IndexError, ValueError):
                sys.exit(f"grid_cost.py: {option} expects a positive number")
            if not value > 0:
                sys.exit(f"grid_cost.py: {option} expects a positive number (got {args[i + 1]})")
            if option == "--ranks":
                ranks = int(value)
            else:
                factor = value
            del args[i:i + 2]
    if len(args) < 2:
        sys.exit("usage: grid_cost.py OUT GRID [--ranks R] [--factor F] [section.key=value ...]")
    for path in (args[0], args[1]):
        if not os.path.exists(path):
            sys.exit(f"grid_cost.py: no such file or directory: {path}")
    main(args[0], args[1], ranks, factor, args[2:])
