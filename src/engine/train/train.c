/* train.c: the distributed training loop (see dist.h for how ranks share a
 * batch and why the results do not depend on how many there are). */
#define _POSIX_C_SOURCE 200809L
#include "train/train.h"

#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_randist.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dist/dist.h"
#include "train/interrupt.h"
#include "io/files.h"
#include "task/metrics.h"
#include "model/model.h"
#include "train/optim.h"
#include "perturb/data.h"
#include "perturb/loss.h"
#include "perturb/perturbed.h"
#include "perturb/rng.h"
#include "train/ridge.h"
#include "loss/loss.h"
#include "data/synthetic.h"
#include "task/task.h"
#include "io/runfile.h"

#define M_PI_VALUE 3.14159265358979323846

/* Everything a run reads from the configuration. */
typedef struct settings {
  const char *train_path, *test_path, *model_kind, *noise, *perturbation, *optim_kind, *schedule, *dataset, *csv_dir;
  double test_fraction, l2, epsilon, lambda, lr, momentum, beta1, beta2, adam_eps;
  int64_t samples, epochs, min_steps, batch, seed, checkpoint_every, eval_every;
  int64_t instance_groups, sample_groups, shard_size;
  int64_t folds, fold, inner_folds, inner_fold, split_seed;
  int standardize, quantile, test_loss, l2_biases;
  const pt_loss_type *loss;
  const pt_config *cfg; /* the [synthetic] section is read by its generator */
} settings;

static pt_status read_settings(const pt_config *c, settings *s) {
  const char *loss;
  PT_TRY(pt_config_get_string(c, "data.train", &s->train_path));
  PT_TRY(pt_config_get_string(c, "data.test", &s->test_path));
  PT_TRY(pt_config_get_double(c, "data.test_fraction", &s->test_fraction));
  PT_TRY(pt_config_get_string(c, "data.dataset", &s->dataset));
  PT_TRY(pt_config_get_string(c, "data.csv_dir", &s->csv_dir));
  PT_TRY(pt_config_get_int(c, "data.folds", &s->folds));
  PT_TRY(pt_config_get_int(c, "data.fold", &s->fold));
  PT_TRY(pt_config_get_int(c, "data.inner_folds", &s->inner_folds));
  PT_TRY(pt_config_get_int(c, "data.inner_fold", &s->inner_fold));
  PT_TRY(pt_config_get_int(c, "data.split_seed", &s->split_seed));
  PT_TRY(pt_config_get_bool(c, "data.standardize", &s->standardize));
  PT_TRY(pt_config_get_bool(c, "data.quantile", &s->quantile));
  s->cfg = c;
  PT_TRY(pt_config_get_string(c, "model.kind", &s->model_kind));
  PT_TRY(pt_config_get_double(c, "model.l2", &s->l2));
  PT_TRY(pt_config_get_bool(c, "model.l2_biases", &s->l2_biases));
  PT_TRY(pt_config_get_string(c, "loss.kind", &loss));
  PT_TRY(pt_config_get_double(c, "loss.epsilon", &s->epsilon));
  PT_TRY(pt_config_get_int(c, "loss.samples", &s->samples));
  PT_TRY(pt_config_get_string(c, "loss.noise", &s->noise));
  PT_TRY(pt_config_get_string(c, "loss.perturbation", &s->perturbation));
  PT_TRY(pt_config_get_double(c, "loss.lambda", &s->lambda));
  PT_TRY(pt_config_get_string(c, "optim.kind", &s->optim_kind));
  PT_TRY(pt_config_get_double(c, "optim.lr", &s->lr));
  PT_TRY(pt_config_get_double(c, "optim.momentum", &s->momentum));
  PT_TRY(pt_config_get_double(c, "optim.beta1", &s->beta1));
  PT_TRY(pt_config_get_double(c, "optim.beta2", &s->beta2));
  PT_TRY(pt_config_get_double(c, "optim.adam_eps", &s->adam_eps));
  PT_TRY(pt_config_get_string(c, "optim.schedule", &s->schedule));
  PT_TRY(pt_config_get_int(c, "train.epochs", &s->epochs));
  PT_TRY(pt_config_get_int(c, "train.min_steps", &s->min_steps));
  PT_TRY(pt_config_get_int(c, "train.batch_size", &s->batch));
  PT_TRY(pt_config_get_int(c, "train.seed", &s->seed));
  PT_TRY(pt_config_get_int(c, "train.checkpoint_every", &s->checkpoint_every));
  PT_TRY(pt_config_get_int(c, "train.eval_every", &s->eval_every));
  PT_TRY(pt_config_get_int(c, "dist.instance_groups", &s->instance_groups));
  PT_TRY(pt_config_get_int(c, "dist.sample_groups", &s->sample_groups));
  PT_TRY(pt_config_get_int(c, "dist.shard_size", &s->shard_size));
  PT_TRY(pt_config_get_bool(c, "train.test_loss", &s->test_loss));
  s->loss = pt_loss_type_by_name(loss);
  if (s->loss == NULL) return pt_error(PT_ECONFIG, "loss.kind = %s: no such loss", loss);
  return PT_OK;
}

/* The whole dataset: an HDF5 file, a label-ranking CSV by name, or the
 * synthetic generator. Collective; the same on every rank. */
static pt_status load_all(const settings *s, MPI_Comm comm, pt_dataset **all) {
  if (s->train_path[0] != '\0' && s->dataset[0] != '\0')
    return pt_dist_agree(comm, pt_error(PT_ECONFIG, "give data.train or data.dataset, not both"));
  if (s->train_path[0] != '\0') return pt_dataset_load(s->train_path, comm, 0, SIZE_MAX, all);
  pt_status st;
  if (s->dataset[0] != '\0') {
    st = pt_dataset_import_named(s->dataset, s->csv_dir, "data.csv_dir", all);
  } else {
    st = pt_synthetic_from_config(s->cfg, all);
  }
  return pt_dist_agree(comm, st);
}

/* Training and test (or validation) parts: a test file, K-fold
 * cross-validation (nested if asked), or a random split; raw features (the
 * model standardises them: setup). */
