/* train.h (internal): `perturb train`, the distributed training loop. */
#ifndef PERTURB_TRAIN_H
#define PERTURB_TRAIN_H

#include <mpi.h>

#include <stdint.h>

#include "perturb/config.h"
#include "perturb/data.h"
#include "perturb/error.h"

typedef struct pt_train_options {
  const char *out_path; /* the run file */
  int resume;           /* continue from the run file's last checkpoint */
  int force;            /* overwrite an existing run file */
  int json;             /* metrics as JSON lines on stdout (progress to stderr) */
  const char *config_path; /* the configuration file, never to be overwritten (NULL: none) */
} pt_train_options;

/*
 * Trains with the resolved configuration `cfg` (the same on every rank),
 * writing the run file. Collective over `comm`: every rank returns the same
 * status, and on failure the same message.
 */
pt_status pt_train(const pt_config *cfg, const pt_train_options *opt, MPI_Comm comm);

/*
 * The training and test (or validation) parts that the configuration `cfg`
 * describes (data file, CSV, synthetic generator; test file, folds or random
 * split), with raw features — what a run trains on before its model
 * standardises them — and their fingerprint (the run file's
 * data_fingerprint). Collective over `comm`, every rank holds all rows.
 */
pt_status pt_train_load_data(const pt_config *cfg, MPI_Comm comm, pt_dataset **train, pt_dataset **test,
                             uint64_t *fingerprint);

#endif
