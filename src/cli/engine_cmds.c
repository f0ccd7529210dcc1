/* engine_cmds.c: the commands that use MPI and HDF5: gen, import, train,
 * sweep, eval, info. Each prints errors as one line from rank 0 and returns the
 * same exit status on every rank (1 for a failed run, 2 for a bad command line). */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "data/synthetic.h"
#include "dist/dist.h"
#include "io/files.h"
#include "task/metrics.h"
#include "task/task.h"
#include "model/model.h"
#include "perturb/config.h"
#include "perturb/data.h"
#include "io/runfile.h"
#include "sweep/sweep.h"
#include "text.h"
#include "train/train.h"

static int is_rank0(void) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank == 0;
}

/* One line on stderr from rank 0; `what` names the command. */
static int fail(const char *what, int code) {
  if (is_rank0()) fprintf(stderr, "perturb %s: %s\n", what, pt_last_error());
  return code;
}

/* One line: "perturb WHAT: TEXT 'ARG' (try ...)", ARG optional (escaped). */
static int usage_error(const char *what, const char *text, const char *arg) {
  char shown[PT_SHOWN_PATH];
  if (arg) pt_text_shown(arg, strlen(arg), shown, sizeof shown);
  if (is_rank0())
    fprintf(stderr, "perturb %s: %s%s%s%s (try perturb %s --help)\n", what, text, arg ? " '" : "", arg ? shown : "",
            arg ? "'" : "", what);
  return 2;
}

/* A configuration from an optional file and overrides, checked against the
 * rules between keys; the same on every rank. */
static pt_status build_config(const char *file, char **overrides, int noverrides, pt_config **out) {
  pt_status st = pt_config_alloc(out);
  if (st == PT_OK && file) st = pt_config_load_file(*out, file);
  if (st == PT_OK) st = pt_config_set_overrides(*out, overrides, noverrides);
  if (st == PT_OK) st = pt_config_check(*out);
  if (st != PT_OK) pt_config_free(out);
  return pt_dist_agree(MPI_COMM_WORLD, st);
}

/* Splits argv into options handled by the caller, overrides (a '=' inside) and positionals. */
typedef struct cli_args {
  const char *out;
  int force, resume, json, help;
  char *positional[8];
  int npositional;
  char *overrides[256];
  int noverrides;
} cli_args;

/* Nonzero if `s` is "section.key" of the schema: an override missing "=value". */
static int is_key_name(const char *s) {
  for (const pt_config_key *k = pt_config_schema(); k->section; k++) {
    const size_t n = strlen(k->section);
    if (strncmp(s, k->section, n) == 0 && s[n] == '.' && strcmp(s + n + 1, k->key) == 0) return 1;
  }
  return 0;
}

/* Sets *flag, or fails if option `opt` was given before (the later one
 * would silently win or be ignored). */
static int once(const char *what, const char *opt, int *flag) {
  if (*flag) return usage_error(what, "option given twice:", opt);
  *flag = 1;
  return 0;
}

static int parse_args(const char *what, int argc, char **argv, cli_args *a) {
  memset(a, 0, sizeof *a);
  int rc = 0, out_given = 0;
  for (int i = 1; i < argc && rc == 0; i++) {
    const char *s = argv[i];
    if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) rc = once(what, s, &a->help);
    else if (strcmp(s, "--force") == 0) rc = once(what, s, &a->force);
    else if (strcmp(s, "--resume") == 0) rc = once(what, s, &a->resume);
    else if (strcmp(s, "--json") == 0) rc = once(what, s, &a->json);
    else if (strcmp(s, "--out") == 0) {
      if (i + 1 >= argc) return usage_error(what, "option --out expects a file name", NULL);
      if ((rc = once(what, s, &out_given)) == 0) a->out = argv[++i];
    } else if (s[0] == '-' && s[1] == '-') {
      return usage_error(what, "unknown option", s);
    } else if (strchr(s, '=') == NULL && is_key_name(s) && access(s, F_OK) != 0) {
      if (is_rank0())
        fprintf(stderr, "perturb %s: '%s' looks like an override without '=value' (try perturb %s --help)\n", what,
                s, what); /* s is a schema name: nothing to escape */
      return 2;
    } else if (strchr(s, '=') != NULL) {
      if (a->noverrides == 256) return usage_error(what, "too many overrides", NULL);
      a->overrides[a->noverrides++] = argv[i];
    } else {
      if (a->npositional == 8) return usage_error(what, "too many arguments", NULL);
      a->positional[a->npositional++] = argv[i];
    }
  }
  return rc;
}