static pt_status load_data(const settings *s, MPI_Comm comm, pt_dataset **train, pt_dataset **test) {
  pt_dataset *all = NULL, *outer = NULL, *outer_test = NULL;
  PT_TRY(load_all(s, comm, &all));
  pt_status st = PT_OK;
  if (s->test_path[0] != '\0') {
    *train = all;
    all = NULL;
    st = pt_dataset_load(s->test_path, comm, 0, SIZE_MAX, test);
  } else if (s->folds > 0) {
    if (s->fold >= s->folds)
      st = pt_error(PT_ECONFIG, "data.fold = %lld is not one of the %lld folds (0..%lld)", (long long)s->fold,
                    (long long)s->folds, (long long)s->folds - 1);
    else if ((size_t)s->folds > all->n)
      st = pt_error(PT_ECONFIG, "data.folds = %lld exceeds the %zu instances of '%s'", (long long)s->folds, all->n,
                    all->name);
    else
      st = pt_dataset_kfold(all, (size_t)s->folds, (size_t)s->fold, (uint64_t)s->split_seed, &outer, &outer_test);
    if (st == PT_OK && s->inner_folds > 0 && s->inner_fold >= 0) {
      /* nested: validate on an inner fold of the outer training part */
      if (s->inner_fold >= s->inner_folds)
        st = pt_error(PT_ECONFIG, "data.inner_fold = %lld is not one of the %lld inner folds", (long long)s->inner_fold,
                      (long long)s->inner_folds);
      else if ((size_t)s->inner_folds > outer->n)
        st = pt_error(PT_ECONFIG, "data.inner_folds = %lld exceeds the %zu training instances of fold %lld",
                      (long long)s->inner_folds, outer->n, (long long)s->fold);
      else
        st = pt_dataset_kfold(outer, (size_t)s->inner_folds, (size_t)s->inner_fold, (uint64_t)s->split_seed + 1,
                              train, test);
      pt_dataset_free(&outer);
      pt_dataset_free(&outer_test);
    } else if (st == PT_OK) {
      *train = outer;
      *test = outer_test;
    }
    st = pt_dist_agree(comm, st);
  } else {
    st = pt_dist_agree(comm, pt_dataset_split(all, s->test_fraction, (uint64_t)s->split_seed, train, test));
  }
  pt_dataset_free(&all);
  if (st != PT_OK) {
    pt_dataset_free(train);
    pt_dataset_free(test);
  }
  return st;
}

/* The fingerprint of a run's data: FNV-1a over each part's shape, X and Y,
 * training part first, rows in split order, before standardisation. It
 * depends on the data and the split alone, not on the number of ranks. */
static uint64_t data_fingerprint(const pt_dataset *train, const pt_dataset *test) {
  uint64_t h = PT_HASH_INIT;
  const pt_dataset *parts[2] = {train, test};
  for (int k = 0; k < 2; k++) {
    const pt_dataset *ds = parts[k];
    const uint64_t shape[4] = {ds->n, ds->d, ds->p, (uint64_t)ds->per_label};
    h = pt_hash_bytes(h, shape, sizeof shape);
    h = pt_hash_bytes(h, ds->X, ds->n * (ds->per_label ? ds->d : 1) * ds->p * sizeof *ds->X);
    h = pt_hash_bytes(h, ds->Y, ds->n * ds->d * sizeof *ds->Y);
    /* shortest paths: the true costs too (the metrics and some losses read
     * them); other data have none, and keep their fingerprints */
    if (ds->costs) h = pt_hash_bytes(h, ds->costs, ds->n * ds->d * sizeof *ds->costs);
  }
  return h;
}

pt_status pt_train_load_data(const pt_config *cfg, MPI_Comm comm, pt_dataset **train, pt_dataset **test,
                             uint64_t *fingerprint) {
  *train = *test = NULL;
  settings s;
  PT_TRY(pt_dist_agree(comm, read_settings(cfg, &s)));
  PT_TRY(load_data(&s, comm, train, test));
  *fingerprint = data_fingerprint(*train, *test);
  return PT_OK;
}

/* The output file, rank 0 only, before any time is spent on training: a
 * regular file or absent, not one of the run's inputs (the configuration and
 * the data: --force would destroy them), its directory writable; locked for
 * the run ("RUN.h5.lock", *lock_fd, released by unlock_output) so that a
 * second run on it stops at once; then the temporaries a killed run left
 * beside it are stale and removed; and no run clobbered unless asked. */
static pt_status check_output(const pt_train_options *o, const pt_config *cfg, int *lock_fd) {
  const char *train = NULL, *test = NULL, *dataset = NULL, *csv_dir = NULL;
  pt_config_get_string(cfg, "data.train", &train);
  pt_config_get_string(cfg, "data.test", &test);
  pt_config_get_string(cfg, "data.dataset", &dataset);
  pt_config_get_string(cfg, "data.csv_dir", &csv_dir);
  char csv[4096] = "";
  const char *dir = csv_dir && csv_dir[0] != '\0' ? csv_dir : getenv("PERTURB_LABEL_RANKING_DIR");
  if (dataset && dataset[0] != '\0' && dir) snprintf(csv, sizeof csv, "%s/%s.csv", dir, dataset);
  const char *inputs[4] = {o->config_path, train, test, csv};
  int exists = 0;
  PT_TRY(pt_file_check_output(o->out_path, "run file", inputs, 4, &exists));
  char lock[4096];
  if ((size_t)snprintf(lock, sizeof lock, "%s.lock", o->out_path) >= sizeof lock)
    return pt_error(PT_EIO, "output path too long: '%s'", o->out_path);
  const pt_file_lock_result got = pt_file_lock(lock, lock_fd);
  if (got == PT_LOCK_FAILED) return pt_error(PT_EIO, "cannot create the lock file '%s': %s", lock, strerror(errno));
  if (got == PT_LOCK_BUSY)
    return pt_error(PT_EIO, "run file '%s' is in use by another perturb run (it holds %s): wait for it, or use "
                            "another --out",
                    o->out_path, lock);
  pt_file_remove_temporaries(o->out_path);
  pt_status st = PT_OK;
  if (exists && !o->force && !o->resume)
    st = pt_error(PT_EIO, "run file '%s' exists: use --force to overwrite it or --resume to continue it", o->out_path);
  else if (!exists && o->resume)
    st = pt_error(PT_EIO, "cannot resume: run file '%s' does not exist", o->out_path);
  return st;
}

/* Releases check_output's lock and removes its file (nothing if not held). */
static void unlock_output(const pt_train_options *o, int lock_fd) {
  char lock[4096];
  snprintf(lock, sizeof lock, "%s.lock", o->out_path);
  pt_file_unlock(lock, lock_fd, 1);
}

/* Scratch for one batch, allocated once. */
typedef struct batch_buffers {
  size_t *rows;      /* the batch's dataset rows */
  uint64_t *ids;     /* the same as stream ids */
  double *theta;     /* [B × d] */
  double *G;         /* [B × d] per-instance gradients in θ (or sums of y*) */
  double *yone;      /* [d] one solver output */
  double *F;         /* [M] values F(θ + εZ_m) of one instance */
  double *loss_work; /* [3d] the losses' scratch (pt_loss_context.work) */
  double *grad;      /* [nparams] */
  double *X;         /* [B × input size] the batch's inputs, gathered */
  double *yone_g;    /* [d] scratch gradient of an evaluated instance */
  size_t *rank_order; /* [d] scratch of the Spearman correlation */
  size_t *order;     /* [n] the epoch's shuffle */
} batch_buffers;

static void free_buffers(batch_buffers *b) {
  free(b->rows), free(b->ids), free(b->theta), free(b->G), free(b->yone), free(b->grad), free(b->order), free(b->X);
  free(b->yone_g), free(b->rank_order);
  free(b->F), free(b->loss_work);
}

