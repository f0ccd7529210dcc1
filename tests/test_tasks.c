/* test_tasks.c: the task module (src/engine/task/task.h).
 *
 * Usage: test_tasks PLUGIN_TOPK NO_ENTRY WRONG_DIM FAILS MISBEHAVES, the
 * paths of examples/plugin_topk.c and the tests/plugins/ sources built as shared
 * libraries (tests/CMakeLists.txt passes them).
 *
 * What this file proves:
 *  - the table holds the tasks of task/types.h in order, each found by its
 *    name and nothing else; task.kind's choices are auto and those names;
 *  - task.kind = auto takes a ranking and a classification dataset's own
 *    task (solver, dimension, metrics), and refuses any other task with one
 *    line asking to set task.kind; explicit kinds refuse data that do not
 *    fit, naming the data; pt_task_check refuses a test part of other
 *    classes or dimension;
 *  - the accuracy helper on hand-made θ (ties, ranking, non-finite θ), and
 *    the count over rows with an affine model (shares of rows add up);
 *  - plug-ins: the example top-k plug-in with and without options, and one
 *    line for each error: no path, a missing file, a file that is not a
 *    library, a bare name not searched on the system's path, no entry
 *    point, the entry point failing (status and its message), no solver,
 *    the wrong dimension, unknown metric bits, a solver that is not
 *    deterministic; the library is unloaded by pt_task_free;
 *  - task.plugin and task.plugin_options need task.kind = plugin;
 *  - shortest paths: task.kind = auto takes a shortest_path dataset; the
 *    path metrics on a 3 x 3 right/down grid by hand (an optimal and a
 *    5-times-dearer prediction: optimal 1/2, cost ratio 3, regret 2); one
 *    line for a /Y that forks, a vertex set that is not connected, images
 *    that do not split into the grid's cells, and a test part without the
 *    costs the training part has. */
#define _GNU_SOURCE /* RTLD_NOLOAD: is a library still loaded? */

#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perturb/config.h"
#include "perturb/data.h"
#include "model/model.h"
#include "task/metrics.h"
#include "task/task.h"
#include "testlib.h"

/* The last error message must be exactly `want`, and one line. */
#define CHECK_MESSAGE(want)                                                                                 \
  CHECK(strcmp(pt_last_error(), (want)) == 0, "message\n    '%s'\n  wanted\n    '%s'", pt_last_error(), \
        (want))

/* ------------------------------------------------------------------------ */
/* Datasets made in memory                                                   */

/* n instances of d labels, ranking i ranks label (i + j) % d at j + 1. */
static pt_dataset *ranking_data(size_t n, size_t d) {
  pt_dataset *ds = NULL;
  CHECK_OK(pt_dataset_alloc(n, d, 2, 0, 1, &ds));
  if (ds == NULL) return NULL;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++) {
      const size_t label = (i + j) % d;
      ds->ranks[i * d + label] = (int32_t)(j + 1);
      ds->Y[i * d + label] = (double)(d - (j + 1));
    }
  return ds;
}

/* n instances of d classes, instance i of class i % d, Y one-hot. The labels
 * are allocated here (the data module frees what it allocates). */
static pt_dataset *class_data(size_t n, size_t d) {
  pt_dataset *ds = NULL;
  CHECK_OK(pt_dataset_alloc(n, d, 2, 0, 0, &ds));
  if (ds == NULL) return NULL;
  snprintf(ds->task, sizeof ds->task, "%s", "classification");
  ds->labels = malloc(n * sizeof *ds->labels);
  CHECK(ds->labels != NULL, "labels allocated");
  if (ds->labels == NULL) return ds;
  for (size_t i = 0; i < n; i++) {
    ds->labels[i] = (int32_t)(i % d);
    ds->Y[i * d + i % d] = 1.0;
  }
  return ds;
}

/* Targets in a plug-in's embedding: task "solution", Y = the top-1 vector of
 * instance i at i % d. */
static pt_dataset *solution_data(size_t n, size_t d) {
  pt_dataset *ds = NULL;
  CHECK_OK(pt_dataset_alloc(n, d, 2, 0, 0, &ds));
  if (ds == NULL) return NULL;
  snprintf(ds->task, sizeof ds->task, "%s", "solution");
  for (size_t i = 0; i < n; i++) ds->Y[i * d + i % d] = 1.0;
  return ds;
}

static void free_data(pt_dataset **ds) {
  if (*ds != NULL) {
    free((*ds)->labels);
    (*ds)->labels = NULL;
  }
  pt_dataset_free(ds);
}

/* A configuration with the overrides given (NULL-terminated). */
static pt_config *config_with(const char *first, ...) {
  pt_config *c = NULL;
  CHECK_OK(pt_config_alloc(&c));
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a != NULL && c != NULL; a = va_arg(ap, const char *)) CHECK_OK(pt_config_set(c, a));
  va_end(ap);
  return c;
}

