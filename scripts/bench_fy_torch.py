#!/usr/bin/python3
"""bench_fy_torch.py: the perturbed Fenchel-Young computations of
`perturb bench` and of the affine training benchmark, written in PyTorch the
way a practitioner would, for scripts/bench_vs_torch.sh (a report, not a test).

    /usr/bin/python3 scripts/bench_fy_torch.py kernel [--d 10,100,1000] [--M 100] [--B 256] [--repeats 5]
    /usr/bin/python3 scripts/bench_fy_torch.py train [--d 100] [--M 10] [--epochs 2]

kernel: for B score vectors theta of d labels, the perturbed ranking
    y_eps(theta) = mean over M samples of rank(theta + eps Z), Z ~ N(0, I),
    with rank(w)_j = the position of w_j in ascending order (0 = smallest),
    computed with randn, argsort and a scatter, in float32 (its fastest form;
    float64 is printed beside it). The FY gradient is y_eps - y: the
    subtraction is negligible and left out, as in `perturb bench`.
train: experiments/perf/affine.ini's loop: an affine model theta = W x + b
    (p = 50 features, d labels), n = 10000 instances (1 % held out, not
    evaluated), batches of 32, SGD at lr 0.01, the FY gradient y_eps - y with
    M samples and eps = 1; targets from a random affine model plus noise.

One thread (torch.set_num_threads(1)). Prints one JSON object per size, with
label_perturbations_per_s = B * M * d / seconds (kernel: the median over the
repeats) or training instances * M * d / seconds (train)."""
import argparse
import json
import statistics
import time

import torch


def ranks(w):
    """rank(w) along the last axis: argsort, then a scatter of 0..d-1."""
    order = torch.argsort(w, dim=-1)
    r = torch.empty_like(w)
    pos = torch.arange(w.shape[-1], dtype=w.dtype).expand_as(w)
    return r.scatter_(-1, order, pos)


def perturbed_ranks(theta, M, eps, gen):
    B, d = theta.shape
    z = torch.randn(B, M, d, dtype=theta.dtype, generator=gen)
    return ranks(theta.unsqueeze(1) + eps * z).mean(dim=1)


def kernel(args):
    gen = torch.Generator().manual_seed(1)
    for dtype, name in ((torch.float32, "float32"), (torch.float64, "float64")):
        for d in args.d:
            theta = torch.randn(args.B, d, dtype=dtype, generator=gen)
            perturbed_ranks(theta, args.M, 1.0, gen)  # warm-up
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                perturbed_ranks(theta, args.M, 1.0, gen)
                times.append(time.perf_counter() - t0)
            t = statistics.median(times)
            print(json.dumps({"impl": "torch", "dtype": name, "d": d, "M": args.M, "B": args.B,
                              "seconds": t, "label_perturbations_per_s": args.B * args.M * d / t}), flush=True)


def train(args):
    gen = torch.Generator().manual_seed(1)
    n, p, d, dtype = 10000, 50, args.d, torch.float64
    X = torch.randn(n, p, dtype=dtype, generator=gen)
    truth = ranks(X @ torch.randn(p, d, dtype=dtype, generator=gen) + 0.1 * torch.randn(n, d, dtype=dtype,
                                                                                             generator=gen))
    ntrain = n - n // 100
    W = torch.zeros(p, d, dtype=dtype)
    b = torch.zeros(d, dtype=dtype)
    lr, batch = 0.01, 32
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        perm = torch.randperm(ntrain, generator=gen)
        for s in range(0, ntrain, batch):
            rows = perm[s:s + batch]
            x, y = X[rows], truth[rows]
            g = (perturbed_ranks(x @ W + b, args.M, 1.0, gen) - y) / len(rows)
            W -= lr * (x.T @ g)
            b -= lr * g.sum(dim=0)
    t = time.perf_counter() - t0
    print(json.dumps({"impl": "torch", "bench": "train_affine", "dtype": "float64", "d": d, "M": args.M,
                      "epochs": args.epochs, "seconds": t,
                      "label_perturbations_per_s": args.epochs * ntrain * args.M * d / t}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("kernel", "train"))
    ap.add_argument("--d", default=None, help="label counts, comma-separated (train: one)")
    ap.add_argument("--M", type=int, default=None, help="samples per instance (kernel 100, train 10)")
    ap.add_argument("--B", type=int, default=256, help="kernel: instances per call")
    ap.add_argument("--repeats", type=int, default=5, help="kernel: timed calls (the median is printed)")
    ap.add_argument("--epochs", type=int, default=2, help="train: epochs timed")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.mode == "kernel":
        args.d = [int(x) for x in (args.d or "10,100,1000").split(",")]
        args.M = args.M or 100
        kernel(args)
    else:
        args.d = int(args.d or 100)
        args.M = args.M or 10
        train(args)


if __name__ == "__main__":
    main()