static pt_status alloc_buffers(batch_buffers *b, size_t B, size_t d, size_t nparams, size_t n, size_t M, size_t in) {
  memset(b, 0, sizeof *b);
  b->rows = malloc(B * sizeof *b->rows);
  b->ids = malloc(B * sizeof *b->ids);
  b->theta = malloc(B * d * sizeof *b->theta);
  b->G = malloc((B * d + 2) * sizeof *b->G); /* + 2: the failure and interruption flags of a step */
  b->yone = malloc(d * sizeof *b->yone);
  b->grad = malloc(nparams * sizeof *b->grad);
  b->order = malloc(n * sizeof *b->order);
  b->F = malloc(M * sizeof *b->F);
  b->loss_work = malloc(3 * d * sizeof *b->loss_work);
  b->X = malloc(B * in * sizeof *b->X);
  b->yone_g = malloc(d * sizeof *b->yone_g);
  b->rank_order = malloc(d * sizeof *b->rank_order);
  if (!b->rows || !b->ids || !b->theta || !b->G || !b->yone || !b->grad || !b->order || !b->F || !b->X || !b->yone_g ||
      !b->rank_order || !b->loss_work) {
    free_buffers(b);
    return pt_error(PT_ENOMEM, "out of memory for batches of %zu instances", B);
  }
  return PT_OK;
}

/* The epoch's loss accumulator (pt_exact_sum, plain int64 fields) as
 * checkpoints store it: the number of its int64 fields. */
#define LOSS_FIELDS (sizeof(pt_exact_sum) / sizeof(int64_t))

/* The run: everything the loop needs. */
typedef struct run {
  settings s;
  pt_decomp dc;
  pt_dataset *train, *test;
  pt_model *model;
  pt_optim *optim;
  pt_task *task;           /* its solver is the loss's */
  pt_perturbed *perturbed; /* the task's solver perturbed (losses with samples) */
  pt_loss_context lc;
  pt_grad_sum *gsum;       /* the shards' weight gradients (models that are not replicated) */
  pt_row_gather *gather;   /* a step's rows of G to every rank (replicated models, samples not split) */
  size_t *first;           /* [nranks + 1] each rank's first value of G in a step (the gather's) */
  double *l2_weight;       /* [nparams] the L2 penalty's weight of each parameter (model.l2_biases = false), or NULL */
  size_t shard;            /* rows per shard of a batch, and per chunk of an evaluation */
  gsl_rng *rng;
  batch_buffers buf;
  size_t d, M; /* labels; samples per instance (1 for losses without noise) */
  int64_t total_steps;
  uint64_t fingerprint; /* data_fingerprint of the parts */
  int64_t loss_saved[LOSS_FIELDS]; /* the partial loss of an interrupted epoch (checkpoint), summed over ranks */
} run;

/* The schedule's factor on the learning rate before step `t` (0-based). */
static double lr_factor(const run *r, uint64_t t) {
  if (strcmp(r->s.schedule, "cosine") != 0 || r->total_steps <= 1) return 1.0;
  return 0.5 * (1.0 + cos(M_PI_VALUE * (double)t / (double)r->total_steps));
}

/* A loss's failure to add a term (pt_loss_add: not finite, or beyond the
 * exact sum's range) stops the run naming the epoch (0-based `epoch`) and the
 * step; other failures pass as they are. */
static pt_status at_step(const run *r, uint64_t epoch, pt_status st) {
  if (st != PT_EDOM) return st;
  return pt_error(PT_EDOM, "epoch %llu, step %llu: %s", (unsigned long long)epoch + 1,
                  (unsigned long long)r->optim->t + 1, pt_last_error());
}

/* The shards of a batch of `count` rows: fixed pieces of r->shard rows from
 * its first row, whatever the number of ranks. */
static size_t shard_count(const run *r, size_t count) { return (count + r->shard - 1) / r->shard; }

/* Instance group g's instances of a batch of `count` rows, [*ib, *ie): a
 * share of the rows (replicated models), or of the whole shards (the
 * others), so that every shard lies within one instance group. */
static void group_share(const run *r, size_t count, int g, size_t *ib, size_t *ie) {
  if (r->model->type->replicated) {
    pt_share(count, r->dc.instance_groups, g, ib, ie);
    return;
  }
  size_t s0, s1;
  pt_share(shard_count(r, count), r->dc.instance_groups, g, &s0, &s1);
  *ib = s0 * r->shard < count ? s0 * r->shard : count;
  *ie = s1 * r->shard < count ? s1 * r->shard : count;
}

/* This rank's instances of a batch of `count` rows (group_share). */
static void instance_share(const run *r, size_t count, size_t *ib, size_t *ie) {
  group_share(r, count, r->dc.igroup, ib, ie);
}

/* θ of this rank's instances of the batch, and their θ-gradient parts into G
 * (other rows zero; for losses that split samples, the parts of this rank's
 * samples), with this rank's part of the loss added to an exact sum. */
static pt_status batch_gradients(run *r, size_t count, uint64_t epoch, pt_exact_sum *loss_sum) {
  const size_t d = r->d;
  size_t ib, ie, sb, se;
  instance_share(r, count, &ib, &ie);
  pt_share(r->M, r->dc.sample_groups, r->dc.sgroup, &sb, &se);
  memset(r->buf.G, 0, count * d * sizeof *r->buf.G);
  if (r->model->type->replicated) {
    pt_model_forward(r->model, r->buf.X, ib, ie - ib, r->buf.theta);
  } else {
    /* shard by shard: each shard's activations are its own (model.h) */
    for (size_t k0 = ib; k0 < ie; k0 += r->shard)
      pt_model_forward(r->model, r->buf.X, k0, ie - k0 < r->shard ? ie - k0 : r->shard, r->buf.theta);
  }
  for (size_t k = ib; k < ie; k++) {
    const double *th = r->buf.theta + k * d, *y = r->train->Y + r->buf.rows[k] * d;
    const double *cost = r->train->costs ? r->train->costs + r->buf.rows[k] * d : NULL;
    PT_TRY(at_step(r, epoch, r->s.loss->gradient(&r->lc, th, y, cost, r->buf.ids[k], sb, se, r->dc.sgroup == 0,
                                                 r->buf.G + k * d, loss_sum)));
  }
  return PT_OK;
}

/* The weight gradient of the batch from the summed θ-gradients G, into
 * r->buf.grad, the same bits on every rank. Replicated models: every rank
 * runs the whole backward pass (fixed order, same arithmetic). The others:
 * each rank the backward passes of its shards (those of its instance group,
 * dealt round the group's sample groups), summed over ranks in fixed point
 * (pt_grad_sum_reduce). Collective. */
static pt_status weight_gradient(run *r, size_t count, MPI_Comm comm) {
  const double scale = 1.0 / (double)count;
  if (r->model->type->replicated) {
    memset(r->buf.grad, 0, r->model->nparams * sizeof *r->buf.grad);
    pt_model_backward(r->model, r->buf.X, 0, count, r->buf.G, scale, r->buf.grad);
    return PT_OK;
  }
  size_t ib, ie, nlocal = 0;
  instance_share(r, count, &ib, &ie);
  for (size_t k0 = ib, j = 0; k0 < ie; k0 += r->shard, j++) {
    if (j % (size_t)r->dc.sample_groups != (size_t)r->dc.sgroup) continue;
    double *slot = pt_grad_sum_slot(r->gsum, nlocal++);
    const size_t rows = ie - k0 < r->shard ? ie - k0 : r->shard;
    /* this rank went forward on these rows: their θ is here */
    pt_model_output_grad(r->model, k0, rows, r->buf.theta + k0 * r->d, r->buf.G + k0 * r->d);
    pt_model_backward(r->model, r->buf.X, k0, rows, r->buf.G, scale, slot);
  }
  return pt_grad_sum_reduce(r->gsum, nlocal, shard_count(r, count), comm, r->buf.grad);
}