static void print_help(const char *text) {
  if (is_rank0()) fputs(text, stdout);
}

/* ---- perturb train -------------------------------------------------------- */

static void train_help(void) {
  if (!is_rank0()) return;
  fputs("usage: [mpirun -n P] perturb train CONFIG [section.key=value ...] --out RUN.h5 [--resume] [--force] [--json]\n"
        "Trains a model with the configuration CONFIG (INI), each key overridable on the command\n"
        "line, and writes the run file RUN.h5 (config, metrics per epoch, checkpoints, final model).\n"
        "  --resume  continue RUN.h5 from its last checkpoint (same configuration)\n"
        "  --force   overwrite an existing RUN.h5\n"
        "  --json    also print each epoch's metrics as a JSON line on stdout\n"
        "\nkeys (section.key = default: meaning):\n",
        stdout);
  for (const pt_config_key *k = pt_config_schema(); k->section; k++)
    printf("  %s.%s = %s: %s\n", k->section, k->key, k->fallback[0] ? k->fallback : "\"\"", k->doc);
}

int pt_cli_train(int argc, char **argv) {
  cli_args a;
  int rc = parse_args("train", argc, argv, &a);
  if (rc) return rc;
  if (a.help) {
    train_help();
    return 0;
  }
  if (a.npositional != 1) return usage_error("train", "expects one CONFIG file", NULL);
  if (a.out == NULL) return usage_error("train", "missing --out RUN.h5", NULL);
  if (a.force && a.resume) return usage_error("train", "--force and --resume exclude each other", NULL);
  pt_config *cfg = NULL;
  if (build_config(a.positional[0], a.overrides, a.noverrides, &cfg) != PT_OK) return fail("train", 1);
  const pt_train_options opt = {a.out, a.resume, a.force, a.json, a.positional[0]};
  pt_status st = pt_train(cfg, &opt, MPI_COMM_WORLD);
  pt_config_free(&cfg);
  return st == PT_OK ? 0 : fail("train", 1);
}

/* ---- perturb sweep -------------------------------------------------------- */

/* `perturb sweep --help`, from rank 0. */
static void sweep_help(void) {
  print_help(
      "usage: [mpirun -n P] perturb sweep CONFIG --grid section.key=v1,v2,... [--grid ...]\n"
      "                     [section.key=value ...] --out DIR [--group-size G]\n"
      "Trains every point of a grid: the Cartesian product of the --grid axes (the first axis\n"
      "slowest), each point the configuration CONFIG with the overrides and one value per axis.\n"
      "The P ranks form P/G groups of G ranks; each group takes the next point as soon as it is\n"
      "free and trains it (as perturb train would on G ranks: the same results on any G).\n"
      "  --grid section.key=v1,v2,...  one axis (values may not contain ','); repeat for more\n"
      "  --group-size G                ranks per point (default 1); G must divide P\n"
      "  --out DIR                     DIR/points/<index>.h5: each point's run file (and .log:\n"
      "                                its training output); DIR/sweep.h5: the grid, every\n"
      "                                point's configuration, metrics and model, and /summary\n"
      "Started again with the same arguments (any P and G), a sweep keeps the complete points\n"
      "and resumes the others from their last checkpoint. perturb train --help lists the keys.\n");
}

