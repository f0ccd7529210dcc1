/*
 * plugin_topk.c — a user's solver as a plug-in of the training engine.
 *
 * The engine trains any solver y*(θ) = argmax_{y ∈ C} ⟨y, θ⟩ that a shared
 * library provides (perturb/plugin.h). This one picks the k largest scores:
 * C is the set of 0/1 vectors with exactly k ones, and the targets /Y of the
 * dataset are such vectors (e.g. "the k relevant items"). k comes from the
 * options text, "k=3"; without options k = 1, which is classification.
 *
 * Build (CMake builds it as build/libplugin_topk.so):
 *   cc -shared -fPIC plugin_topk.c $(pkg-config --cflags --libs perturb) -o libplugin_topk.so
 * Use, in the run's configuration:
 *   [task]
 *   kind = plugin
 *   plugin = build/libplugin_topk.so
 *   plugin_options = k=3
 *
 * The engine loads the library once on every MPI rank and calls the entry
 * point below once per rank, so every rank has its own solver. The solver
 * must be a pure function of θ (same θ, same y, bit for bit, on every rank and
 * in every run): results would otherwise depend on the number of ranks.
 */
#include <stdio.h>

#include <perturb/perturb.h>
#include <perturb/plugin.h>

/* The solver's only parameter. The solver's context is not owned by it (the
 * engine frees the solver, not the context), and one solver is made per
 * process, so static storage is the simplest owner. */
static size_t chosen_k = 1;

/* y = 1 on the k largest θ_j, ties to the smaller index j, 0 elsewhere. An
 * O(k·d) selection keeps the example short and allocates nothing (the engine
 * calls it for every instance and perturbation sample). Returns 0: it cannot
 * fail on finite θ, which the engine checks before calling it. */
static int topk_solve(void *ctx, size_t d, const double *theta, double *y) {
  const size_t k = *(const size_t *)ctx;
  for (size_t j = 0; j < d; j++) y[j] = 0.0;
  for (size_t chosen = 0; chosen < k; chosen++) {
    size_t best = d;
    for (size_t j = 0; j < d; j++)
      if (y[j] == 0.0 && (best == d || theta[j] > theta[best])) best = j;
    y[best] = 1.0;
  }
  return 0;
}

/* Reads "k=N" (spaces allowed around '='); "" keeps k = 1. */
static pt_status parse_options(const char *options, size_t d, size_t *k) {
  *k = 1;
  if (options[0] == '\0') return PT_OK;
  unsigned long long v = 0;
  int end = 0;
  if (sscanf(options, " k = %llu %n", &v, &end) != 1 || options[end] != '\0')
    return pt_error(PT_EINVAL, "plugin_topk: options must be 'k=N' (got '%s')", options);
  if (v < 1 || v > d)
    return pt_error(PT_EINVAL, "plugin_topk: k must be in 1..%zu, the data's dimension (got %llu)", d, v);
  *k = (size_t)v;
  return PT_OK;
}

/* The entry point the engine looks up by name (PT_PLUGIN_ENTRY). It must
 * have C linkage and default visibility; on failure it returns a status
 * after pt_error() with the reason, which the engine shows in its message. */
pt_status perturb_plugin_solver(int api_version, size_t d, const char *options, pt_plugin_solver_info *info);

pt_status perturb_plugin_solver(int api_version, size_t d, const char *options, pt_plugin_solver_info *info) {
  if (api_version != PT_PLUGIN_API_VERSION)
    return pt_error(PT_EINVAL, "plugin_topk: built for plug-in API %d, the engine has %d", PT_PLUGIN_API_VERSION,
                    api_version);
  pt_status st = parse_options(options, d, &chosen_k);
  if (st != PT_OK) return st;
  st = pt_solver_callback_alloc(d, topk_solve, &chosen_k, &info->solver);
  if (st != PT_OK) return st;
  /* The engine reports the share of instances whose top-k set is found
   * exactly (for k = 1: the accuracy). */
  info->metrics = PT_PLUGIN_METRIC_ACCURACY;
  return PT_OK;
}