/*
 * Makes the θ-gradients G of a batch of `count` rows whole where the weight
 * gradient needs them, with the step's flags (failure, interruption) summed
 * over the ranks on the way, in one message:
 *  - samples split among ranks: each rank holds integer parts of its
 *    instance group's rows, summed exactly (MPI_Allreduce with zeros
 *    elsewhere), then finished on every rank;
 *  - otherwise each row has one owner, who finishes it; a replicated model
 *    needs every row on every rank (pt_row_gather: half the data an
 *    allreduce moves, the owner's bits unchanged), the other models only
 *    their own rows, so only the flags travel.
 * Collective. `ok`: this rank's rows are valid (finish only those).
 */
static void exchange_gradients(run *r, size_t count, int ok, double flags[2], MPI_Comm comm) {
  const size_t d = r->d;
  const pt_loss_type *loss = r->s.loss;
  if (r->dc.sample_groups > 1) {
    r->buf.G[count * d] = flags[0];
    r->buf.G[count * d + 1] = flags[1];
    MPI_Allreduce(MPI_IN_PLACE, r->buf.G, (int)(count * d + 2), MPI_DOUBLE, MPI_SUM, comm);
    flags[0] = r->buf.G[count * d];
    flags[1] = r->buf.G[count * d + 1];
    if (loss->finish && flags[0] == 0.0)
      for (size_t k = 0; k < count; k++) loss->finish(&r->lc, d, r->train->Y + r->buf.rows[k] * d, r->buf.G + k * d);
    return;
  }
  size_t ib, ie;
  instance_share(r, count, &ib, &ie);
  if (loss->finish && ok)
    for (size_t k = ib; k < ie; k++) loss->finish(&r->lc, d, r->train->Y + r->buf.rows[k] * d, r->buf.G + k * d);
  if (!r->model->type->replicated) {
    MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_DOUBLE, MPI_SUM, comm);
    return;
  }
  for (int g = 0; g < r->dc.nranks; g++) { /* one sample group: rank = instance group */
    size_t gb, ge;
    group_share(r, count, g, &gb, &ge);
    r->first[g] = gb * d;
    r->first[g + 1] = ge * d;
  }
  pt_row_gather_run(r->gather, r->buf.G, r->first, flags, comm);
}

/* This rank's weight in the interruption flag: SIGINT counts 1, SIGTERM more
 * than all ranks' SIGINTs together, so the sum says which to report (SIGTERM,
 * a scheduler's, if any rank got it) and stays an exact small integer. */
static double interrupt_weight(const run *r) {
  const int sig = pt_interrupt_pending();
  return sig == 0 ? 0.0 : sig == SIGINT ? 1.0 : (double)r->dc.nranks + 1.0;
}

/* The signal a summed interruption flag stands for (0: none). */
static int interrupt_signal(const run *r, double sum) {
  return sum == 0.0 ? 0 : sum < (double)r->dc.nranks + 1.0 ? SIGINT : SIGTERM;
}

/* One optimisation step on the batch r->buf.rows[0..count). *stop becomes the
 * signal some rank received (the same on every rank), 0 if none: the step is
 * taken all the same, and the caller stops after it. */
static pt_status train_step(run *r, size_t count, uint64_t epoch, pt_exact_sum *loss_sum, int *stop, MPI_Comm comm) {
  for (size_t k = 0; k < count; k++) r->buf.ids[k] = (uint64_t)r->buf.rows[k];
  pt_model_gather(r->model, r->train, r->buf.rows, count, r->buf.X);
  if (r->perturbed) pt_perturbed_set_stream(r->perturbed, (uint64_t)r->s.seed, epoch);
  const pt_status st = batch_gradients(r, count, epoch, loss_sum);
  /* the flags count failed and signalled ranks, so that checking for errors
   * and signals costs no message of its own */
  double flags[2] = {st == PT_OK ? 0.0 : 1.0, interrupt_weight(r)};
  exchange_gradients(r, count, st == PT_OK, flags, comm);
  if (flags[0] != 0.0) return pt_dist_agree(comm, st);
  *stop = interrupt_signal(r, flags[1]);
  pt_status gst = weight_gradient(r, count, comm);
  if (gst != PT_OK)
    return pt_error(gst, "epoch %llu, step %llu: %s: the training diverged; try a lower optim.lr or a larger "
                         "loss.epsilon", (unsigned long long)epoch + 1, (unsigned long long)r->optim->t + 1,
                    pt_last_error());
  /* G, the gradient, the parameters and the optimiser state are the same bits
   * on every rank, so each rank finds the same non-finite value (or none): no
   * message is needed to agree. Checked every step, before anything is
   * written, so that a run whose numbers broke never looks complete. */
  const int finite = pt_optim_add_l2(r->model->nparams, r->s.l2, r->l2_weight, r->model->params, r->buf.grad);
  const char *bad = finite ? pt_optim_step(r->optim, r->model->params, r->buf.grad, lr_factor(r, r->optim->t))
                           : "the gradient";
  if (bad != NULL)
    return pt_error(PT_EDOM, "epoch %llu, step %llu: %s became non-finite (inf or NaN): the training diverged; "
                             "try a lower optim.lr or a larger loss.epsilon",
                    (unsigned long long)epoch + 1, (unsigned long long)r->optim->t + (finite ? 0 : 1), bad);
  return PT_OK;
}

/* Perturbation stream ids of the test part's rows: far from the training
 * rows' (row numbers), so that its loss estimate uses other noise. */
#define TEST_ID_BASE (UINT64_C(1) << 48)

/* What pt_model_predict visits: one part's rows. */
typedef struct eval_visit {
  run *r;
  const pt_dataset *ds;
  pt_eval_sums *sums;
  int with_loss; /* also the loss (train.test_loss, on the test part) */
} eval_visit;

static pt_status eval_row(void *ctx, size_t i, const double *theta) {
  eval_visit *v = ctx;
  run *r = v->r;
  const double *y = v->ds->Y + i * r->d;
  const double *cost = v->ds->costs ? v->ds->costs + i * r->d : NULL;
  PT_TRY(pt_eval_add(r->task, r->d, theta, y, cost, r->buf.rank_order, r->buf.yone, v->sums));
  if (!v->with_loss) return PT_OK;
  /* the whole loss of the instance: all samples, this rank leading */
  PT_TRY(r->s.loss->gradient(&r->lc, theta, y, cost, TEST_ID_BASE + i, 0, r->M, 1, r->buf.yone_g, &v->sums->loss));
  return PT_OK;
}

/* The task's metrics on the test and the training parts (and the test loss
 * if train.test_loss): each part in chunks of r->shard rows from its first
 * row, the chunks shared among all ranks, the sums exact (one message for
 * both parts), so the same numbers on any number of ranks. `epoch` (0-based)
 * seeds the test loss's noise. */
