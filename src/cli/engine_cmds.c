/* engine_cmds.c: the commands that use MPI and HDF5: gen, import, train,
 * sweep, eval, info. Each prints errors as one line from rank 0 and returns the
 * same exit status on every rank (1 for a failed run, 2 for a bad command line). */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dist.h"
#include "files.h"
#include "metrics.h"
#include "model.h"
#include "perturb/config.h"
#include "perturb/data.h"
#include "perturb/solver.h"
#include "runfile.h"
#include "sweep.h"
#include "train.h"

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

/* One line: "perturb WHAT: TEXT 'ARG' (try ...)", ARG optional. */
static int usage_error(const char *what, const char *text, const char *arg) {
  if (is_rank0())
    fprintf(stderr, "perturb %s: %s%s%s%s (try perturb %s --help)\n", what, text, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "", what);
  return 2;
}

/* A configuration from an optional file and overrides, the same on every rank. */
static pt_status build_config(const char *file, char **overrides, int noverrides, pt_config **out) {
  pt_status st = pt_config_alloc(out);
  if (st == PT_OK && file) st = pt_config_load_file(*out, file);
  for (int k = 0; k < noverrides && st == PT_OK; k++) st = pt_config_set(*out, overrides[k]);
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

static int parse_args(const char *what, int argc, char **argv, cli_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) a->help = 1;
    else if (strcmp(s, "--force") == 0) a->force = 1;
    else if (strcmp(s, "--resume") == 0) a->resume = 1;
    else if (strcmp(s, "--json") == 0) a->json = 1;
    else if (strcmp(s, "--out") == 0) {
      if (i + 1 >= argc) return usage_error(what, "option --out expects a file name", NULL);
      a->out = argv[++i];
    } else if (s[0] == '-' && s[1] == '-') {
      return usage_error(what, "unknown option", s);
    } else if (strchr(s, '=') != NULL) {
      if (a->noverrides == 256) return usage_error(what, "too many overrides", NULL);
      a->overrides[a->noverrides++] = argv[i];
    } else {
      if (a->npositional == 8) return usage_error(what, "too many arguments", NULL);
      a->positional[a->npositional++] = argv[i];
    }
  }
  return 0;
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
  int nrest = 0, naxes = 0, group_size = 1, rc = 0;
  rest[nrest++] = argv[0];
  for (int i = 1; i < argc && rc == 0; i++) {
    if (strcmp(argv[i], "--grid") == 0) {
      if (i + 1 >= argc) rc = usage_error("sweep", "option --grid expects section.key=v1,v2,...", NULL);
      else axes[naxes++] = argv[++i];
    } else if (strcmp(argv[i], "--group-size") == 0) {
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
               "Generates the synthetic label-ranking dataset described by the [synthetic] section\n"
               "(kind, n, labels, features, sigma, seed) and writes it as an HDF5 dataset file.\n");
    return 0;
  }
  if (a.npositional > 1) return usage_error("gen", "expects at most one CONFIG file", NULL);
  if (a.out == NULL) return usage_error("gen", "missing --out DATA.h5", NULL);
  pt_config *cfg = NULL;
  if (build_config(a.npositional ? a.positional[0] : NULL, a.overrides, a.noverrides, &cfg) != PT_OK)
    return fail("gen", 1);
  pt_status st = PT_OK;
  if (is_rank0()) {
    const char *kind;
    int64_t n, d, p, seed;
    double sigma;
    st = pt_config_get_string(cfg, "synthetic.kind", &kind);
    if (st == PT_OK) st = pt_config_get_int(cfg, "synthetic.n", &n);
    if (st == PT_OK) st = pt_config_get_int(cfg, "synthetic.labels", &d);
    if (st == PT_OK) st = pt_config_get_int(cfg, "synthetic.features", &p);
    if (st == PT_OK) st = pt_config_get_int(cfg, "synthetic.seed", &seed);
    if (st == PT_OK) st = pt_config_get_double(cfg, "synthetic.sigma", &sigma);
    const char *inputs[1] = {a.npositional ? a.positional[0] : NULL};
    int exists = 0;
    if (st == PT_OK) st = pt_file_check_output(a.out, "dataset file", inputs, 1, &exists);
    if (st == PT_OK && !a.force && exists) st = pt_error(PT_EIO, "'%s' exists: use --force to overwrite it", a.out);
    pt_dataset *ds = NULL;
    if (st == PT_OK) {
      const pt_synthetic_params sp = {strcmp(kind, "per_label") == 0, (size_t)n, (size_t)d, (size_t)p, sigma,
                                      (uint64_t)seed};
      st = pt_dataset_synthetic(&sp, &ds);
    }
    if (st == PT_OK) st = pt_dataset_save(ds, a.out);
    if (st == PT_OK) printf("wrote %s: %zu instances, %zu labels, %zu features%s\n", a.out, ds->n, ds->d, ds->p,
                            ds->per_label ? " per label" : "");
    pt_dataset_free(&ds);
  }
  pt_config_free(&cfg);
  st = pt_dist_agree(MPI_COMM_WORLD, st);
  return st == PT_OK ? 0 : fail("gen", 1);
}