int pt_cli_sweep(int argc, char **argv) {
  /* --grid and --group-size are the sweep's own; the rest goes to parse_args. */
  char **rest = malloc((size_t)argc * sizeof *rest), **axes = malloc((size_t)argc * sizeof *axes);
  if (rest == NULL || axes == NULL) {
    free(rest);
    free(axes);
    return usage_error("sweep", "out of memory for the arguments", NULL);
  }
  int nrest = 0, naxes = 0, group_size = 1, group_given = 0, rc = 0;
  rest[nrest++] = argv[0];
  for (int i = 1; i < argc && rc == 0; i++) {
    if (strcmp(argv[i], "--grid") == 0) {
      if (i + 1 >= argc) rc = usage_error("sweep", "option --grid expects section.key=v1,v2,...", NULL);
      else axes[naxes++] = argv[++i];
    } else if (strcmp(argv[i], "--group-size") == 0 && group_given) {
      rc = usage_error("sweep", "option given twice:", argv[i]);
    } else if (strcmp(argv[i], "--group-size") == 0) {
      group_given = 1;
      char *end = NULL;
      const long g = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
      if (i + 1 >= argc || end == argv[i + 1] || *end != '\0' || g < 1 || g > 1000000)
        rc = usage_error("sweep", "option --group-size expects a positive integer, got",
                         i + 1 < argc ? argv[i + 1] : "");
      else group_size = (int)g;
      i++;
    } else {
      rest[nrest++] = argv[i];
    }
  }
  cli_args a;
  memset(&a, 0, sizeof a); /* read below even when the loop above stopped before parse_args */
  if (rc == 0) rc = parse_args("sweep", nrest, rest, &a);
  if (rc == 0 && a.help) sweep_help();
  else if (rc == 0) {
    if (a.force || a.resume || a.json)
      rc = usage_error("sweep", "takes no --force, --resume or --json (a sweep started again resumes by itself)", NULL);
    else if (a.npositional != 1) rc = usage_error("sweep", "expects one CONFIG file", NULL);
    else if (a.out == NULL) rc = usage_error("sweep", "missing --out DIR", NULL);
    else if (naxes == 0) rc = usage_error("sweep", "needs at least one --grid section.key=v1,v2,...", NULL);
  }
  if (rc == 0 && !a.help) {
    const pt_sweep_options opt = {a.positional[0], a.overrides, a.noverrides, axes, naxes, a.out, group_size};
    rc = pt_sweep(&opt, MPI_COMM_WORLD) == PT_OK ? 0 : fail("sweep", 1);
  }
  free(rest);
  free(axes);
  return rc;
}

/* ---- perturb gen ------------------------------------------------------------ */

int pt_cli_gen(int argc, char **argv) {
  cli_args a;
  int rc = parse_args("gen", argc, argv, &a);
  if (rc) return rc;
  if (a.help) {
    print_help("usage: perturb gen [CONFIG] [synthetic.key=value ...] --out DATA.h5 [--force]\n"
               "Generates the synthetic dataset described by the [synthetic] section and writes it\n"
               "as an HDF5 dataset file: kind = per_label or affine (label ranking: n, labels,\n"
               "features, sigma, seed), shortest_path (the grid benchmark: n, features, grid, deg,\n"
               "noise_halfwidth, seed) or warcraft (terrain maps: n, grid, cell_pixels, seed).\n");
    return 0;
  }
  if (a.npositional > 1) return usage_error("gen", "expects at most one CONFIG file", NULL);
  if (a.out == NULL) return usage_error("gen", "missing --out DATA.h5", NULL);
  pt_config *cfg = NULL;
  if (build_config(a.npositional ? a.positional[0] : NULL, a.overrides, a.noverrides, &cfg) != PT_OK)
    return fail("gen", 1);
  pt_status st = PT_OK;
  if (is_rank0()) {
    const char *inputs[1] = {a.npositional ? a.positional[0] : NULL};
    int exists = 0;
    if (st == PT_OK) st = pt_file_check_output(a.out, "dataset file", inputs, 1, &exists);
    if (st == PT_OK && !a.force && exists) st = pt_error(PT_EIO, "'%s' exists: use --force to overwrite it", a.out);
    pt_dataset *ds = NULL;
    if (st == PT_OK) st = pt_synthetic_from_config(cfg, &ds);
    if (st == PT_OK) st = pt_dataset_save(ds, a.out);
    if (st == PT_OK && ds->solver[0])
      printf("wrote %s: %zu instances, %s on a %zu x %zu grid (%zu entries), %zu features%s\n", a.out, ds->n,
             ds->solver, ds->grid_rows, ds->grid_cols, ds->d, ds->p, ds->channels ? " (RGB images)" : "");
    else if (st == PT_OK)
      printf("wrote %s: %zu instances, %zu labels, %zu features%s\n", a.out, ds->n, ds->d, ds->p,
             ds->per_label ? " per label" : "");
    pt_dataset_free(&ds);
  }
  pt_config_free(&cfg);
  st = pt_dist_agree(MPI_COMM_WORLD, st);
  return st == PT_OK ? 0 : fail("gen", 1);
}

