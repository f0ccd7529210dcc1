/* data_impl.h (internal): helpers shared by the data module's files. */
#ifndef PERTURB_DATA_IMPL_H
#define PERTURB_DATA_IMPL_H

#include <stddef.h>

#include "perturb/error.h"

/* The file name of `path` without its directory and without `suffix` (e.g.
 * ".csv"), truncated to fit `size` bytes: a dataset's default name. */
void pt_path_stem(const char *path, const char *suffix, char *out, size_t size);

/* The number of solution entries E of a shortest-path solver on a grid of
 * rows × cols vertices: "grid_path" (vertex costs) rows·cols, "dag_path"
 * (right then down edges) rows(cols − 1) + (rows − 1)cols; 0 for another
 * solver name or a grid below 2 × 2. */
size_t pt_paths_entries(const char *solver, size_t rows, size_t cols);

/* The scratch bytes pt_paths_is_path needs on a grid of rows × cols vertices. */
size_t pt_paths_scratch_bytes(size_t rows, size_t cols);

/* 1 if the 0/1 vector y is a path of the graph of `solver` ("grid_path" or
 * "dag_path", as pt_paths_entries) on rows × cols vertices, as
 * pt_paths_check_rows checks /Y rows; else 0. `scratch` holds
 * pt_paths_scratch_bytes(rows, cols) bytes, suitably aligned (malloc'd). Local. */
int pt_paths_is_path(const char *solver, size_t rows, size_t cols, const double *y, void *scratch);

/* Checks the parts of a shortest-path dataset that the loader and the
 * writer share: the solver and grid give d entries, Y holds 0/1 values that
 * form a path of the solver's graph (dag_path: a right/down walk between the
 * corners; grid_path: both corners and a set of vertices 8-connected to the
 * first), and costs (when present) are finite and non-negative, naming
 * `origin`, the row (first_row + its index) and the entry. PT_EFORMAT or PT_EDOM with one line. */
pt_status pt_paths_check_rows(const char *fn, const char *origin, const char *solver, size_t rows, size_t cols,
                              size_t n, size_t d, const double *Y, const double *costs, size_t first_row);

#endif
