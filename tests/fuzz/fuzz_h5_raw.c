/* fuzz_h5_raw.c: raw bytes as an HDF5 file, for long manual runs only (not in
 * CI). Mutated bytes mostly exercise libhdf5's own parser, and Debian's
 * 1.10.8 has known crashes on damaged files that perturb cannot fix: a crash
 * whose stack lies inside libhdf5 goes upstream; one in perturb's code is
 * fixed here with a regression test. Runs the dataset loader and the
 * run-file reader on the file. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "perturb/data.h"
#include "io/runfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fz_write_file("raw.h5", data, size);
  pt_dataset *ds = NULL;
  pt_status st = pt_dataset_load(path, MPI_COMM_WORLD, 0, SIZE_MAX, &ds);
  if (st != PT_OK) fz_check_error(st, "pt_dataset_load");
  pt_dataset_free(&ds);
  pt_run_state s = {0};
  st = pt_runfile_read(path, &s);
  if (st != PT_OK) fz_check_error(st, "pt_runfile_read");
  pt_run_state_clear(&s, 0);
  return 0;
}
