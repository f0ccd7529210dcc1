#!/usr/bin/python3
"""bench_cnn_torch.py: the network of tests/bench_cnn.c in PyTorch, one thread,
float64 and float32, for docs/performance.md ("Neural models").

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/bench_cnn_torch.py [--batch 64]

The default network: 64 images of 1 x 8 x 8, (3x3 conv padding 1 -> ReLU ->
max pool 2) with 16 then 32 channels, flatten (32 x 2 x 2), dense 64 -> ReLU,
dense 10. Forward is the network's output; backward is theta.backward(g) for
a fixed random upstream gradient g (as the engine's backward pass gets g).
Prints the median over 15 repeats of the time per batch, each repeat the mean
of 10 passes."""
import argparse
import statistics
import time

import torch


def network(conv, hidden, outputs, c, h, w, padding):
    layers = []
    for cout in conv:
        layers += [torch.nn.Conv2d(c, cout, 3, stride=1, padding=padding), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
        c = cout
        h, w = (h + 2 * padding - 2) // 2, (w + 2 * padding - 2) // 2
    layers.append(torch.nn.Flatten())
    width = c * h * w
    for k in hidden:
        layers += [torch.nn.Linear(width, k), torch.nn.ReLU()]
        width = k
    layers.append(torch.nn.Linear(width, outputs))
    return torch.nn.Sequential(*layers)


def timed(fn, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def bench(dtype, args):
    torch.manual_seed(1)
    net = network(args.conv, args.hidden, args.outputs, 1, 8, 8, args.padding).to(dtype)
    x = torch.randn(args.batch, 1, 8, 8, dtype=dtype)
    g = torch.randn(args.batch, args.outputs, dtype=dtype)
    nparams = sum(p.numel() for p in net.parameters())

    def forward():
        with torch.no_grad():
            net(x)

    def both():
        net.zero_grad(set_to_none=False)
        net(x).backward(g)

    inner = 10
    tf, tt = [], []
    for _ in range(15):
        tf.append(timed(forward, inner))
        tt.append(timed(both, inner))
    f, t = statistics.median(tf), statistics.median(tt)
    print(f"torch {torch.__version__} {str(dtype).split('.')[-1]} batch {args.batch}, {nparams} parameters: "
          f"forward {1e6 * f:.1f} us (no_grad), forward+backward {1e6 * t:.1f} us (median of 15)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--conv", type=lambda s: [int(v) for v in s.split(",")], default=[16, 32])
    ap.add_argument("--hidden", type=lambda s: [int(v) for v in s.split(",") if v], default=[64])
    ap.add_argument("--outputs", type=int, default=10)
    ap.add_argument("--padding", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    for dtype in (torch.float64, torch.float32):
        bench(dtype, args)


if __name__ == "__main__":
    main()
