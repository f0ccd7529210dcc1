/* no_entry.c: a plug-in without the entry point perturb_plugin_solver (its
 * function has another name): the engine must say so in one line. */
#include <stddef.h>

int perturb_plugin_solvr(int api_version, size_t d);

int perturb_plugin_solvr(int api_version, size_t d) { return api_version + (int)d; }