/* pt_task_from_config must fail with `want`, leave *out NULL, and leave
 * exactly the message `message` (or, if `exact` is 0, one containing it). */
static void expect_task_error(const pt_config *c, const pt_dataset *ds, const char *origin, pt_status want,
                              const char *message, int exact) {
  pt_task *t = (pt_task *)&t; /* not NULL: the call must clear it */
  CHECK_FAILS_MSG(pt_task_from_config(c, ds, origin, &t), want, message);
  CHECK(t == NULL, "*out is NULL after a failure");
  CHECK(strchr(pt_last_error(), '\n') == NULL, "one line");
  if (exact) CHECK_MESSAGE(message);
  pt_task_free(&t);
}

/* ------------------------------------------------------------------------ */
/* The table                                                                 */

static void test_table(void) {
  static const char *const names[] = {"ranking", "classification", "shortest_path", "plugin"};
  const pt_task_type *const *table = pt_task_types();
  size_t n = 0;
  while (table[n] != NULL) n++;
  CHECK(n == 4, "4 tasks (got %zu)", n);
  for (size_t i = 0; i < n && i < 4; i++) {
    CHECK(strcmp(table[i]->name, names[i]) == 0, "task %zu is %s (got %s)", i, names[i], table[i]->name);
    CHECK(pt_task_type_by_name(names[i]) == table[i], "by name: %s", names[i]);
    CHECK(table[i]->setup != NULL && table[i]->doc != NULL && table[i]->doc[0] != '\0', "%s has setup and doc",
          names[i]);
  }
  CHECK(pt_task_type_by_name("plugin") == &pt_task_plugin, "the table holds the declared descriptors");
  CHECK(pt_task_type_by_name("auto") == NULL, "auto is no task");
  CHECK(pt_task_type_by_name("Ranking") == NULL, "names are case-sensitive");
  CHECK(pt_task_type_by_name("") == NULL, "empty name");
  CHECK(pt_task_type_by_name(NULL) == NULL, "NULL name");
  const char *choices = NULL;
  for (const pt_config_key *k = pt_config_schema(); k->section != NULL; k++)
    if (strcmp(k->section, "task") == 0 && strcmp(k->key, "kind") == 0) choices = k->choices;
  CHECK(choices != NULL && strcmp(choices, "auto|ranking|classification|shortest_path|plugin") == 0,
        "task.kind choices are auto and the table (got %s)", choices ? choices : "none");
}

/* ------------------------------------------------------------------------ */
/* Ranking and classification                                                */

