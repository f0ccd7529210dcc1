#!/usr/bin/env python3
"""toy_ranking.py DIR --seed S --noise SIGMA [--abs] NAME:N:D ...

Writes label-ranking CSVs DIR/NAME.csv (features f1..f3, ranks r1..rD,
1 = top) of N instances whose scores are W x + SIGMA * noise, or |W x| +
SIGMA * noise with --abs (not affine in x, so an mlp has something to gain).
The tests' small datasets; one generator, one seed, in the order given.
"""
import argparse

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("sets", nargs="+", metavar="NAME:N:D")
ap.add_argument("--seed", type=int, required=True)
ap.add_argument("--noise", type=float, required=True)
ap.add_argument("--abs", action="store_true")
args = ap.parse_args()
rng = np.random.default_rng(args.seed)
for spec in args.sets:
    name, n, d = spec.split(":")
    n, d = int(n), int(d)
    W = rng.normal(size=(d, 3))
    X = rng.normal(size=(n, 3))
    signal = X @ W.T
    if args.abs:
        signal = np.abs(signal)
    scores = signal + args.noise * rng.normal(size=(n, d))
    ranks = (-scores).argsort(axis=1).argsort(axis=1) + 1  # 1 = top
    with open(f"{args.dir}/{name}.csv", "w") as f:
        f.write(",".join([f"f{j+1}" for j in range(3)] + [f"r{j+1}" for j in range(d)]) + "\n")
        for x, r in zip(X, ranks):
            f.write(",".join([f"{v:.6f}" for v in x] + [str(v) for v in r]) + "\n")
