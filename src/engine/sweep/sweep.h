/* sweep.h (internal): `perturb sweep`, a grid of training runs under one mpirun.
 *
 * The grid is the Cartesian product of its axes ("section.key=v1,v2,..."),
 * each point the base configuration (file + overrides) with one value per
 * axis. Points are numbered in a fixed order, the first axis slowest; point i
 * is named by its values ("loss.epsilon=0.1 loss.kind=fy").
 *
 * The ranks form groups of `group_size` consecutive ranks; each group takes
 * the next point to do from a counter on rank 0 (one-sided fetch-and-add, so
 * groups never wait for each other) and trains it with pt_train on the
 * group's communicator. Results do not depend on the groups: pt_train gives
 * the same bits on any number of ranks.
 *
 * Layout of the output directory DIR:
 *   DIR/points/<i>.h5   point i's run file (runfile.h): the durable state
 *   DIR/points/<i>.log  point i's training output (pt_train's epoch lines)
 *   DIR/sweep.lock      held (fcntl lock) by the running sweep's rank 0
 *   DIR/sweep.h5        attributes on /: format = "perturb-sweep",
 *                       format_version, perturb_version, git_commit,
 *                       base_config (INI text), grid (one "section.key=v1,v2"
 *                       line per axis), npoints, complete (0/1);
 *                       /points/<i> (attributes index, name, config,
 *                       complete; complete points also hold copies of the run
 *                       file's /metrics and /model);
 *                       /summary: one row per point: index, one text column
 *                       per axis (named section.key), then the last epoch's
 *                       train_loss, test_spearman, test_exact, wall_seconds,
 *                       train_spearman, train_exact, test_loss,
 *                       train_accuracy, test_accuracy (NaN for points not
 *                       complete).
 *
 * sweep.h5 is written by rank 0 only, whole (temporary file + rename): at the
 * start with the description alone (so that a restart can check it), at the
 * end rebuilt from the point files. Started again with the same arguments, a
 * sweep skips complete points and resumes incomplete ones (pt_train --resume
 * semantics), on any number of ranks and groups.
 */
#ifndef PERTURB_SWEEP_H
#define PERTURB_SWEEP_H

#include <mpi.h>

#include "perturb/error.h"

typedef struct pt_sweep_options {
  const char *config_path;  /* the base configuration file (NULL: defaults only) */
  char *const *overrides;   /* "section.key=value", applied to every point */
  int noverrides;
  char *const *axes;        /* "section.key=v1,v2,...", the first axis slowest */
  int naxes;
  const char *out_dir;      /* DIR (created if missing) */
  int group_size;           /* ranks per point; must divide the ranks of comm */
} pt_sweep_options;

/*
 * Runs the sweep described by `opt`. Collective over `comm`: every rank
 * returns the same status and, on failure, the same one-line message. Bad
 * input (a grid axis with no values, an unknown key, a bad value, a group
 * size that does not divide the ranks, a DIR holding another sweep) fails
 * before any point runs. A point that fails does not stop the others; the
 * sweep then fails at the end naming the first failed point. Progress (one
 * line per finished point from its group's first rank, and where the summary
 * is, from rank 0) goes to stdout.
 */
pt_status pt_sweep(const pt_sweep_options *opt, MPI_Comm comm);

#endif