/* ---- perturb import --------------------------------------------------------- */

/* `perturb import digits [--from FILE] --out D.h5` and `perturb import
 * cifar10 --out C.h5 FILE...`: argv[1] is the dataset's name. */
static int import_images(int argc, char **argv) {
  const int digits = strcmp(argv[1], "digits") == 0;
  const char *what = digits ? "import digits" : "import cifar10";
  /* --from is digits' own; the rest goes to parse_args (argv[1] skipped). */
  char **rest = malloc((size_t)argc * sizeof *rest);
  if (rest == NULL) return usage_error(what, "out of memory for the arguments", NULL);
  const char *from = NULL;
  int nrest = 0, rc = 0;
  rest[nrest++] = argv[0];
  for (int i = 2; i < argc && rc == 0; i++) {
    if (digits && strcmp(argv[i], "--from") == 0) {
      if (i + 1 >= argc) rc = usage_error(what, "option --from expects a file name", NULL);
      else if (from) rc = usage_error(what, "option given twice:", argv[i]);
      else from = argv[++i];
    } else {
      rest[nrest++] = argv[i];
    }
  }
  cli_args a;
  memset(&a, 0, sizeof a);
  if (rc == 0) rc = parse_args(what, nrest, rest, &a);
  free(rest);
  if (rc) return rc;
  if (a.help) {
    print_help(digits ? "usage: perturb import digits [--from FILE] --out DIGITS.h5 [--force]\n"
                        "Imports the handwritten digits (1797 8x8 images, pixels 0..16, labels 0..9) as a\n"
                        "classification dataset file. FILE (gzip'ed or plain CSV: 64 pixels, then the label)\n"
                        "defaults to the digits.csv.gz of Debian's python3-sklearn.\n"
                      : "usage: perturb import cifar10 --out CIFAR.h5 [--force] FILE...\n"
                        "Imports CIFAR-10 binary files (data_batch_1..5.bin, test_batch.bin: records of a\n"
                        "label byte and 3x32x32 pixel bytes), in the order given, as one classification\n"
                        "dataset file (pixels 0..255).\n");
    return 0;
  }
  if (a.noverrides) return usage_error(what, "takes no section.key=value overrides, got", a.overrides[0]);
  if (digits && a.npositional) return usage_error(what, "takes no file arguments (use --from FILE), got", a.positional[0]);
  if (!digits && a.npositional == 0) return usage_error(what, "expects one or more CIFAR-10 .bin files", NULL);
  if (a.out == NULL) return usage_error(what, "missing --out DATA.h5", NULL);
  pt_status st = PT_OK;
  if (is_rank0()) {
    pt_dataset *ds = NULL;
    char found[1024];
    if (digits && from == NULL && (st = pt_dataset_digits_path(found, sizeof found)) == PT_OK) from = found;
    const char *const *inputs = digits ? &from : (const char *const *)a.positional;
    const size_t ninputs = digits ? 1 : (size_t)a.npositional;
    int exists = 0;
    if (st == PT_OK) st = pt_file_check_output(a.out, "dataset file", inputs, ninputs, &exists);
    if (st == PT_OK && !a.force && exists) st = pt_error(PT_EIO, "'%s' exists: use --force to overwrite it", a.out);
    if (st == PT_OK)
      st = digits ? pt_dataset_import_digits(from, &ds) : pt_dataset_import_cifar10(inputs, ninputs, &ds);
    if (st == PT_OK) st = pt_dataset_save(ds, a.out);
    if (st == PT_OK)
      printf("wrote %s: %zu images of %zu x %zu x %zu, %zu classes\n", a.out, ds->n, ds->channels, ds->height,
             ds->width, ds->d);
    pt_dataset_free(&ds);
  }
  st = pt_dist_agree(MPI_COMM_WORLD, st);
  return st == PT_OK ? 0 : fail(what, 1);
}

