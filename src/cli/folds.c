/* folds.c: `perturb folds` prints the nested cross-validation folds that
 * training makes of a label-ranking dataset, so that other programs (the
 * scikit-learn baselines of scripts/label_ranking_baselines.py) can fit and
 * score on exactly the same rows. It needs neither MPI nor HDF5: the folds
 * are a function of the number of rows and the seed (pt_kfold_rows). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "check.h"
#include "cli.h"
#include "perturb/data.h"
#include "text.h"

/* The defaults of experiments/label_ranking/base.ini (data.folds,
 * data.inner_folds, data.split_seed); tests/folds.sh checks that they agree. */
#define DEFAULT_FOLDS 10
#define DEFAULT_INNER_FOLDS 5
/* The ranges of the configuration keys (config_schema.c). */
#define MAX_FOLDS 1000
#define MAX_SEED ((size_t)1 << 62)

static void folds_usage(FILE *out) {
  fputs("usage: perturb folds --dataset NAME [--csv-dir DIR] [--folds K] [--inner-folds J] [--seed S]\n"
        "Prints the nested cross-validation folds perturb train makes of the label-ranking\n"
        "dataset NAME (the file DIR/NAME.csv, read as training reads it), as CSV on stdout:\n"
        "the header outer_fold,row,part, then for each outer fold k = 0..K-1 one line per row\n"
        "of the dataset, rows in increasing order. part is 'test' for the rows of outer fold\n"
        "k's test part (what data.fold = k tests on), else the inner fold 0..J-1 of k's\n"
        "training part the row falls in (what data.inner_fold = j validates on; the other\n"
        "inner folds are that point's training part). row is the 0-based index of the row as\n"
        "loaded: the data lines of the CSV file in order, the header and blank lines not\n"
        "counted. The folds are those of training with data.dataset = NAME, data.csv_dir =\n"
        "DIR, data.folds = K, data.inner_folds = J and data.split_seed = S.\n"
        "  --dataset NAME   the dataset (data.dataset)\n"
        "  --csv-dir DIR    its directory (data.csv_dir; default $PERTURB_LABEL_RANKING_DIR)\n"
        "  --folds K        outer folds, 2..1000 (default 10, as experiments/label_ranking/base.ini)\n"
        "  --inner-folds J  inner folds of each outer training part, 2..1000 (default 5)\n"
        "  --seed S         data.split_seed (default 0); the inner folds use seed S + 1, as training does\n",
        out);
}

/* One line: "perturb folds: TEXT 'ARG' (try perturb folds --help)", ARG escaped. */
static int usage_error(const char *text, const char *arg) {
  char shown[PT_SHOWN_PATH];
  if (arg) pt_text_shown(arg, strlen(arg), shown, sizeof shown);
  fprintf(stderr, "perturb folds: %s%s%s%s (try perturb folds --help)\n", text, arg ? " '" : "", arg ? shown : "",
          arg ? "'" : "");
  return 2;
}

/* part[i] for every row i of n: −1 for outer fold k's test rows, else the
 * inner fold of k's training part holding it. The inner folds split the
 * outer training part as pt_dataset_kfold hands it to the inner split: its
 * r-th row is row train[r] of the dataset. `rows` holds 2n entries. */
static pt_status assign_parts(size_t n, size_t K, size_t k, size_t J, uint64_t seed, size_t *rows, int *part) {
  const size_t n_test = (k + 1) * n / K - k * n / K, n_train = n - n_test;
  size_t *test = rows, *train = rows + n_test, *inner = rows + n;
  PT_TRY(pt_kfold_rows(n, K, k, seed, test, train));
  for (size_t t = 0; t < n_test; t++) part[test[t]] = -1;
  for (size_t j = 0; j < J; j++) {
    const size_t n_inner = (j + 1) * n_train / J - j * n_train / J;
    PT_TRY(pt_kfold_rows(n_train, J, j, seed + 1, inner, inner + n_inner));
    for (size_t t = 0; t < n_inner; t++) part[train[inner[t]]] = (int)j;
  }
  return PT_OK;
}