static void test_builtin(void) {
  pt_dataset *rank = ranking_data(4, 3), *cls = class_data(6, 4), *sol = solution_data(3, 4);
  pt_config *deflt = config_with(NULL);
  pt_config *as_cls = config_with("task.kind=classification", NULL);
  pt_config *as_rank = config_with("task.kind = ranking", NULL);
  if (rank == NULL || cls == NULL || cls->labels == NULL || sol == NULL || deflt == NULL || as_cls == NULL ||
      as_rank == NULL)
    goto done;

  /* auto: the dataset's own task */
  pt_task *t = NULL;
  CHECK_OK(pt_task_from_config(deflt, rank, "rank.h5", &t));
  if (t != NULL) {
    CHECK(t->type == &pt_task_ranking, "auto on ranking data: ranking");
    CHECK(strcmp(pt_solver_name(t->solver), "ranking") == 0 && pt_solver_dim(t->solver) == 3,
          "the ranking solver of dimension 3");
    CHECK(t->metrics == PT_METRIC_RANKING, "metrics: ranking");
    CHECK_OK(pt_task_check(t, rank, "rank.h5"));
    pt_dataset *other = ranking_data(2, 5);
    if (other != NULL) {
      CHECK_FAILS_MSG(pt_task_check(t, other, "test.h5"), PT_EFORMAT, "test.h5");
      CHECK_MESSAGE("'test.h5' has targets of dimension 5, the training data 3 (task ranking)");
    }
    free_data(&other);
    CHECK_FAILS_MSG(pt_task_check(t, cls, "cls.h5"), PT_EFORMAT, "cls.h5");
    CHECK_MESSAGE("task.kind = ranking needs rankings (/ranks); 'cls.h5' is a classification dataset");
  }
  pt_task_free(&t);
  CHECK(t == NULL, "pt_task_free clears the handle");
  pt_task_free(&t);
  pt_task_free(NULL);

  CHECK_OK(pt_task_from_config(deflt, cls, "cls.h5", &t));
  if (t != NULL) {
    CHECK(t->type == &pt_task_classification, "auto on classification data: classification");
    CHECK(strcmp(pt_solver_name(t->solver), "argmax") == 0 && pt_solver_dim(t->solver) == 4,
          "the argmax solver of dimension 4 = classes");
    CHECK(t->metrics == PT_METRIC_ACCURACY, "metrics: accuracy");
    CHECK_OK(pt_task_check(t, cls, "cls.h5"));
    pt_dataset *six = class_data(3, 6);
    if (six != NULL && six->labels != NULL) {
      CHECK_FAILS_MSG(pt_task_check(t, six, "test.h5"), PT_EFORMAT, "test.h5");
      CHECK_MESSAGE("'test.h5' has 6 classes, the training data 4");
    }
    free_data(&six);
    pt_dataset *rank4 = ranking_data(2, 4);
    if (rank4 != NULL) {
      CHECK_FAILS_MSG(pt_task_check(t, rank4, "test.h5"), PT_EFORMAT, "test.h5");
      CHECK_MESSAGE("task.kind = classification needs class labels (/labels); 'test.h5' is a ranking dataset");
    }
    free_data(&rank4);
  }
  pt_task_free(&t);

  /* explicit kinds on data that do not fit */
  expect_task_error(as_cls, rank, "x.h5", PT_EFORMAT,
                    "task.kind = classification needs class labels (/labels); 'x.h5' is a ranking dataset", 1);
  expect_task_error(as_rank, cls, "y.h5", PT_EFORMAT,
                    "task.kind = ranking needs rankings (/ranks); 'y.h5' is a classification dataset", 1);
  expect_task_error(deflt, sol, "sol.h5", PT_ECONFIG, "'sol.h5' is a 'solution' dataset", 0);
  CHECK(strstr(pt_last_error(), "set task.kind") != NULL, "the message says to set task.kind");
  CHECK_OK(pt_task_from_config(as_cls, cls, NULL, &t));
  CHECK(t != NULL && t->type == &pt_task_classification, "explicit classification on classification data");
  pt_task_free(&t);
  cls->labels[2] = 9;
  expect_task_error(as_cls, cls, "z.h5", PT_EFORMAT, "'z.h5': /labels[2] = 9 is not a class in 0..3", 1);
  cls->labels[2] = -1;
  expect_task_error(deflt, cls, "z.h5", PT_EFORMAT, "'z.h5': /labels[2] = -1 is not a class in 0..3", 1);
  cls->labels[2] = 2;
  CHECK_FAILS(pt_task_from_config(NULL, cls, NULL, &t), PT_EFAULT);
  CHECK_FAILS(pt_task_from_config(deflt, NULL, NULL, &t), PT_EFAULT);
  CHECK_FAILS(pt_task_from_config(deflt, cls, NULL, NULL), PT_EFAULT);

done:
  pt_config_free(&deflt);
  pt_config_free(&as_cls);
  pt_config_free(&as_rank);
  free_data(&rank);
  free_data(&cls);
  free_data(&sol);
}

/* ------------------------------------------------------------------------ */
/* The accuracy                                                              */