int pt_cli_import(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "digits") == 0 || strcmp(argv[1], "cifar10") == 0))
    return import_images(argc, argv);
  cli_args a;
  int rc = parse_args("import", argc, argv, &a);
  if (rc) return rc;
  if (a.help) {
    print_help("usage: perturb import DATA.csv --out DATA.h5 [--force]\n"
               "Imports a label-ranking CSV (header f1..fp,r1..rd; ranks 1 = top, each row a\n"
               "permutation) into an HDF5 dataset file, checking every row.\n"
               "Also: perturb import digits ..., perturb import cifar10 ... (see their --help).\n");
    return 0;
  }
  if (a.npositional != 1) return usage_error("import", "expects one CSV file", NULL);
  if (a.noverrides) return usage_error("import", "takes no section.key=value overrides, got", a.overrides[0]);
  if (a.out == NULL) return usage_error("import", "missing --out DATA.h5", NULL);
  pt_status st = PT_OK;
  if (is_rank0()) {
    pt_dataset *ds = NULL;
    const char *inputs[1] = {a.positional[0]};
    int exists = 0;
    st = pt_file_check_output(a.out, "dataset file", inputs, 1, &exists);
    if (st == PT_OK && !a.force && exists) st = pt_error(PT_EIO, "'%s' exists: use --force to overwrite it", a.out);
    if (st == PT_OK) st = pt_dataset_import_csv(a.positional[0], &ds);
    if (st == PT_OK) st = pt_dataset_save(ds, a.out);
    if (st == PT_OK) printf("wrote %s: %zu instances, %zu labels, %zu features\n", a.out, ds->n, ds->d, ds->p);
    pt_dataset_free(&ds);
  }
  st = pt_dist_agree(MPI_COMM_WORLD, st);
  return st == PT_OK ? 0 : fail("import", 1);
}

/* ---- perturb eval ----------------------------------------------------------- */

/* Rows per chunk of an evaluation: the training loop's default shard. */
#define EVAL_CHUNK 4

typedef struct eval_ctx {
  const pt_task *task;
  const pt_dataset *ds;
  size_t *order;
  double *scratch;
  pt_eval_sums *sums;
} eval_ctx;

static pt_status eval_visit(void *vctx, size_t i, const double *theta) {
  eval_ctx *c = vctx;
  const double *cost = c->ds->costs ? c->ds->costs + i * c->ds->d : NULL;
  return pt_eval_add(c->task, c->ds->d, theta, c->ds->Y + i * c->ds->d, cost, c->order, c->scratch, c->sums);
}

/* The task's metric sums of `model` on `ds`, summed over ranks (integers and
 * exact sums: the same in any order). `shared`: every rank holds all rows and
 * counts its share of the chunks; otherwise each rank holds its own rows.
 * Collective. */
