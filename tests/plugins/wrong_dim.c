/* wrong_dim.c: a plug-in whose entry point returns a solver of dimension
 * d + 2 instead of d: the engine must refuse it in one line. */
#include <perturb/perturb.h>
#include <perturb/plugin.h>

pt_status perturb_plugin_solver(int api_version, size_t d, const char *options, pt_plugin_solver_info *info);

pt_status perturb_plugin_solver(int api_version, size_t d, const char *options, pt_plugin_solver_info *info) {
  (void)api_version;
  (void)options;
  info->metrics = PT_PLUGIN_METRIC_ACCURACY;
  return pt_solver_argmax_alloc(d + 2, &info->solver);
}