static void test_accuracy(void) {
  pt_dataset *cls = class_data(4, 4), *rank = ranking_data(2, 3);
  pt_config *c = config_with(NULL);
  pt_task *tc = NULL, *tr = NULL;
  if (cls == NULL || rank == NULL || c == NULL) goto done;
  CHECK_OK(pt_task_from_config(c, cls, "cls", &tc));
  CHECK_OK(pt_task_from_config(c, rank, "rank", &tr));
  if (tc == NULL || tr == NULL) goto done;
  double scratch[4];
  int hit = -1;
  /* classification: a tie between classes 1 and 2 goes to 1 */
  const double theta[4] = {0.1, 2.0, 2.0, -1.0};
  const double y1[4] = {0, 1, 0, 0}, y2[4] = {0, 0, 1, 0}, y0[4] = {1, 0, 0, 0};
  CHECK_OK(pt_task_accuracy_hit(tc, theta, y1, scratch, &hit));
  CHECK(hit == 1, "argmax of a tie is the smaller class: a hit (got %d)", hit);
  CHECK_OK(pt_task_accuracy_hit(tc, theta, y2, scratch, &hit));
  CHECK(hit == 0, "the other class of the tie: a miss (got %d)", hit);
  CHECK_OK(pt_task_accuracy_hit(tc, theta, y0, scratch, &hit));
  CHECK(hit == 0, "a wrong class: a miss (got %d)", hit);
  CHECK(scratch[0] == 0 && scratch[1] == 1 && scratch[2] == 0 && scratch[3] == 0, "scratch holds y*(theta)");
  const double nan_theta[4] = {0.0, NAN, 1.0, 2.0};
  hit = -1;
  CHECK_FAILS(pt_task_accuracy_hit(tc, nan_theta, y1, scratch, &hit), PT_EDOM);
  CHECK(hit == 0, "no hit on a failure (got %d)", hit);
  /* ranking: exact when y*(θ) is the target's permutation-vertex */
  const double rt[3] = {3.0, 1.0, 2.0}, ry[3] = {2, 0, 1}, rwrong[3] = {2, 1, 0};
  CHECK_OK(pt_task_accuracy_hit(tr, rt, ry, scratch, &hit));
  CHECK(hit == 1, "ranking: the exact ranking is a hit (got %d)", hit);
  CHECK_OK(pt_task_accuracy_hit(tr, rt, rwrong, scratch, &hit));
  CHECK(hit == 0, "ranking: two labels swapped is a miss (got %d)", hit);

  /* over rows with a model: θ_i = W x_i + b with W = I and x_i one-hot at
   * the class, except row 4, pointed at the wrong class */
  pt_model *m = NULL;
  pt_dataset *four = class_data(6, 4);
  const pt_model_shape shape = {.d = 4, .p = 4};
  const pt_model_settings settings = {0};
  CHECK_OK(pt_model_alloc(&pt_model_affine, &shape, &settings, "test", &m));
  if (m != NULL && four != NULL && four->labels != NULL) {
    pt_dataset *x = four;
    free(x->X);
    x->p = 4;
    x->X = calloc(6 * 4, sizeof *x->X);
    CHECK(x->X != NULL, "features allocated");
    if (x->X != NULL) {
      for (size_t i = 0; i < 6; i++) x->X[i * 4 + (size_t)x->labels[i]] = 1.0;
      x->X[4 * 4 + 0] = 0.0;
      x->X[4 * 4 + 3] = 1.0;
      for (size_t j = 0; j < 4; j++) m->params[j * 4 + j] = 1.0;
      double th[4];
      int64_t all = 0, first = 0, rest = 0;
      CHECK_OK(pt_accuracy_counts(m, tc, x, 0, 6, th, scratch, &all));
      CHECK(all == 5, "5 of 6 instances classified correctly (got %lld)", (long long)all);
      CHECK_OK(pt_accuracy_counts(m, tc, x, 0, 4, th, scratch, &first));
      CHECK_OK(pt_accuracy_counts(m, tc, x, 4, 6, th, scratch, &rest));
      CHECK(first == 4 && rest == 1, "shares of the rows add up (got %lld + %lld)", (long long)first,
            (long long)rest);
    }
  }
  pt_model_free(&m);
  free_data(&four);
done:
  pt_task_free(&tc);
  pt_task_free(&tr);
  pt_config_free(&c);
  free_data(&cls);
  free_data(&rank);
}

/* ------------------------------------------------------------------------ */
/* Plug-ins                                                                  */

static const char *topk_path, *no_entry_path, *wrong_dim_path, *fails_path, *misbehaves_path;

/* Nonzero if the library at `path` is loaded in this process. */
static int is_loaded(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (h != NULL) dlclose(h);
  return h != NULL;
}

/* A plugin configuration of the library `path` with `options` (NULL: unset). */
static pt_config *plugin_config(const char *path, const char *options) {
  char a[4200], b[4200];
  snprintf(a, sizeof a, "task.plugin=%s", path);
  snprintf(b, sizeof b, "task.plugin_options=%s", options ? options : "");
  return options ? config_with("task.kind=plugin", a, b, NULL) : config_with("task.kind=plugin", a, NULL);
}

/* The plug-in at `path` with `options` must fail on `ds` with exactly `message`. */
static void expect_plugin_error(const char *path, const char *options, const pt_dataset *ds, const char *message,
                                int exact) {
  pt_config *c = plugin_config(path, options);
  if (c != NULL) expect_task_error(c, ds, "sol.h5", PT_ECONFIG, message, exact);
  pt_config_free(&c);
  if (strchr(path, '/') != NULL) CHECK(!is_loaded(path), "%s is unloaded after the failure", path);
}