static pt_status eval_counts(pt_model *model, const pt_task *task, const pt_dataset *ds, int shared,
                             pt_eval_sums *sums) {
  int rank, nranks;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  size_t b = 0, e = ds->n;
  if (shared) {
    size_t c0, c1;
    pt_share((ds->n + EVAL_CHUNK - 1) / EVAL_CHUNK, nranks, rank, &c0, &c1);
    b = c0 * EVAL_CHUNK < ds->n ? c0 * EVAL_CHUNK : ds->n;
    e = c1 * EVAL_CHUNK < ds->n ? c1 * EVAL_CHUNK : ds->n;
  }
  const size_t d = ds->d;
  double *X = malloc(EVAL_CHUNK * pt_model_input_size(model) * sizeof *X);
  double *theta = malloc(EVAL_CHUNK * d * sizeof *theta), *scratch = malloc(d * sizeof *scratch);
  size_t *order = malloc(d * sizeof *order);
  pt_status st = X && theta && scratch && order ? pt_model_reserve(model, EVAL_CHUNK)
                                                : pt_error(PT_ENOMEM, "out of memory");
  eval_ctx c = {task, ds, order, scratch, sums};
  if (st == PT_OK) st = pt_model_predict(model, ds, b, e, EVAL_CHUNK, X, theta, eval_visit, &c);
  free(X), free(theta), free(scratch), free(order);
  st = pt_dist_agree(MPI_COMM_WORLD, st);
  if (st == PT_OK) pt_eval_sums_allreduce(sums, 1, MPI_COMM_WORLD);
  return st;
}

/* The stored configuration of the run file `path` into *cfg. Collective. */
static pt_status eval_config(const char *path, pt_config **cfg) {
  pt_run_state stored = {0};
  pt_status st = pt_runfile_read(path, &stored);
  if (st == PT_OK) st = pt_config_alloc(cfg);
  if (st == PT_OK) st = pt_config_load_string(*cfg, stored.config_ini, path);
  pt_run_state_clear(&stored, 0);
  return pt_dist_agree(MPI_COMM_WORLD, st);
}

/* "name M.MMMM" pieces of the metrics the task reports. */
static void eval_line(const pt_task *t, const pt_eval_sums *sums, size_t n, char *buf, size_t size, int json,
                      const char *prefix) {
  const pt_eval_values v = pt_eval_metrics(t, sums, n);
  const double spearman = v.spearman, exact = v.exact, accuracy = v.accuracy;
  buf[0] = '\0';
  size_t used = 0;
  if ((t->metrics & PT_METRIC_RANKING) && json)
    used += (size_t)snprintf(buf + used, size - used, ",\"%sspearman\":%.17g,\"%sexact\":%.17g", prefix, spearman,
                             prefix, exact);
  else if (t->metrics & PT_METRIC_RANKING)
    used += (size_t)snprintf(buf + used, size - used, ", Spearman %.6f, exact %.4f", spearman, exact);
  if ((t->metrics & PT_METRIC_ACCURACY) && used < size && json)
    used += (size_t)snprintf(buf + used, size - used, ",\"%saccuracy\":%.17g", prefix, accuracy);
  else if ((t->metrics & PT_METRIC_ACCURACY) && used < size)
    used += (size_t)snprintf(buf + used, size - used, ", accuracy %.4f", accuracy);
  /* thresholded decisions need not be paths: no cost ratio or regret (null in JSON) */
  const int ratios = t->decision == PT_DECISION_SOLVER;
  if ((t->metrics & PT_METRIC_PATH) && used < size && json && ratios)
    snprintf(buf + used, size - used, ",\"%soptimal\":%.17g,\"%scost_ratio\":%.17g,\"%sregret\":%.17g", prefix,
             v.optimal, prefix, v.cost_ratio, prefix, v.regret);
  else if ((t->metrics & PT_METRIC_PATH) && used < size && json)
    snprintf(buf + used, size - used, ",\"%soptimal\":%.17g,\"%scost_ratio\":null,\"%sregret\":null", prefix,
             v.optimal, prefix, prefix);
  else if ((t->metrics & PT_METRIC_PATH) && used < size && ratios)
    snprintf(buf + used, size - used, ", optimal paths %.4f, cost ratio %.6f, regret %.6f", v.optimal, v.cost_ratio,
             v.regret);
  else if ((t->metrics & PT_METRIC_PATH) && used < size)
    snprintf(buf + used, size - used, ", optimal paths %.4f", v.optimal);
}

/* The run's own training and test parts, rebuilt from its stored
 * configuration (the same data, split and — through the model —
 * standardisation as in training); the data must still have the run's
 * fingerprint. Collective. */
