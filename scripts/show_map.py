#!/usr/bin/python3
"""show_map.py DATA.h5 OUT.png [COUNT]: draws the first COUNT (default 4)
instances of a shortest-path dataset (docs/shortest_path.md, "Data: the HDF5
schema") with their target paths from /Y: for image data (the Warcraft-like
maps), the image with the path's cells outlined; for vector data, the grid's
true costs (/costs, else blank) with the path's vertices or edges drawn.
Needs Debian's python3-h5py and python3-matplotlib (/usr/bin/python3).
"""
import sys

import h5py
import matplotlib

matplotlib.use("Agg")  # files only: no display on the machines this runs on
import matplotlib.pyplot as plt
import numpy as np


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def path_cells(y, rows, cols):
    """(row, col) of each vertex on a grid_path target."""
    return [divmod(int(k), cols) for k in np.flatnonzero(y > 0.5)]


def path_edges(y, rows, cols):
    """((r0, c0), (r1, c1)) of each edge on a dag_path target (right edges, then down)."""
    right = rows * (cols - 1)
    edges = []
    for k in np.flatnonzero(y > 0.5):
        if k < right:
            r, c = divmod(int(k), cols - 1)
            edges.append(((r, c), (r, c + 1)))
        else:
            r, c = divmod(int(k) - right, cols)
            edges.append(((r, c), (r + 1, c)))
    return edges


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[0])
    src, out = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) == 4 else 4
    with h5py.File(src, "r") as h:
        if text(h.attrs.get("task", "")) != "shortest_path":
            sys.exit(f"show_map.py: '{src}' is not a shortest_path dataset")
        solver = text(h.attrs["solver"])
        rows, cols = int(h.attrs["grid_rows"]), int(h.attrs["grid_cols"])
        count = min(count, h["Y"].shape[0])
        X = h["X"][:count]
        Y = h["Y"][:count]
        C = h["costs"][:count] if "costs" in h else None
    fig, axes = plt.subplots(1, count, figsize=(3 * count, 3), squeeze=False)
    for i, ax in enumerate(axes[0]):
        ax.set_xticks([])
        ax.set_yticks([])
        if X.ndim == 4 and solver == "grid_path":
            img = np.transpose(X[i], (1, 2, 0)) if X.shape[1] == 3 else X[i, 0]
            ax.imshow(np.clip(img, 0, 1), cmap=None if X.shape[1] == 3 else "gray")
            sh, sw = img.shape[0] / rows, img.shape[1] / cols
            for r, c in path_cells(Y[i], rows, cols):
                ax.add_patch(plt.Rectangle((c * sw - 0.5, r * sh - 0.5), sw, sh, fill=False, ec="red", lw=1.5))
            ax.set_title(f"map {i}")
            continue
        if solver == "grid_path":
            cost = C[i].reshape(rows, cols) if C is not None else np.zeros((rows, cols))
            ax.imshow(cost, cmap="viridis")
            rc = np.array(path_cells(Y[i], rows, cols))
            if len(rc):
                ax.plot(rc[:, 1], rc[:, 0], "o-", color="red")
        else:
            ax.set_xlim(-0.5, cols - 0.5)
            ax.set_ylim(rows - 0.5, -0.5)
            for k, ((r0, c0), (r1, c1)) in enumerate(path_edges(np.ones(Y.shape[1]), rows, cols)):
                w = 0.5 + 3 * C[i, k] / C[i].max() if C is not None else 1.0
                ax.plot([c0, c1], [r0, r1], color="0.8", lw=w)
            for (r0, c0), (r1, c1) in path_edges(Y[i], rows, cols):
                ax.plot([c0, c1], [r0, r1], color="red", lw=2.5)
        ax.set_title(f"instance {i}")
    fig.suptitle(f"{src}: {solver} on {rows} x {cols}" + (" (line width: cost)" if solver == "dag_path" and C is not None else ""),
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    main()
