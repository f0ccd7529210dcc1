/* plugin.c: a user's solver from a shared library (perturb/plugin.h). The
 * data hold targets in the solver's embedding (/Y); the library's entry
 * point makes the solver and says which metrics apply. */
#define _POSIX_C_SOURCE 200809L /* dlopen */

#include "task/task.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string value is at most PATH_MAX − 1 = 4095 characters (perturb/config.h),
 * plus the "./" put in front of a bare file name. */
#define PLUGIN_PATH_SIZE 4100

/* Solves θ twice and compares the results bit for bit: a solver that is not
 * a function of θ would make runs differ between rank counts and restarts.
 * A θ the solver refuses proves nothing and is skipped (training reports
 * it). y1 and y2 hold d doubles. */
static pt_status probe_deterministic(pt_solver *s, const double *theta, double *y1, double *y2, const char *shown) {
  const size_t d = pt_solver_dim(s);
  if (pt_solver_solve(s, theta, y1) != PT_OK || pt_solver_solve(s, theta, y2) != PT_OK) {
    pt_clear_error();
    return PT_OK;
  }
  if (memcmp(y1, y2, d * sizeof *y1) != 0)
    return pt_error(PT_ECONFIG,
                    "task.plugin = '%s' returns a solver that is not deterministic (two solves of the same "
                    "theta differ): see perturb/plugin.h",
                    shown);
  return PT_OK;
}

/* Checks what the entry point returned for data of dimension d. */
static pt_status check_info(const pt_plugin_solver_info *info, const pt_dataset *train, const char *origin,
                            const char *shown) {
  if (info->solver == NULL)
    return pt_error(PT_ECONFIG, "task.plugin = '%s': %s returned PT_OK but no solver (info->solver is NULL)", shown,
                    PT_PLUGIN_ENTRY);
  const size_t d = pt_solver_dim(info->solver);
  if (d != train->d)
    return pt_error(PT_ECONFIG, "task.plugin = '%s' returns a solver of dimension %zu, the data ('%s') have %zu",
                    shown, d, origin, train->d);
  const unsigned known = PT_PLUGIN_METRIC_RANKING | PT_PLUGIN_METRIC_ACCURACY;
  if ((info->metrics & ~known) != 0)
    return pt_error(PT_ECONFIG,
                    "task.plugin = '%s' returns unknown metric bits 0x%x (known: PT_PLUGIN_METRIC_RANKING = 0x%x, "
                    "PT_PLUGIN_METRIC_ACCURACY = 0x%x)",
                    shown, info->metrics & ~known, PT_PLUGIN_METRIC_RANKING, PT_PLUGIN_METRIC_ACCURACY);
  double *y = malloc(2 * d * sizeof *y), *theta = malloc(d * sizeof *theta);
  pt_status st = PT_OK;
  if (y == NULL || theta == NULL) st = pt_error(PT_ENOMEM, "out of memory for %zu targets", d);
  /* The first target and its negative: values in the solver's own domain
   * more often than any θ made up here. */
  for (int sign = 1; st == PT_OK && sign >= -1; sign -= 2) {
    for (size_t j = 0; j < d; j++) theta[j] = sign * train->Y[j];
    st = probe_deterministic(info->solver, theta, y, y + d, shown);
  }
  free(theta);
  free(y);
  return st;
}

static pt_status plugin_setup(pt_task *t, const pt_config *cfg, const pt_dataset *train, const char *origin) {
  const char *path, *options;
  pt_status got = pt_config_get_string(cfg, "task.plugin", &path);
  if (got == PT_OK) got = pt_config_get_string(cfg, "task.plugin_options", &options);
  if (got != PT_OK) return got;
  if (path[0] == '\0')
    return pt_error(PT_ECONFIG,
                    "task.kind = plugin needs task.plugin, the path of a shared library with the function %s "
                    "(see perturb/plugin.h)",
                    PT_PLUGIN_ENTRY);
  /* A name without '/' is a file in the working directory, as everywhere
   * else in the configuration, not a library searched on the system's path. */
  char file[PLUGIN_PATH_SIZE];
  snprintf(file, sizeof file, "%s%s", strchr(path, '/') ? "" : "./", path);
  dlerror();
  t->handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (t->handle == NULL) {
    const char *why = dlerror();
    return pt_error(PT_ECONFIG, "task.plugin = '%s': cannot load it: %s", path, why ? why : "unknown reason");
  }
  /* dlsym returns an object pointer; POSIX guarantees a function pointer
   * fits it, and the copy keeps ISO C from complaining about the cast. */
  void *sym = dlsym(t->handle, PT_PLUGIN_ENTRY);
  if (sym == NULL)
    return pt_error(PT_ECONFIG, "task.plugin = '%s' has no function %s: see perturb/plugin.h", path,
                    PT_PLUGIN_ENTRY);
  pt_plugin_entry_fn entry;
  _Static_assert(sizeof entry == sizeof sym, "function and object pointers differ in size");
  memcpy(&entry, &sym, sizeof entry);
  pt_plugin_solver_info info = {NULL, 0};
  pt_clear_error();
  const pt_status st = entry(PT_PLUGIN_API_VERSION, train->d, options, &info);
  if (st != PT_OK) {
    /* pt_error() writes the buffer pt_last_error() points to: copy first. */
    char why[1024];
    snprintf(why, sizeof why, "%s", pt_last_error()[0] ? pt_last_error() : "it left no message");
    pt_solver_free(&info.solver);
    return pt_error(PT_ECONFIG, "task.plugin = '%s': %s failed with status %d (%s): %s", path, PT_PLUGIN_ENTRY,
                    (int)st, pt_strerror(st), why);
  }
  t->solver = info.solver; /* owned from now on, also on the errors below */
  t->metrics = info.metrics;
  return check_info(&info, train, origin, path);
}

/* The solver's code lives in the library: free it before unloading. */
static void plugin_release(pt_task *t) {
  pt_solver_free(&t->solver);
  if (t->handle != NULL) dlclose(t->handle);
  t->handle = NULL;
}

const pt_task_type pt_task_plugin = {"plugin",
                                     "a user's solver from a shared library (task.plugin, perturb/plugin.h); "
                                     "targets in /Y, the metrics the library names",
                                     plugin_setup, NULL, plugin_release};