static pt_status eval_own_data(const char *path, pt_dataset **train, pt_dataset **test) {
  pt_run_state stored = {0};
  pt_config *cfg = NULL;
  pt_status st = pt_runfile_read(path, &stored);
  if (st == PT_OK) st = pt_config_alloc(&cfg);
  if (st == PT_OK) st = pt_config_load_string(cfg, stored.config_ini, path);
  st = pt_dist_agree(MPI_COMM_WORLD, st);
  uint64_t fp = 0;
  if (st == PT_OK) st = pt_train_load_data(cfg, MPI_COMM_WORLD, train, test, &fp);
  if (st == PT_OK && stored.has_data_fingerprint && stored.data_fingerprint != fp)
    st = pt_error(PT_ECONFIG, "%s: the data its configuration names differ from the data it was trained on "
                  "(fingerprint %016" PRIx64 " stored, %016" PRIx64 " now)", path, stored.data_fingerprint, fp);
  pt_config_free(&cfg);
  pt_run_state_clear(&stored, 0);
  if (st != PT_OK) {
    pt_dataset_free(train);
    pt_dataset_free(test);
  }
  return st;
}

int pt_cli_eval(int argc, char **argv) {
  cli_args a;
  int rc = parse_args("eval", argc, argv, &a);
  if (rc) return rc;
  if (a.help) {
    print_help("usage: [mpirun -n P] perturb eval RUN.h5 [DATA.h5] [--json]\n"
               "Evaluates the final model of a complete run (any model and task, rebuilt from its\n"
               "stored configuration) with its task's metrics: for ranking the mean Spearman\n"
               "correlation between predicted and true rankings and the share of instances ranked\n"
               "exactly; for classification the accuracy. On DATA.h5\n"
               "if given; otherwise on the run's own test and training parts, rebuilt from its stored\n"
               "configuration (the run's last metrics, bit for bit). Features are standardised with\n"
               "the statistics stored in the model when it was trained on standardised data.\n");
    return 0;
  }
  if (a.npositional != 1 && a.npositional != 2) return usage_error("eval", "expects RUN.h5 [DATA.h5]", NULL);
  const char *run = a.positional[0];
  int rank, nranks;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  pt_model *model = NULL;
  pt_task *task = NULL;
  pt_config *cfg = NULL;
  pt_dataset *ds = NULL, *train = NULL;
  pt_status st = eval_config(run, &cfg);
  size_t n = 0;
  if (st == PT_OK && a.npositional == 2) {
    st = pt_dataset_count_rows(a.positional[1], MPI_COMM_WORLD, &n);
    size_t b = 0, e = 0;
    pt_share(n, nranks, rank, &b, &e);
    if (st == PT_OK) st = pt_dataset_load(a.positional[1], MPI_COMM_WORLD, b, e, &ds);
  } else if (st == PT_OK) {
    st = eval_own_data(run, &train, &ds);
  }
  const char *origin = a.npositional == 2 ? a.positional[1] : run;
  /* the model and the task the run's configuration makes for these data,
   * then the run's parameters and standardisation */
  if (st == PT_OK) st = pt_dist_agree(MPI_COMM_WORLD, pt_model_from_config(cfg, ds, origin, &model));
  if (st == PT_OK) st = pt_dist_agree(MPI_COMM_WORLD, pt_runfile_read_params(run, model));
  if (st == PT_OK) st = pt_dist_agree(MPI_COMM_WORLD, pt_task_from_config(cfg, train ? train : ds, origin, &task));
  if (st == PT_OK && train) st = pt_dist_agree(MPI_COMM_WORLD, pt_task_check(task, ds, origin));
  if (st == PT_OK) st = pt_dist_agree(MPI_COMM_WORLD, pt_model_check_data(model, ds, origin));
  /* the model's scale: its stored standardisation, if any */
  if (st == PT_OK) st = pt_dist_agree(MPI_COMM_WORLD, pt_model_prepare_data(model, ds, origin));
  if (st == PT_OK && train) st = pt_dist_agree(MPI_COMM_WORLD, pt_model_prepare_data(model, train, origin));
  pt_eval_sums counts, train_counts;
  memset(&counts, 0, sizeof counts);
  memset(&train_counts, 0, sizeof train_counts);
  if (st == PT_OK && train == NULL) {
    st = eval_counts(model, task, ds, 0, &counts); /* a dataset file: each rank read its own rows */
  } else if (st == PT_OK) {
    n = ds->n;
    st = eval_counts(model, task, ds, 1, &counts);
    if (st == PT_OK) st = eval_counts(model, task, train, 1, &train_counts);
  }
  if (st == PT_OK && rank == 0) {
    char test_part[256], train_part[256] = "";
    eval_line(task, &counts, n, test_part, sizeof test_part, a.json, "");
    if (train) eval_line(task, &train_counts, train->n, train_part, sizeof train_part, a.json, "train_");
    if (a.json && train)
      printf("{\"instances\":%zu%s,\"train_instances\":%zu%s}\n", n, test_part, train->n, train_part);
    else if (a.json)
      printf("{\"instances\":%zu%s}\n", n, test_part);
    else if (train)
      printf("%s on its own split: test %zu instances%s; training %zu instances%s\n", run, n, test_part, train->n,
             train_part);
    else
      printf("%s on %s: %zu instances%s\n", run, a.positional[1], n, test_part);
  }
  pt_dataset_free(&ds);
  pt_dataset_free(&train);
  pt_model_free(&model);
  pt_task_free(&task);
  pt_config_free(&cfg);
  return st == PT_OK ? 0 : fail("eval", 1);
}

