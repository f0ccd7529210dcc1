/* runfile.h (internal): the HDF5 run file of one training run.
 *
 * Layout (format "perturb-run", version 2):
 *   attributes on /: format, format_version, perturb_version, git_commit,
 *     nranks, instance_groups, sample_groups, complete (0/1), status
 *     ("running" or "complete"), epochs_done, config (the resolved INI text)
 *   /metrics     compound table, one row per epoch: epoch, step,
 *                wall_seconds, train_loss, test_spearman, test_exact,
 *                label_perturbations_per_s, train_spearman, train_exact (the
 *                four rank metrics NaN on epochs without evaluation; version
 *                1 files lack the train_ columns, and read them as NaN)
 *   /checkpoint  params, optim_m, optim_v; attributes epoch, step, optim_t,
 *                elapsed_seconds — everything the run needs to continue
 *   /model       (complete runs) params, and w [p] (+ attribute intercept) or
 *                W [d, p] + b [d];
 *                attributes kind, d, p
 *
 * The file is only ever replaced whole: each write goes to a temporary file
 * in the same directory, is flushed, and renamed over the old one. A crash
 * therefore leaves the previous snapshot, never a half-written checkpoint,
 * and a killed run's file says complete = 0. The file is built in memory and
 * written with write(2) (h5util.h), so a full disk is one exact error; while
 * a run writes it, it holds the lock on "PATH.lock" (train.c, files.h). */
#ifndef PERTURB_RUNFILE_H
#define PERTURB_RUNFILE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "optim.h"
#include "perturb/error.h"

typedef struct pt_metrics_row {
  int64_t epoch;                    /* epochs completed */
  int64_t step;                     /* optimiser steps taken */
  double wall_seconds;              /* since the run started (resumes add up) */
  double train_loss;                /* mean over the epoch's instances */
  double test_spearman;             /* mean over test instances (NaN: not evaluated this epoch) */
  double test_exact;                /* share of test instances ranked exactly (likewise) */
  double label_perturbations_per_s; /* this epoch's throughput, all ranks */
  double train_spearman;            /* test_spearman on the training part (same epochs) */
  double train_exact;               /* test_exact on the training part */
} pt_metrics_row;

typedef struct pt_run_state {
  char *config_ini;  /* owned */
  int nranks, instance_groups, sample_groups;
  int complete;
  int64_t epoch, step; /* epochs completed, steps taken */
  double elapsed;      /* wall seconds so far */
  pt_model *model;     /* borrowed when writing, owned after pt_runfile_read */
  pt_optim *optim;     /* likewise */
  size_t nmetrics, cap_metrics;
  pt_metrics_row *metrics; /* owned */
} pt_run_state;

/* Appends a metrics row (grows the table). */
pt_status pt_run_add_metrics(pt_run_state *s, const pt_metrics_row *row);

/* Writes the snapshot atomically (see the file comment). */
pt_status pt_runfile_write(const char *path, const pt_run_state *s);

/* Reads a snapshot: the config text, counters and metrics, and — when
 * s->model and s->optim are set (built by the caller from the stored config,
 * which a first call with them NULL returns) — the checkpointed parameters and
 * optimiser state into them. */
pt_status pt_runfile_read(const char *path, pt_run_state *s);

/* Frees what a read allocated (config, metrics, and model/optim if owned). */
void pt_run_state_clear(pt_run_state *s, int owns_model);

/* Reads only the final model of a complete run (for `perturb eval`). */
pt_status pt_runfile_read_model(const char *path, pt_model **out);

#endif