/* ---- perturb import --------------------------------------------------------- */

int pt_cli_import(int argc, char **argv) {
  cli_args a;
  int rc = parse_args("import", argc, argv, &a);
  if (rc) return rc;
  if (a.help) {
    print_help("usage: perturb import DATA.csv --out DATA.h5 [--force]\n"
               "Imports a label-ranking CSV (header f1..fp,r1..rd; ranks 1 = top, each row a\n"
               "permutation) into an HDF5 dataset file, checking every row.\n");
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

int pt_cli_eval(int argc, char **argv) {
  cli_args a;
  int rc = parse_args("eval", argc, argv, &a);
  if (rc) return rc;
  if (a.help) {
    print_help("usage: [mpirun -n P] perturb eval RUN.h5 DATA.h5 [--json]\n"
               "Evaluates the final model of a complete run on a dataset: mean Spearman correlation\n"
               "between predicted and true rankings, and the share of instances ranked exactly.\n");
    return 0;
  }
  if (a.npositional != 2) return usage_error("eval", "expects RUN.h5 and DATA.h5", NULL);
  int rank, nranks;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  pt_model *model = NULL;
  pt_dataset *ds = NULL;
  pt_solver *solver = NULL;
  pt_status st = pt_dist_agree(MPI_COMM_WORLD, pt_runfile_read_model(a.positional[0], &model));
  size_t n = 0;
  if (st == PT_OK) st = pt_dataset_count_rows(a.positional[1], MPI_COMM_WORLD, &n);
  size_t b = 0, e = 0;
  pt_share(n, nranks, rank, &b, &e);
  if (st == PT_OK) st = pt_dataset_load(a.positional[1], MPI_COMM_WORLD, b, e, &ds);
  if (st == PT_OK) st = pt_dist_agree(MPI_COMM_WORLD, pt_model_check_data(model, ds, a.positional[1]));
  if (st == PT_OK) st = pt_dist_agree(MPI_COMM_WORLD, pt_solver_ranking_alloc(model->d, &solver));
  int64_t counts[2] = {0, 0};
  if (st == PT_OK) {
    double *theta = malloc(model->d * sizeof *theta), *y = malloc(model->d * sizeof *y);
    st = theta && y ? pt_rank_counts(model, ds, 0, ds->n, solver, theta, y, counts)
                    : pt_error(PT_ENOMEM, "out of memory");
    free(theta);
    free(y);
    st = pt_dist_agree(MPI_COMM_WORLD, st);
  }
  if (st == PT_OK) {
    MPI_Allreduce(MPI_IN_PLACE, counts, 2, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    double spearman, exact;
    pt_rank_metrics(counts, n, model->d, &spearman, &exact);
    if (rank == 0) {
      if (a.json)
        printf("{\"instances\":%zu,\"spearman\":%.17g,\"exact\":%.17g}\n", n, spearman, exact);
      else
        printf("%s on %s: %zu instances, Spearman %.6f, exact %.4f\n", a.positional[0], a.positional[1], n, spearman,
               exact);
    }
  }
  pt_solver_free(&solver);
  pt_dataset_free(&ds);
  pt_model_free(&model);
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
  if (st == PT_OK && is_rank0())
    printf("%s: dataset '%s' (%s), %zu instances, %zu labels, %zu features%s\nsource: %s\n", path, ds->name, ds->task,
           ds->n, ds->d, ds->p, ds->per_label ? " per label" : "", ds->source);
  pt_dataset_free(&ds);
  return st == PT_OK ? 0 : fail("info", 1);
}