static pt_status evaluate(run *r, uint64_t epoch, MPI_Comm comm, pt_metrics_row *row) {
  pt_eval_sums sums[2]; /* test, then training */
  memset(sums, 0, sizeof sums);
  const pt_dataset *parts[2] = {r->test, r->train};
  if (r->perturbed) pt_perturbed_set_stream(r->perturbed, (uint64_t)r->s.seed, epoch);
  pt_status st = PT_OK;
  for (int k = 0; k < 2 && st == PT_OK; k++) {
    const size_t n = parts[k]->n, chunks = (n + r->shard - 1) / r->shard;
    size_t c0, c1;
    pt_share(chunks, r->dc.nranks, r->dc.rank, &c0, &c1);
    eval_visit v = {r, parts[k], &sums[k], k == 0 && r->s.test_loss};
    st = pt_model_predict(r->model, parts[k], c0 * r->shard < n ? c0 * r->shard : n,
                          c1 * r->shard < n ? c1 * r->shard : n, r->shard, r->buf.X, r->buf.theta, eval_row, &v);
  }
  PT_TRY(pt_dist_agree(comm, at_step(r, epoch, st)));
  pt_eval_sums_allreduce(sums, 2, comm);
  const pt_eval_values test = pt_eval_metrics(r->task, &sums[0], r->test->n);
  const pt_eval_values train = pt_eval_metrics(r->task, &sums[1], r->train->n);
  row->test_spearman = test.spearman;
  row->test_exact = test.exact;
  row->test_accuracy = test.accuracy;
  row->test_optimal = test.optimal;
  row->test_cost_ratio = test.cost_ratio;
  row->test_regret = test.regret;
  row->train_spearman = train.spearman;
  row->train_exact = train.exact;
  row->train_accuracy = train.accuracy;
  row->train_optimal = train.optimal;
  row->train_cost_ratio = train.cost_ratio;
  row->train_regret = train.regret;
  row->test_loss = r->s.test_loss ? pt_exact_sum_value(&sums[0].loss) / (double)r->test->n : NAN;
  return PT_OK;
}

static void shuffle(run *r, uint64_t epoch) {
  const pt_rng_id id = {(uint64_t)r->s.seed, PT_PURPOSE_SHUFFLE, epoch, 0, 0};
  for (size_t i = 0; i < r->train->n; i++) r->buf.order[i] = i;
  pt_rng_seek(r->rng, &id);
  gsl_ran_shuffle(r->rng, r->buf.order, r->train->n, sizeof *r->buf.order);
}

/* A double as a JSON value: NaN (a metric not evaluated this epoch) is null. */
static const char *json_number(double v, char buf[32]) {
  if (!isfinite(v)) return "null";
  snprintf(buf, 32, "%.17g", v);
  return buf;
}

static void report(const run *r, const pt_metrics_row *row, int json, double left) {
  const int64_t epochs = r->s.loss->closed_form ? 1 : r->s.epochs;
  if (json) {
    char b[14][32];
    printf("{\"epoch\":%lld,\"step\":%lld,\"wall_seconds\":%.6g,\"train_loss\":%s,\"test_spearman\":%s,"
           "\"test_exact\":%s,\"train_spearman\":%s,\"train_exact\":%s,\"label_perturbations_per_s\":%.6g,"
           "\"test_loss\":%s,\"train_accuracy\":%s,\"test_accuracy\":%s,\"test_optimal\":%s,"
           "\"test_cost_ratio\":%s,\"test_regret\":%s,\"train_optimal\":%s,\"train_cost_ratio\":%s,"
           "\"train_regret\":%s}\n",
           (long long)row->epoch, (long long)row->step, row->wall_seconds, json_number(row->train_loss, b[0]),
           json_number(row->test_spearman, b[1]), json_number(row->test_exact, b[2]),
           json_number(row->train_spearman, b[3]), json_number(row->train_exact, b[4]),
           row->label_perturbations_per_s, json_number(row->test_loss, b[5]), json_number(row->train_accuracy, b[6]),
           json_number(row->test_accuracy, b[7]), json_number(row->test_optimal, b[8]),
           json_number(row->test_cost_ratio, b[9]), json_number(row->test_regret, b[10]),
           json_number(row->train_optimal, b[11]), json_number(row->train_cost_ratio, b[12]),
           json_number(row->train_regret, b[13]));
  }
  FILE *out = json ? stderr : stdout;
  char metrics[256] = "";
  if (r->task->metrics & PT_METRIC_RANKING)
    snprintf(metrics, sizeof metrics, "  test spearman %.4f  exact %.4f", row->test_spearman, row->test_exact);
  if (r->task->metrics & PT_METRIC_ACCURACY)
    snprintf(metrics + strlen(metrics), sizeof metrics - strlen(metrics), "  accuracy train %.4f  test %.4f",
             row->train_accuracy, row->test_accuracy);
  if (r->task->metrics & PT_METRIC_PATH)
    snprintf(metrics + strlen(metrics), sizeof metrics - strlen(metrics), "  optimal paths train %.4f  test %.4f",
             row->train_optimal, row->test_optimal);
  if ((r->task->metrics & PT_METRIC_PATH) && r->task->decision == PT_DECISION_SOLVER) /* paths: ratios mean something */
    snprintf(metrics + strlen(metrics), sizeof metrics - strlen(metrics), "  test cost ratio %.4f  regret %.4f",
             row->test_cost_ratio, row->test_regret);
  if (isfinite(row->test_loss))
    snprintf(metrics + strlen(metrics), sizeof metrics - strlen(metrics), "  test loss %.6g", row->test_loss);
  fprintf(out, "epoch %lld/%lld  loss %.6g%s  %.3g label-pert/s  elapsed %.1f s  left ~%.0f s\n",
          (long long)row->epoch, (long long)epochs, row->train_loss, metrics, row->label_perturbations_per_s,
          row->wall_seconds, left);
  fflush(stdout);
  fflush(stderr);
}

/* Rank 0 writes the snapshot; everyone learns whether it worked. */
static pt_status snapshot(run *r, pt_run_state *state, const char *path, MPI_Comm comm) {
  /* every rank stepped the parameters itself: they must still agree bitwise */
  PT_TRY(pt_dist_check_same(comm, r->model->params, r->model->nparams * sizeof *r->model->params,
                            "the model parameters"));
  pt_status st = PT_OK;
  if (r->dc.rank == 0) st = pt_runfile_write(path, state);
  return pt_dist_agree(comm, st);
}

/* model.l2_biases = false: the L2 penalty's weight of each parameter, 0 for
 * the model's biases and 1 for the rest (r->l2_weight). Not collective. */
static pt_status l2_weights(run *r) {
  if (r->s.loss->closed_form)
    return pt_error(PT_ECONFIG, "model.l2_biases = false: loss.kind = %s penalises every coefficient, its "
                                "intercept too (leave model.l2_biases = true)", r->s.loss->name);
  const size_t n = r->model->nparams;
  unsigned char *is_bias = calloc(n ? n : 1, 1);
  r->l2_weight = malloc((n ? n : 1) * sizeof *r->l2_weight);
  if (is_bias == NULL || r->l2_weight == NULL) {
    free(is_bias);
    return pt_error(PT_ENOMEM, "out of memory for the L2 weights of %zu parameters", n);
  }
  r->model->type->mark_biases(r->model, is_bias);
  for (size_t k = 0; k < n; k++) r->l2_weight[k] = is_bias[k] ? 0.0 : 1.0;
  free(is_bias);
  return PT_OK;
}