/* ---- perturb info ----------------------------------------------------------- */

int pt_cli_info(int argc, char **argv) {
  cli_args a;
  int rc = parse_args("info", argc, argv, &a);
  if (rc) return rc;
  if (a.help) {
    print_help("usage: perturb info FILE.h5\n"
               "Says what a dataset file or a run file holds.\n");
    return 0;
  }
  if (a.npositional != 1) return usage_error("info", "expects one file", NULL);
  const char *path = a.positional[0];
  pt_run_state run = {0};
  pt_status st = PT_OK;
  if (is_rank0()) {
    st = pt_runfile_read(path, &run);
    if (st == PT_OK) {
      printf("%s: perturb run file, %s, %lld epochs done, %d ranks (%d x %d)\n", path,
             run.complete ? "complete" : "NOT complete (resume with --resume)", (long long)run.epoch, run.nranks,
             run.instance_groups, run.sample_groups);
      if (run.nmetrics) {
        const pt_metrics_row *m = &run.metrics[run.nmetrics - 1];
        printf("last epoch: loss %.6g, test spearman %.4f, exact %.4f, train spearman %.4f, exact %.4f, %.1f s\n",
               m->train_loss, m->test_spearman, m->test_exact, m->train_spearman, m->train_exact, m->wall_seconds);
      }
      printf("configuration:\n%s", run.config_ini);
    }
    pt_run_state_clear(&run, 0);
  }
  st = pt_dist_agree(MPI_COMM_WORLD, st);
  if (st == PT_OK) return 0;
  /* not a run file: try a dataset */
  pt_dataset *ds = NULL;
  st = pt_dataset_load(path, MPI_COMM_WORLD, 0, SIZE_MAX, &ds);
  if (st == PT_OK && is_rank0() && ds->labels && ds->channels)
    printf("%s: dataset '%s' (%s), %zu instances, %zu classes, %zu features (images %zu x %zu x %zu)\nsource: %s\n",
           path, ds->name, ds->task, ds->n, ds->d, ds->p, ds->channels, ds->height, ds->width, ds->source);
  else if (st == PT_OK && is_rank0() && ds->labels)
    printf("%s: dataset '%s' (%s), %zu instances, %zu classes, %zu features\nsource: %s\n", path, ds->name,
           ds->task, ds->n, ds->d, ds->p, ds->source);
  else if (st == PT_OK && is_rank0())
    printf("%s: dataset '%s' (%s), %zu instances, %zu labels, %zu features%s\nsource: %s\n", path, ds->name, ds->task,
           ds->n, ds->d, ds->p, ds->per_label ? " per label" : "", ds->source);
  pt_dataset_free(&ds);
  return st == PT_OK ? 0 : fail("info", 1);
}