/* The CSV of all K outer folds on stdout. */
static pt_status print_folds(const pt_dataset *ds, size_t K, size_t J, uint64_t seed) {
  const size_t n = ds->n;
  /* checked before the first line, so that a failure prints nothing: the
   * smallest outer training part is the one beside the largest test part */
  if (K > n) return pt_error(PT_ECONFIG, "--folds %zu exceeds the %zu instances of '%s'", K, n, ds->name);
  size_t fewest = n;
  for (size_t k = 0; k < K; k++) {
    const size_t n_train = n - ((k + 1) * n / K - k * n / K);
    if (n_train < fewest) fewest = n_train;
  }
  if (J > fewest)
    return pt_error(PT_ECONFIG, "--inner-folds %zu exceeds the %zu training instances of the smallest outer training "
                    "part of '%s'", J, fewest, ds->name);
  size_t *rows = malloc(2 * n * sizeof *rows);
  int *part = malloc(n * sizeof *part);
  pt_status st = rows && part ? PT_OK : pt_error(PT_ENOMEM, "out of memory for the folds of %zu rows", n);
  int write_error = 0; /* errno of the first failed write */
  if (st == PT_OK && printf("outer_fold,row,part\n") < 0) write_error = errno ? errno : EIO;
  for (size_t k = 0; k < K && st == PT_OK && !write_error; k++) {
    st = assign_parts(n, K, k, J, seed, rows, part);
    for (size_t i = 0; i < n && st == PT_OK && !write_error; i++)
      if ((part[i] < 0 ? printf("%zu,%zu,test\n", k, i) : printf("%zu,%zu,%d\n", k, i, part[i])) < 0)
        write_error = errno ? errno : EIO;
  }
  free(rows);
  free(part);
  if (st == PT_OK && !write_error && fflush(stdout) != 0) write_error = errno ? errno : EIO;
  if (st == PT_OK && write_error)
    st = pt_error(PT_EIO, "cannot write the folds to stdout: %s", strerror(write_error));
  return st;
}

int pt_cli_folds(int argc, char **argv) {
  const char *dataset = NULL, *dir = NULL;
  size_t K = DEFAULT_FOLDS, J = DEFAULT_INNER_FOLDS, seed = 0;
  int K_given = 0, J_given = 0, seed_given = 0;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i], *v;
    /* an option given twice is refused: the later one would silently win */
    const int twice = (strcmp(s, "--dataset") == 0 && dataset) || (strcmp(s, "--csv-dir") == 0 && dir) ||
                      (strcmp(s, "--folds") == 0 && K_given) || (strcmp(s, "--inner-folds") == 0 && J_given) ||
                      (strcmp(s, "--seed") == 0 && seed_given);
    if (twice) return usage_error("option given twice:", s);
    if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
      folds_usage(stdout);
      return 0;
    } else if (strcmp(s, "--dataset") == 0) {
      if (!(dataset = pt_arg_value(argc, argv, &i))) return 2;
      if (dataset[0] == '\0') return usage_error("option --dataset expects a dataset name", NULL);
    } else if (strcmp(s, "--csv-dir") == 0) {
      if (!(dir = pt_arg_value(argc, argv, &i))) return 2;
    } else if (strcmp(s, "--folds") == 0) {
      K_given = 1;
      if (!(v = pt_arg_value(argc, argv, &i)) || pt_arg_size("--folds", v, 2, MAX_FOLDS, &K) != 0) return 2;
    } else if (strcmp(s, "--inner-folds") == 0) {
      J_given = 1;
      if (!(v = pt_arg_value(argc, argv, &i)) || pt_arg_size("--inner-folds", v, 2, MAX_FOLDS, &J) != 0) return 2;
    } else if (strcmp(s, "--seed") == 0) {
      seed_given = 1;
      if (!(v = pt_arg_value(argc, argv, &i)) || pt_arg_size("--seed", v, 0, MAX_SEED, &seed) != 0) return 2;
    } else if (s[0] == '-') {
      return usage_error("unknown option", s);
    } else {
      return usage_error("takes no arguments (the dataset is --dataset NAME), got", s);
    }
  }
  if (dataset == NULL) return usage_error("missing --dataset NAME", NULL);
  pt_dataset *ds = NULL;
  pt_status st = pt_dataset_import_named(dataset, dir, "--csv-dir", &ds);
  if (st == PT_OK) st = print_folds(ds, K, J, (uint64_t)seed);
  pt_dataset_free(&ds);
  if (st == PT_OK) return 0;
  fprintf(stderr, "perturb folds: %s\n", pt_last_error());
  return 1;
}
