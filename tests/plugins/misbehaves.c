/* misbehaves.c: a plug-in whose entry point breaks the contract in the way
 * its options name: "null" (PT_OK without a solver), "metrics" (unknown
 * metric bits), "random" (a solver that is not a function of θ); anything
 * else gives a good argmax solver. The engine must refuse each in one line. */
#include <string.h>

#include <perturb/perturb.h>
#include <perturb/plugin.h>

/* Not a function of θ: a different answer on every call. */
static int flip(void *ctx, size_t d, const double *theta, double *y) {
  (void)theta;
  unsigned *calls = ctx;
  for (size_t j = 0; j < d; j++) y[j] = 0.0;
  y[(*calls)++ % d] = 1.0;
  return 0;
}

static unsigned calls = 0;

pt_status perturb_plugin_solver(int api_version, size_t d, const char *options, pt_plugin_solver_info *info);

pt_status perturb_plugin_solver(int api_version, size_t d, const char *options, pt_plugin_solver_info *info) {
  (void)api_version;
  if (strcmp(options, "null") == 0) return PT_OK;
  info->metrics = strcmp(options, "metrics") == 0 ? 0x6u : PT_PLUGIN_METRIC_ACCURACY;
  if (strcmp(options, "random") == 0) return pt_solver_callback_alloc(d, flip, &calls, &info->solver);
  return pt_solver_argmax_alloc(d, &info->solver);
}
