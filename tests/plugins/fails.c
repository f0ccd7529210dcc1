/* fails.c: a plug-in whose entry point fails with a message (after making a
 * solver, which the engine must free): the engine must show the status and
 * the message in one line. */
#include <perturb/perturb.h>
#include <perturb/plugin.h>

pt_status perturb_plugin_solver(int api_version, size_t d, const char *options, pt_plugin_solver_info *info);

pt_status perturb_plugin_solver(int api_version, size_t d, const char *options, pt_plugin_solver_info *info) {
  (void)api_version;
  pt_status st = pt_solver_argmax_alloc(d, &info->solver);
  if (st != PT_OK) return st;
  return pt_error(PT_EINVAL, "fails: cannot use the options '%s'", options);
}