static pt_status setup(run *r, const pt_config *cfg, MPI_Comm comm) {
  int nranks, rank;
  MPI_Comm_size(comm, &nranks);
  MPI_Comm_rank(comm, &rank);
  PT_TRY(pt_dist_agree(comm, read_settings(cfg, &r->s)));
  PT_TRY(load_data(&r->s, comm, &r->train, &r->test));
  const char *origin = r->s.train_path[0] ? r->s.train_path : r->train->source;
  const char *test_origin = r->s.test_path[0] ? r->s.test_path : origin;
  if (r->test->d != r->train->d || r->test->p != r->train->p || r->test->per_label != r->train->per_label)
    return pt_dist_agree(comm, pt_error(PT_ECONFIG, "test data (%zu labels, %zu features per %s) does not match the "
                                                    "training data (%zu labels, %zu features per %s)",
                                        r->test->d, r->test->p, r->test->per_label ? "label" : "instance", r->train->d,
                                        r->train->p, r->train->per_label ? "label" : "instance"));
  r->d = r->train->d;
  r->M = r->s.loss->samples ? (size_t)r->s.samples : 1;
  r->fingerprint = data_fingerprint(r->train, r->test);
  /* the task: its solver, how the data hold the targets, its metrics */
  pt_status st = pt_task_from_config(cfg, r->train, origin, &r->task);
  if (st == PT_OK) st = pt_task_check(r->task, r->test, test_origin);
  if (st == PT_OK) st = pt_model_from_config(cfg, r->train, origin, &r->model);
  if (st == PT_OK && r->s.loss->closed_form && !r->model->type->replicated)
    st = pt_error(PT_ECONFIG, "loss.kind = %s fits a linear model in closed form; model.kind = %s is not one (use "
                              "affine or linear_scorer)", r->s.loss->name, r->model->type->name);
  if (st == PT_OK && r->s.loss->needs_costs && (r->train->costs == NULL || r->test->costs == NULL))
    st = pt_error(PT_ECONFIG, "loss.kind = %s needs the true costs of the solutions (/costs); %s has none",
                  r->s.loss->name, r->train->costs == NULL ? origin : test_origin);
  if (st == PT_OK) st = pt_model_check_data(r->model, r->test, test_origin);
  if (st == PT_OK && !r->s.l2_biases) st = l2_weights(r);
  /* the quantiles and statistics become the model's, so that every
   * prediction uses them */
  if (st == PT_OK && r->s.quantile) st = pt_model_quantile_from(r->model, r->train, origin);
  if (st == PT_OK && r->s.standardize) st = pt_model_standardize_from(r->model, r->train, origin);
  if (st == PT_OK) st = pt_model_prepare_data(r->model, r->train, origin);
  if (st == PT_OK) st = pt_model_prepare_data(r->model, r->test, test_origin);
  if (st == PT_OK) st = pt_optim_alloc(strcmp(r->s.optim_kind, "sgd") == 0 ? PT_OPTIM_SGD : PT_OPTIM_ADAM,
                                       r->model->nparams, r->s.lr, r->s.momentum, r->s.beta1, r->s.beta2,
                                       r->s.adam_eps, &r->optim);
  if (st == PT_OK && r->s.loss->samples) {
    const pt_noise_type *noise = pt_noise_by_name(r->s.noise);
    st = noise ? pt_perturbed_alloc(r->task->solver, noise, r->s.epsilon, r->M, &r->perturbed) : PT_ECONFIG;
    if (st == PT_OK && strcmp(r->s.perturbation, "multiplicative") == 0) {
      st = pt_perturbed_set_perturbation(r->perturbed, PT_PERTURB_MULTIPLICATIVE);
      if (st != PT_OK)
        st = pt_error(PT_ECONFIG, "loss.perturbation = multiplicative needs Gaussian noise (loss.noise = gaussian or gaussian-ziggurat, not %s)", r->s.noise);
    }
  }
  if (st == PT_OK) {
    r->rng = pt_rng_alloc();
    if (r->rng == NULL) st = pt_error(PT_ENOMEM, "out of memory for a random stream");
  }
  if (st == PT_OK) pt_model_init(r->model, r->rng, (uint64_t)r->s.seed);
  const size_t B = (size_t)r->s.batch;
  r->shard = (size_t)r->s.shard_size < B ? (size_t)r->s.shard_size : B;
  if (st == PT_OK) st = pt_model_reserve(r->model, B);
  /* A sweep over datasets of 150 to 40000 instances with one epoch count
   * would leave the small ones with a few hundred steps: min_steps raises
   * their epochs (the same on every rank: it depends only on the data). */
  const int64_t steps_per_epoch = (int64_t)((r->train->n + B - 1) / B);
  if (r->s.epochs * steps_per_epoch < r->s.min_steps)
    r->s.epochs = (r->s.min_steps + steps_per_epoch - 1) / steps_per_epoch;
  r->total_steps = r->s.epochs * steps_per_epoch;
  if (st == PT_OK) st = alloc_buffers(&r->buf, B, r->d, r->model->nparams, r->train->n, r->M,
                                           pt_model_input_size(r->model));
  if (st == PT_OK) {
    r->lc = (pt_loss_context){.solver = r->task->solver, .perturbed = r->perturbed, .M = r->M,
                              .epsilon = r->s.epsilon, .lambda = r->s.lambda, .F = r->buf.F,
                              .work = r->buf.loss_work};
  }
  PT_TRY(pt_dist_agree(comm, st));
  /* Ranks share a batch's rows (replicated models) or its shards; ridge has
   * no batches: its ranks only share the evaluation's rows. */
  const size_t rows = r->s.loss->closed_form || B > r->train->n ? r->train->n : B;
  const size_t units = r->model->type->replicated ? rows : (rows + r->shard - 1) / r->shard;
  /* samples may be split only if their parts are integers: sums of outputs
   * of a solver that says so (a plug-in's callback does not), unscaled (a
   * multiplicative perturbation's gradient parts f ⊙ y* are not integers) */
  const int split = r->s.loss->split_samples && pt_solver_is_integral(r->task->solver) &&
                    pt_perturbed_perturbation(r->perturbed) == PT_PERTURB_ADDITIVE;
  st = pt_decomp_choose(nranks, rank, units, r->M, split, r->s.instance_groups, r->s.sample_groups, &r->dc);
  /* the most shards one rank can hold in a step */
  if (st == PT_OK && !r->model->type->replicated)
    st = pt_grad_sum_alloc(r->model->nparams, (units + (size_t)r->dc.instance_groups - 1) /
                                                  (size_t)r->dc.instance_groups, &r->gsum);
  if (st == PT_OK && r->model->type->replicated && r->dc.sample_groups == 1 && !r->s.loss->closed_form) {
    r->first = malloc(((size_t)nranks + 1) * sizeof *r->first);
    st = r->first ? pt_row_gather_alloc(nranks, 2, rows * r->d, &r->gather)
                  : pt_error(PT_ENOMEM, "out of memory for the ranks' shares of a batch");
  }
  return pt_dist_agree(comm, st);
}