static void test_plugin_topk(void) {
  pt_dataset *sol = solution_data(3, 5);
  pt_config *c1 = plugin_config(topk_path, NULL), *c3 = plugin_config(topk_path, "k=3");
  pt_task *t = NULL;
  if (sol == NULL || c1 == NULL || c3 == NULL) goto done;
  CHECK(!is_loaded(topk_path), "the plug-in is not loaded before");
  CHECK_OK(pt_task_from_config(c1, sol, "sol.h5", &t));
  if (t != NULL) {
    CHECK(t->type == &pt_task_plugin && t->handle != NULL, "a plugin task with its library");
    CHECK(strcmp(pt_solver_name(t->solver), "callback") == 0 && pt_solver_dim(t->solver) == 5,
          "a callback solver of the data's dimension 5");
    CHECK(t->metrics == PT_METRIC_ACCURACY, "metrics: accuracy (got %u)", t->metrics);
    CHECK(is_loaded(topk_path), "the plug-in is loaded");
    double scratch[5];
    int hit = -1;
    const double theta[5] = {5, 1, 4, 2, 3}, top1[5] = {1, 0, 0, 0, 0};
    CHECK_OK(pt_task_accuracy_hit(t, theta, top1, scratch, &hit));
    CHECK(hit == 1, "k = 1 without options: top-1 (got %d)", hit);
    CHECK_OK(pt_task_check(t, sol, "test.h5"));
    pt_dataset *other = solution_data(2, 4);
    if (other != NULL) {
      CHECK_FAILS(pt_task_check(t, other, "test.h5"), PT_EFORMAT);
      CHECK_MESSAGE("'test.h5' has targets of dimension 4, the training data 5 (task plugin)");
    }
    free_data(&other);
  }
  pt_task_free(&t);
  CHECK(!is_loaded(topk_path), "pt_task_free unloads the plug-in");
  CHECK_OK(pt_task_from_config(c3, sol, "sol.h5", &t));
  if (t != NULL) {
    double scratch[5];
    int hit = -1;
    const double theta[5] = {5, 1, 4, 2, 3}, top3[5] = {1, 0, 1, 0, 1}, top1[5] = {1, 0, 0, 0, 0};
    CHECK_OK(pt_task_accuracy_hit(t, theta, top3, scratch, &hit));
    CHECK(hit == 1, "k=3: the three largest (got %d)", hit);
    CHECK_OK(pt_task_accuracy_hit(t, theta, top1, scratch, &hit));
    CHECK(hit == 0, "k=3: the top-1 vector is a miss (got %d)", hit);
  }
  pt_task_free(&t);
  expect_plugin_error(topk_path, "k=9", sol,
                      "perturb_plugin_solver failed with status 2 (invalid argument): plugin_topk: k must be in "
                      "1..5, the data's dimension (got 9)",
                      0);
  expect_plugin_error(topk_path, "j=2", sol, "plugin_topk: options must be 'k=N' (got 'j=2')", 0);
done:
  pt_config_free(&c1);
  pt_config_free(&c3);
  free_data(&sol);
}

static void test_plugin_errors(void) {
  pt_dataset *sol = solution_data(3, 5);
  char msg[4400], text[] = "/tmp/test_tasks_XXXXXX";
  const int fd = mkstemp(text);
  CHECK(fd >= 0, "mkstemp");
  if (fd >= 0) {
    CHECK(write(fd, "not a library\n", 14) == 14, "write %s", text);
    close(fd);
  }
  if (sol == NULL) goto done;

  pt_config *c = config_with("task.kind=plugin", NULL);
  if (c != NULL)
    expect_task_error(c, sol, "sol.h5", PT_ECONFIG,
                      "task.kind = plugin needs task.plugin, the path of a shared library with the function "
                      "perturb_plugin_solver (see perturb/plugin.h)",
                      1);
  pt_config_free(&c);
  expect_plugin_error("/nonexistent/libmine.so", NULL, sol,
                      "task.plugin = '/nonexistent/libmine.so': cannot load it: /nonexistent/libmine.so: cannot "
                      "open shared object file: No such file or directory",
                      1);
  snprintf(msg, sizeof msg, "task.plugin = '%s': cannot load it: %s: ", text, text);
  expect_plugin_error(text, NULL, sol, msg, 0);
  /* a bare name is a file of the working directory, never a system library */
  expect_plugin_error("libc.so.6", NULL, sol, "task.plugin = 'libc.so.6': cannot load it: ./libc.so.6: ", 0);
  snprintf(msg, sizeof msg, "task.plugin = '%s' has no function perturb_plugin_solver: see perturb/plugin.h",
           no_entry_path);
  expect_plugin_error(no_entry_path, NULL, sol, msg, 1);
  snprintf(msg, sizeof msg, "task.plugin = '%s' returns a solver of dimension 7, the data ('sol.h5') have 5",
           wrong_dim_path);
  expect_plugin_error(wrong_dim_path, NULL, sol, msg, 1);
  snprintf(msg, sizeof msg,
           "task.plugin = '%s': perturb_plugin_solver failed with status 2 (invalid argument): fails: cannot use "
           "the options 'abc'",
           fails_path);
  expect_plugin_error(fails_path, "abc", sol, msg, 1);
  snprintf(msg, sizeof msg, "task.plugin = '%s': perturb_plugin_solver returned PT_OK but no solver (info->solver is NULL)",
           misbehaves_path);
  expect_plugin_error(misbehaves_path, "null", sol, msg, 1);
  snprintf(msg, sizeof msg,
           "task.plugin = '%s' returns unknown metric bits 0x4 (known: PT_PLUGIN_METRIC_RANKING = 0x1, "
           "PT_PLUGIN_METRIC_ACCURACY = 0x2)",
           misbehaves_path);
  expect_plugin_error(misbehaves_path, "metrics", sol, msg, 1);
  snprintf(msg, sizeof msg,
           "task.plugin = '%s' returns a solver that is not deterministic (two solves of the same theta differ): "
           "see perturb/plugin.h",
           misbehaves_path);
  expect_plugin_error(misbehaves_path, "random", sol, msg, 1);
  /* the same library with good options works: the errors above left nothing behind */
  pt_config *good = plugin_config(misbehaves_path, "argmax");
  pt_task *t = NULL;
  if (good != NULL) CHECK_OK(pt_task_from_config(good, sol, "sol.h5", &t));
  CHECK(t != NULL && strcmp(pt_solver_name(t->solver), "argmax") == 0, "a good solver from the same library");
  pt_task_free(&t);
  pt_config_free(&good);
done:
  if (fd >= 0) unlink(text);
  free_data(&sol);
}

