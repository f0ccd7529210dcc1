/**
 * @file perturb/plugin.h
 * @brief A user's solver as an engine plug-in: a shared library with one entry point.
 *
 * With `task.kind = plugin` and `task.plugin = path/to/libmine.so` the engine
 * loads the library on every rank (dlopen) and calls its entry point, named
 * #PT_PLUGIN_ENTRY, once per rank:
 *
 *     pt_status perturb_plugin_solver(int api_version, size_t d, const char *options,
 *                                     pt_plugin_solver_info *info);
 *
 * @p api_version is #PT_PLUGIN_API_VERSION of the engine; @p d is the
 * dimension of the dataset's targets (/Y, in the solver's embedding);
 * @p options is the text of `task.plugin_options` ("" if unset). The entry
 * point fills @p info with a solver of dimension @p d (usually made with
 * pt_solver_callback_alloc()) and the metrics that apply, and returns #PT_OK;
 * on failure it returns another status, after pt_error() with the reason.
 * The engine owns the solver afterwards and frees it with pt_solver_free()
 * before it unloads the library. The solver must be deterministic (a pure
 * function of θ) and integer-valued if samples are to be split among ranks.
 * examples/plugin_topk.c is a complete plug-in.
 */
#ifndef PERTURB_PLUGIN_H
#define PERTURB_PLUGIN_H

#include <stddef.h>
#include "perturb/error.h"
#include "perturb/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The name of the entry point the engine looks up in a plug-in. */
#define PT_PLUGIN_ENTRY "perturb_plugin_solver"

/** The version of this interface; the engine passes it to the entry point. */
#define PT_PLUGIN_API_VERSION 1

/** Metric: Spearman correlation and exact rankings of θ against the target ranking y (y = d − rank). */
#define PT_PLUGIN_METRIC_RANKING 1u
/** Metric: the share of instances whose solution y*(θ) equals the target y exactly ("accuracy"). */
#define PT_PLUGIN_METRIC_ACCURACY 2u

/** What the entry point returns. */
typedef struct pt_plugin_solver_info {
  pt_solver *solver; /**< a solver of dimension d, owned by the engine from now on */
  unsigned metrics;  /**< PT_PLUGIN_METRIC_* bits (0: the loss alone) */
} pt_plugin_solver_info;

/** The type of the entry point #PT_PLUGIN_ENTRY. */
typedef pt_status (*pt_plugin_entry_fn)(int api_version, size_t d, const char *options, pt_plugin_solver_info *info);

#ifdef __cplusplus
}
#endif
#endif
