/* fuzz_csv.c: the label-ranking CSV importer (pt_dataset_import_csv).
 *
 * Input: the bytes of a CSV file. A dataset that imports must pass
 * pt_dataset_check (what pt_dataset_save and training demand of it); a
 * failure must keep the error contract. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "perturb/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fz_write_file("data.csv", data, size);
  pt_dataset *ds = NULL;
  const pt_status st = pt_dataset_import_csv(path, &ds);
  if (st != PT_OK) {
    fz_check_error(st, "pt_dataset_import_csv");
    if (ds != NULL) abort();
    return 0;
  }
  if (ds == NULL || ds->n < 1 || ds->d < 2 || ds->p < 1 || pt_dataset_check(ds, path) != PT_OK) {
    fprintf(stderr, "fuzz: an imported CSV fails pt_dataset_check: %s\n", pt_last_error());
    abort();
  }
  pt_dataset_free(&ds);
  return 0;
}