/* ------------------------------------------------------------------------ */
/* The rules of the [task] keys                                              */

static void test_rules(void) {
  pt_config *c = config_with("task.plugin=libmine.so", NULL);
  if (c != NULL) {
    CHECK_FAILS(pt_config_check(c), PT_ECONFIG);
    CHECK_MESSAGE("task.plugin (command line) needs task.kind = plugin, which is auto (the default): only a "
                  "plugin task loads a solver's library");
  }
  pt_config_free(&c);
  c = config_with("task.kind=ranking", "task.plugin_options=k=2", NULL);
  if (c != NULL) {
    CHECK_FAILS(pt_config_check(c), PT_ECONFIG);
    CHECK_MESSAGE("task.plugin_options (command line) needs task.kind = plugin, which is ranking (command line): "
                  "the options are for the plugin's entry point");
  }
  pt_config_free(&c);
  c = config_with("task.kind=plugin", "task.plugin=libmine.so", "task.plugin_options=k=2", NULL);
  if (c != NULL) CHECK_OK(pt_config_check(c));
  pt_config_free(&c);
  /* a resolved configuration sets every key, the strings empty: no rule applies */
  c = config_with("task.kind=classification", "task.plugin=", "task.plugin_options=", NULL);
  if (c != NULL) CHECK_OK(pt_config_check(c));
  pt_config_free(&c);
}

/* ------------------------------------------------------------------------ */
/* Shortest paths                                                            */

/* 2 instances on a 3 x 3 dag_path grid (12 edges: right r·2+c, then down
 * 6 + r·3 + c). Costs: the top row's right edges and the right column's down
 * edges cost 1, the rest 5, so the optimum (right, right, down, down) costs 4
 * and (down, down, right, right) 20. */
static pt_dataset *dag_data(void) {
  pt_dataset *ds = NULL;
  CHECK_OK(pt_dataset_alloc(2, 12, 2, 0, 0, &ds));
  if (ds == NULL) return NULL;
  ds->costs = malloc(2 * 12 * sizeof *ds->costs);
  snprintf(ds->task, sizeof ds->task, "%s", "shortest_path");
  snprintf(ds->solver, sizeof ds->solver, "%s", "dag_path");
  ds->grid_rows = ds->grid_cols = 3;
  for (size_t i = 0; i < 2; i++) {
    double *c = ds->costs + i * 12, *y = ds->Y + i * 12;
    for (size_t j = 0; j < 12; j++) c[j] = 5.0;
    c[0] = c[1] = 1.0;            /* right edges of row 0 */
    c[6 + 2] = c[6 + 3 + 2] = 1.0; /* down edges of column 2 */
    y[0] = y[1] = y[6 + 2] = y[6 + 3 + 2] = 1.0;
  }
  return ds;
}