static void teardown(run *r) {
  free_buffers(&r->buf);
  if (r->rng) gsl_rng_free(r->rng);
  pt_perturbed_free(&r->perturbed);
  pt_grad_sum_free(&r->gsum);
  pt_row_gather_free(&r->gather);
  free(r->first);
  free(r->l2_weight);
  pt_task_free(&r->task);
  pt_optim_free(&r->optim);
  pt_model_free(&r->model);
  pt_dataset_free(&r->train);
  pt_dataset_free(&r->test);
}

/* The checkpoint's position must be one this configuration reaches (the
 * reader checked what it can alone): an epoch not yet done, a batch boundary
 * inside it, and the step count, optimiser step count, metrics rows and
 * partial loss that go with them. Not collective. */
static pt_status check_position(const run *r, const char *path, const pt_run_state *c) {
  const int64_t B = r->s.batch, n = (int64_t)r->train->n, per_epoch = (n + B - 1) / B;
  if (c->epoch >= r->s.epochs)
    return pt_error(PT_EFORMAT, "cannot resume '%s': /checkpoint epoch = %lld, but the run has %lld epochs", path,
                    (long long)c->epoch, (long long)r->s.epochs);
  if (c->batch_offset >= n || c->batch_offset % B != 0)
    return pt_error(PT_EFORMAT, "cannot resume '%s': /checkpoint batch_offset = %lld is not a batch start among the "
                                "%lld training instances (batches of %lld)",
                    path, (long long)c->batch_offset, (long long)n, (long long)B);
  const int64_t step = c->epoch * per_epoch + c->batch_offset / B;
  if (c->step != step)
    return pt_error(PT_EFORMAT, "cannot resume '%s': /checkpoint step = %lld, but epoch %lld and batch_offset %lld "
                                "mean step %lld",
                    path, (long long)c->step, (long long)c->epoch, (long long)c->batch_offset, (long long)step);
  if (r->optim->t != (uint64_t)step)
    return pt_error(PT_EFORMAT, "cannot resume '%s': /checkpoint optim_t = %llu, but step = %lld", path,
                    (unsigned long long)r->optim->t, (long long)step);
  for (size_t k = 0; k < c->nmetrics; k++)
    if (c->metrics[k].step != ((int64_t)k + 1) * per_epoch)
      return pt_error(PT_EFORMAT, "cannot resume '%s': /metrics row %zu has step %lld, expected %lld", path, k,
                      (long long)c->metrics[k].step, ((long long)k + 1) * (long long)per_epoch);
  for (size_t f = 0; f < LOSS_FIELDS && c->batch_offset == 0; f++)
    if (r->loss_saved[f] != 0)
      return pt_error(PT_EFORMAT, "cannot resume '%s': /checkpoint loss_partial is not zero at an epoch start", path);
  return PT_OK;
}

/* Resuming: the stored configuration must be the one given, and the
 * checkpoint fills the model, the optimiser and the position in the run,
 * each value checked first. Collective. */
static pt_status resume(run *r, const pt_config *cfg, const char *path, pt_run_state *state, MPI_Comm comm) {
  pt_run_state stored = {0};
  pt_status st = pt_runfile_read(path, &stored);
  pt_config *old = NULL;
  if (st == PT_OK) st = pt_config_alloc(&old);
  if (st == PT_OK) st = pt_config_load_string(old, stored.config_ini, path);
  const char *diff = NULL;
  if (st == PT_OK && !pt_config_equal(old, cfg, &diff))
    st = pt_error(PT_ECONFIG, "cannot resume '%s': its configuration differs at %s", path, diff);
  if (st == PT_OK && stored.complete) st = pt_error(PT_ECONFIG, "cannot resume '%s': the run is complete", path);
  if (st == PT_OK && stored.has_data_fingerprint && stored.data_fingerprint != r->fingerprint)
    st = pt_error(PT_ECONFIG, "cannot resume '%s': its data differ from the data the configuration now gives "
                  "(fingerprint %016" PRIx64 " stored, %016" PRIx64 " now): the dataset changed since the run began",
                  path, stored.data_fingerprint, r->fingerprint);
  pt_config_free(&old);
  pt_run_state_clear(&stored, 0);
  PT_TRY(pt_dist_agree(comm, st));
  stored.model = r->model;
  stored.optim = r->optim;
  stored.loss_partial = r->loss_saved;
  stored.nloss_partial = LOSS_FIELDS;
  st = pt_runfile_read(path, &stored);
  if (st == PT_OK) st = check_position(r, path, &stored);
  if (st == PT_OK) {
    state->epoch = stored.epoch;
    state->step = stored.step;
    state->batch_offset = stored.batch_offset;
    state->elapsed = stored.elapsed;
    for (size_t k = 0; k < stored.nmetrics && st == PT_OK; k++) st = pt_run_add_metrics(state, &stored.metrics[k]);
  }
  free(stored.config_ini);
  free(stored.metrics);
  return pt_dist_agree(comm, st);
}

/* Every rank's pending signal, agreed (one message): for the stop before the
 * first step, when a signal came during loading. */
static int agree_interrupt(const run *r, MPI_Comm comm) {
  double w = interrupt_weight(r);
  MPI_Allreduce(MPI_IN_PLACE, &w, 1, MPI_DOUBLE, MPI_SUM, comm);
  return interrupt_signal(r, w);
}

/* After a signal: the checkpoint at the step boundary where the ranks
 * stopped, and PT_EINTR with the line to print. Collective. */
static pt_status stop_interrupted(run *r, pt_run_state *state, const pt_train_options *opt, int sig, double t_start,
                                  MPI_Comm comm) {
  state->elapsed = MPI_Wtime() - t_start;
  PT_TRY(snapshot(r, state, opt->out_path, comm));
  pt_interrupt_set_agreed(sig);
  return pt_error(PT_EINTR, "interrupted by %s at epoch %lld, step %lld; continue with --resume",
                  pt_interrupt_name(sig), (long long)state->epoch, (long long)state->step);
}

/* The epochs from state->epoch on (from state->batch_offset in the first):
 * steps, evaluation, metrics, checkpoints; on SIGTERM/SIGINT, a checkpoint at
 * the next step boundary and PT_EINTR. */
