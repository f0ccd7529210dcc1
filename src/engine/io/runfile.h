/* runfile.h (internal): the HDF5 run file of one training run.
 *
 * Layout (format "perturb-run", version 4):
 *   attributes on /: format, format_version, perturb_version, git_commit,
 *     nranks, instance_groups, sample_groups, complete (0/1), status
 *     ("running" or "complete"), epochs_done, config (the resolved INI text)
 *   /metrics     compound table, one row per epoch: epoch, step,
 *                wall_seconds, train_loss, test_spearman, test_exact,
 *                label_perturbations_per_s, train_spearman, train_exact (the
 *                four rank metrics NaN on epochs without evaluation; version
 *                1 files lack the train_ columns, and read them as NaN),
 *                test_loss, train_accuracy, test_accuracy (version 3; NaN
 *                where they do not apply, and in older files),
 *                test_optimal, test_cost_ratio, test_regret, train_optimal,
 *                train_cost_ratio, train_regret (version 4: shortest paths
 *                with known costs; NaN elsewhere and in older files)
 *     data_fingerprint ("fnv1a64:" and 16 hex digits: FNV-1a over the
 *     training and test parts' shapes, X and Y, in split order, before
 *     standardisation; absent in older files)
 *   /checkpoint  params, optim_m, optim_v, loss_partial (int64: the fields of
 *                the epoch's loss accumulator, summed over ranks); attributes
 *                epoch, step, optim_t, elapsed_seconds, batch_offset (the
 *                instances of epoch `epoch` + 1 already trained: 0 at an epoch
 *                boundary, > 0 after an interruption; missing in older files,
 *                read as 0) — everything the run needs to continue;
 *                x_mean, x_sd as in /model
 *   /model       (complete runs) params, and w [p] (+ attribute intercept) or
 *                W [d, p] + b [d]; x_mean [p], x_sd [p] when the model was
 *                trained on standardised features (x − x_mean) / x_sd (absent:
 *                raw features, as in older files);
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

#include "model/model.h"
#include "train/optim.h"
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
  double test_loss;                 /* the loss on the test part (NaN: not asked, train.test_loss) */
  double train_accuracy;            /* share of training instances whose solution is the target (NaN: the
                                       task has no accuracy, or not evaluated this epoch) */
  double test_accuracy;             /* likewise on the test part */
  double test_optimal;              /* share of test paths whose true cost is the optimal one (NaN: the task
                                       has no costs, or not evaluated this epoch) */
  double test_cost_ratio;           /* mean over test instances of the predicted path's true cost / the optimum */
  double test_regret;               /* Σ(predicted path's cost − optimum) / Σ optimum over the test part */
  double train_optimal;             /* test_optimal on the training part */
  double train_cost_ratio;          /* test_cost_ratio on the training part */
  double train_regret;              /* test_regret on the training part */
} pt_metrics_row;

typedef struct pt_run_state {
  char *config_ini;  /* owned */
  int nranks, instance_groups, sample_groups;
  int complete;
  int64_t epoch, step; /* epochs completed, steps taken */
  double elapsed;      /* wall seconds so far */
  uint64_t data_fingerprint; /* pt_train's hash of the run's data parts */
  int has_data_fingerprint;  /* 0: not stored (older files) */
  int64_t batch_offset; /* instances of the epoch in progress already trained (0: at an epoch boundary) */
  int64_t *loss_partial; /* borrowed: the epoch's loss accumulator so far, summed over ranks, as
                            nloss_partial int64 fields; NULL: not written/read */
  size_t nloss_partial;
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
 * optimiser state into them, and when s->loss_partial is set, the
 * s->nloss_partial fields of the partial loss. Checks what it reads on its
 * own: attribute types, counters ≥ 0, a finite elapsed time ≥ 0, arrays of the
 * right length with finite values, one metrics row per epoch done with
 * epochs 1, 2, … and steps that do not decrease (PT_EFORMAT naming the file
 * and the field). What depends on the configuration (epoch < train.epochs,
 * the step count) is the caller's to check. Not collective. */
pt_status pt_runfile_read(const char *path, pt_run_state *s);

/* Frees what a read allocated (config, metrics, and model/optim if owned). */
void pt_run_state_clear(pt_run_state *s, int owns_model);

/* Reads only the final model of a complete run (for `perturb eval`), with
 * its standardisation when it has one. Not collective. */
pt_status pt_runfile_read_model(const char *path, pt_model **out);

/* Reads the final model of a complete run into `m`, a model its stored
 * configuration made for the data (any kind): the parameters and the
 * standardisation. PT_EFORMAT if /model is missing, of another kind or of
 * another size. Not collective. */
pt_status pt_runfile_read_params(const char *path, pt_model *m);

#endif