static void test_paths(void) {
  pt_config *c = config_with(NULL);
  pt_dataset *ds = dag_data();
  pt_task *t = NULL;
  CHECK_OK(pt_task_from_config(c, ds, "dag", &t));
  CHECK(t != NULL && t->type == &pt_task_shortest_path && t->metrics == PT_METRIC_PATH &&
            pt_solver_dim(t->solver) == 12, "auto takes a shortest_path dataset with costs: the path metrics");
  if (t != NULL) {
    double good[12], bad[12];
    for (size_t j = 0; j < 12; j++) good[j] = -ds->costs[j], bad[j] = -1.0;
    bad[6 + 0] = bad[6 + 3] = bad[4 + 0] = bad[4 + 1] = -0.1; /* down the left column, then along the bottom */
    pt_eval_sums sums = {0};
    double scratch[12];
    size_t order[12];
    CHECK_OK(pt_eval_add(t, 12, good, ds->Y, ds->costs, order, scratch, &sums));
    CHECK_OK(pt_eval_add(t, 12, bad, ds->Y + 12, ds->costs + 12, order, scratch, &sums));
    const pt_eval_values v = pt_eval_metrics(t, &sums, 2);
    CHECK(v.optimal == 0.5 && v.cost_ratio == 3.0 && v.regret == 2.0 && isnan(v.accuracy) && isnan(v.spearman),
          "metrics by hand: optimal %g (1/2), cost ratio %g (3), regret %g (16/8 = 2)", v.optimal, v.cost_ratio,
          v.regret);
    pt_dataset *nocost = dag_data();
    free(nocost->costs);
    nocost->costs = NULL;
    CHECK_FAILS_MSG(pt_task_check(t, nocost, "test.h5"), PT_EFORMAT, "'test.h5' has no true costs (/costs)");
    CHECK_FAILS(pt_eval_add(t, 12, good, ds->Y, NULL, order, scratch, &sums), PT_EINVAL);
    free_data(&nocost);
    /* a 3 x 4 grid_path has the dag's 12 entries: the same dimension, another graph */
    pt_dataset *other = NULL;
    CHECK_OK(pt_dataset_alloc(1, 12, 2, 0, 0, &other));
    if (other != NULL) {
      snprintf(other->task, sizeof other->task, "%s", "shortest_path");
      snprintf(other->solver, sizeof other->solver, "%s", "grid_path");
      other->grid_rows = 3, other->grid_cols = 4;
      for (size_t k = 0; k < 4; k++) other->Y[k] = 1.0; /* the top row ... */
      for (size_t r = 1; r < 3; r++) other->Y[r * 4 + 3] = 1.0; /* ... and the right column */
      other->costs = calloc(12, sizeof *other->costs);
      CHECK_FAILS_MSG(pt_task_check(t, other, "test.h5"), PT_EFORMAT,
                      "'test.h5' holds grid_path paths on a 3 x 4 grid, the training data dag_path paths on 3 x 3");
    }
    free_data(&other);
  }
  pt_task_free(&t);
  ds->Y[12 + 6 + 0] = 1.0; /* instance 1 forks at the first vertex */
  /* the data's own check (the loader's, naming file rows) */
  CHECK_FAILS_MSG(pt_dataset_check(ds, "fork.h5"), PT_EFORMAT,
                  "fork.h5: /Y row 1 is not a path of the 3 x 3 grid (dag_path");
  free_data(&ds);
  /* a 4 x 4 vertex grid: the corners and a gap between them */
  CHECK_OK(pt_dataset_alloc(1, 16, 3 * 8 * 8, 0, 0, &ds));
  if (ds != NULL) {
    snprintf(ds->task, sizeof ds->task, "%s", "shortest_path");
    snprintf(ds->solver, sizeof ds->solver, "%s", "grid_path");
    ds->grid_rows = ds->grid_cols = 4;
    ds->channels = 3, ds->height = ds->width = 8;
    for (size_t v = 0; v < 4; v++) ds->Y[v * 5] = 1.0; /* the diagonal: a path */
    CHECK_OK(pt_task_from_config(c, ds, "maps", &t));
    CHECK(t != NULL && t->metrics == PT_METRIC_ACCURACY, "without costs: the accuracy of the paths");
    pt_task_free(&t);
    ds->Y[5] = 0.0;
    CHECK_FAILS_MSG(pt_dataset_check(ds, "gap.h5"), PT_EFORMAT, "gap.h5: /Y row 0 is not a path of the 4 x 4 grid");
    ds->Y[5] = 1.0;
    ds->height = 12, ds->width = 8, ds->p = 3 * 12 * 8;
    expect_task_error(c, ds, "img.h5", PT_EFORMAT,
                      "'img.h5': images of 12 x 8 pixels do not split into the 4 x 4 grid's square cells", 1);
  }
  free_data(&ds);
  pt_config_free(&c);
}

/* task.decision = threshold: the decision is 1 where θ > 1/2, judged as a
 * path only if it is one, with no cost ratio or regret; ranking refuses it. */