static pt_status train_sgd(run *r, pt_run_state *state, const pt_train_options *opt, MPI_Comm comm) {
  const size_t n = r->train->n, B = (size_t)r->s.batch, d = r->d;
  const double t_start = MPI_Wtime() - state->elapsed, t_session = MPI_Wtime();
  const int64_t first_step = state->step;
  int stop = agree_interrupt(r, comm);
  if (stop) return stop_interrupted(r, state, opt, stop, t_start, comm);
  pt_status st = PT_OK;
  for (int64_t epoch = state->epoch; epoch < r->s.epochs && st == PT_OK && !stop; epoch++) {
    const double t_epoch = MPI_Wtime();
    const size_t start = (size_t)state->batch_offset; /* > 0: an interrupted epoch, continued */
    pt_exact_sum loss_sum = {{0}};
    /* the other ranks' shares are in the stored sum: one rank adds it back */
    if (start > 0 && r->dc.rank == 0) memcpy(&loss_sum, r->loss_saved, sizeof loss_sum);
    memset(r->loss_saved, 0, sizeof r->loss_saved);
    state->batch_offset = 0;
    shuffle(r, (uint64_t)epoch);
    for (size_t b0 = start; b0 < n && st == PT_OK; b0 += B) {
      const size_t count = n - b0 < B ? n - b0 : B;
      memcpy(r->buf.rows, r->buf.order + b0, count * sizeof *r->buf.rows);
      st = train_step(r, count, (uint64_t)epoch, &loss_sum, &stop, comm);
      state->step++;
      if (st == PT_OK && stop && b0 + count < n) {
        /* mid-epoch: the position and the loss so far go into the checkpoint */
        pt_exact_sum_allreduce(&loss_sum, comm);
        memcpy(r->loss_saved, &loss_sum, sizeof loss_sum);
        state->batch_offset = (int64_t)(b0 + count);
        return stop_interrupted(r, state, opt, stop, t_start, comm);
      }
    }
    if (st != PT_OK) break;
    pt_exact_sum_allreduce(&loss_sum, comm);
    const double epoch_seconds = MPI_Wtime() - t_epoch;
    pt_metrics_row row = {.epoch = epoch + 1,
                          .step = state->step,
                          .train_loss = pt_exact_sum_value(&loss_sum) / (double)n,
                          .test_spearman = NAN,
                          .test_exact = NAN,
                          .label_perturbations_per_s = (double)(n - start) * (double)r->M * (double)d / epoch_seconds,
                          .train_spearman = NAN,
                          .train_exact = NAN,
                          .test_loss = NAN,
                          .train_accuracy = NAN,
                          .test_accuracy = NAN,
                          .test_optimal = NAN,
                          .test_cost_ratio = NAN,
                          .test_regret = NAN,
                          .train_optimal = NAN,
                          .train_cost_ratio = NAN,
                          .train_regret = NAN};
    state->epoch = epoch + 1;
    const int last = state->epoch == r->s.epochs;
    if (last || state->epoch % r->s.eval_every == 0) st = evaluate(r, (uint64_t)epoch, comm, &row);
    if (st != PT_OK) break;
    state->elapsed = MPI_Wtime() - t_start;
    row.wall_seconds = state->elapsed;
    /* agreed, so that no rank goes on to a collective snapshot alone */
    st = pt_dist_agree(comm, pt_run_add_metrics(state, &row));
    /* by steps, not epochs: a resumed run's first epoch may be partial */
    if (r->dc.rank == 0)
      report(r, &row, opt->json,
             (MPI_Wtime() - t_session) / (double)(state->step - first_step) * (double)(r->total_steps - state->step));
    /* a signal in the epoch's last step: the epoch is done, stop at its end
     * (after the last epoch the run is complete: nothing to stop) */
    if (st == PT_OK && stop && !last) return stop_interrupted(r, state, opt, stop, t_start, comm);
    if (st == PT_OK && !last && r->s.checkpoint_every > 0 && state->epoch % r->s.checkpoint_every == 0)
      st = snapshot(r, state, opt->out_path, comm);
  }
  return st;
}

/* loss.kind = ridge: no steps, the closed-form fit (ridge.h), evaluated once
 * and recorded as one metrics row (epoch 1, step 0). Every rank fits on the
 * whole training part itself rather than sharing its rows: the data are small
 * (p ≤ 100 features), and the same inputs through the same arithmetic make
 * the model bitwise identical on any number of ranks with no communication
 * beyond agreeing on errors. The run file is written once, complete, so a
 * --resume can only meet a complete run (refused by resume()); the state is
 * set here from scratch all the same. */
static pt_status train_ridge(run *r, pt_run_state *state, const pt_train_options *opt, MPI_Comm comm) {
  const double t_start = MPI_Wtime();
  pt_metrics_row row = {.epoch = 1, .step = 0, .label_perturbations_per_s = 0.0, /* no perturbations */
                        .test_loss = NAN};
  PT_TRY(pt_dist_agree(comm, pt_ridge_fit(r->model, r->train, r->s.l2, &row.train_loss)));
  PT_TRY(evaluate(r, 0, comm, &row));
  state->epoch = 1;
  state->step = 0;
  state->nmetrics = 0;
  state->elapsed = row.wall_seconds = MPI_Wtime() - t_start;
  PT_TRY(pt_dist_agree(comm, pt_run_add_metrics(state, &row)));
  if (r->dc.rank == 0) report(r, &row, opt->json, 0.0);
  return PT_OK;
}

pt_status pt_train(const pt_config *cfg, const pt_train_options *opt, MPI_Comm comm) {
  run r;
  memset(&r, 0, sizeof r);
  int rank;
  MPI_Comm_rank(comm, &rank);
  int lock_fd = -1;
  pt_status st = pt_dist_agree(comm, rank == 0 ? check_output(opt, cfg, &lock_fd) : PT_OK);
  if (st == PT_OK) st = setup(&r, cfg, comm);
  pt_run_state state = {0};
  state.loss_partial = r.loss_saved;
  state.nloss_partial = LOSS_FIELDS;
  if (st == PT_OK) st = pt_dist_agree(comm, pt_config_to_ini(cfg, &state.config_ini));
  if (st == PT_OK && opt->resume) st = resume(&r, cfg, opt->out_path, &state, comm);
  if (st != PT_OK) {
    teardown(&r);
    pt_run_state_clear(&state, 0);
    unlock_output(opt, lock_fd);
    return st;
  }
  state.data_fingerprint = r.fingerprint;
  state.has_data_fingerprint = 1;
  state.nranks = r.dc.nranks;
  state.instance_groups = r.dc.instance_groups;
  state.sample_groups = r.dc.sample_groups;
  state.model = r.model;
  state.optim = r.optim;
  if (rank == 0 && !opt->resume)
    fprintf(opt->json ? stderr : stdout,
            "perturb train: %zu training / %zu test instances, %zu labels, %s model, %d ranks = %d instance x %d "
            "sample groups\n",
            r.train->n, r.test->n, r.d, r.model->type->name, r.dc.nranks, r.dc.instance_groups,
            r.dc.sample_groups);
  if (rank == 0 && opt->resume)
    fprintf(opt->json ? stderr : stdout, "perturb train: resumed %s from epoch %lld (step %lld)\n", opt->out_path,
            (long long)state.epoch, (long long)state.step);

  st = r.s.loss->closed_form ? train_ridge(&r, &state, opt, comm) : train_sgd(&r, &state, opt, comm);
  if (st == PT_OK) {
    state.complete = 1;
    st = snapshot(&r, &state, opt->out_path, comm);
  }
  if (st == PT_OK && rank == 0) fprintf(opt->json ? stderr : stdout, "run file: %s (complete)\n", opt->out_path);
  teardown(&r);
  state.model = NULL;
  state.optim = NULL;
  pt_run_state_clear(&state, 0);
  unlock_output(opt, lock_fd);
  return st;
}