static void test_threshold(void) {
  pt_config *c = config_with("task.decision=threshold", NULL);
  pt_dataset *ds = dag_data(), *rank = ranking_data(2, 3), *cls = class_data(4, 4);
  pt_task *t = NULL;
  if (c == NULL || ds == NULL || rank == NULL || cls == NULL) goto done;
  expect_task_error(c, rank, "rank", PT_ECONFIG,
                    "task.decision = threshold needs 0/1 targets (classification, shortest_path); task ranking ranks "
                    "labels: use task.decision = solver", 1);
  CHECK_OK(pt_task_from_config(c, ds, "dag", &t));
  if (t == NULL) goto done;
  CHECK(t->decision == PT_DECISION_THRESHOLD, "task.decision = threshold is the task's decision");
  double scratch[12], theta[12];
  size_t order[12];
  pt_eval_sums sums = {0};
  /* instance 0: 0.9 on the optimal path, 0.1 elsewhere: optimal */
  for (size_t j = 0; j < 12; j++) theta[j] = ds->Y[j] == 1.0 ? 0.9 : 0.1;
  CHECK_OK(pt_eval_add(t, 12, theta, ds->Y, ds->costs, order, scratch, &sums));
  CHECK(sums.path.optimal == 1, "the thresholded optimal path is optimal");
  /* the same with one more edge above 1/2: not a path, not optimal */
  theta[6 + 0] = 0.7;
  CHECK_OK(pt_eval_add(t, 12, theta, ds->Y, ds->costs, order, scratch, &sums));
  /* scores below 1/2 everywhere: no edge at all (cost 0 < the optimum 4), not a path */
  for (size_t j = 0; j < 12; j++) theta[j] = 0.5;
  CHECK_OK(pt_eval_add(t, 12, theta, ds->Y, ds->costs, order, scratch, &sums));
  const pt_eval_values v = pt_eval_metrics(t, &sums, 3);
  CHECK(v.optimal == 1.0 / 3.0 && isnan(v.cost_ratio) && isnan(v.regret),
        "thresholded decisions: optimal %g (1/3), no cost ratio (%g) or regret (%g)", v.optimal, v.cost_ratio,
        v.regret);
  theta[3] = NAN;
  CHECK_FAILS(pt_eval_add(t, 12, theta, ds->Y, ds->costs, order, scratch, &sums), PT_EDOM);
  pt_task_free(&t);
  /* a 3 x 3 vertex grid at unit costs: the diagonal costs 3, the optimum. The
   * corners and the centre's right neighbour also cost 3, but are not
   * 8-connected: not a path, not optimal. */
  free_data(&ds);
  CHECK_OK(pt_dataset_alloc(1, 9, 2, 0, 0, &ds));
  if (ds == NULL) goto done;
  snprintf(ds->task, sizeof ds->task, "%s", "shortest_path");
  snprintf(ds->solver, sizeof ds->solver, "%s", "grid_path");
  ds->grid_rows = ds->grid_cols = 3;
  ds->costs = malloc(9 * sizeof *ds->costs);
  for (size_t j = 0; j < 9; j++) ds->costs[j] = 1.0;
  ds->Y[0] = ds->Y[4] = ds->Y[8] = 1.0;
  CHECK_OK(pt_task_from_config(c, ds, "grid", &t));
  if (t == NULL) goto done;
  double g[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  pt_eval_sums gs = {0};
  CHECK_OK(pt_eval_add(t, 9, g, ds->Y, ds->costs, order, scratch, &gs));
  g[4] = 0, g[2] = 1; /* corners 0, 8 and 2: cost 3, 2 is no neighbour of 0 or 8 */
  CHECK_OK(pt_eval_add(t, 9, g, ds->Y, ds->costs, order, scratch, &gs));
  CHECK(gs.path.optimal == 1, "grid_path: the diagonal is optimal, three unconnected cells of its cost are not "
        "(got %lld of 2)", (long long)gs.path.optimal);
  pt_task_free(&t);
  /* classification: the one-hot vector of the scores above 1/2 */
  CHECK_OK(pt_task_from_config(c, cls, "cls", &t));
  if (t == NULL) goto done;
  const double ct[4] = {0.2, 0.8, 0.4, -3.0}, two[4] = {0.2, 0.8, 0.6, -3.0}, y1[4] = {0, 1, 0, 0};
  int hit = -1;
  CHECK_OK(pt_task_accuracy_hit(t, ct, y1, scratch, &hit));
  CHECK(hit == 1, "one score above 1/2, the right class: a hit (got %d)", hit);
  CHECK_OK(pt_task_accuracy_hit(t, two, y1, scratch, &hit));
  CHECK(hit == 0, "two scores above 1/2: a miss (got %d)", hit);
done:
  pt_task_free(&t);
  free_data(&ds);
  free_data(&rank);
  free_data(&cls);
  pt_config_free(&c);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: test_tasks PLUGIN_TOPK NO_ENTRY WRONG_DIM FAILS MISBEHAVES\n");
    return 2;
  }
  topk_path = argv[1];
  no_entry_path = argv[2];
  wrong_dim_path = argv[3];
  fails_path = argv[4];
  misbehaves_path = argv[5];
  test_table();
  test_builtin();
  test_accuracy();
  test_plugin_topk();
  test_plugin_errors();
  test_rules();
  test_paths();
  test_threshold();
  return pt_test_finish("test_tasks");
}
