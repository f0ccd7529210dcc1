/* classification.c: multi-class classification. The data hold class labels
 * (/labels in 0..d−1) and Y one-hot, the vertex of the simplex the argmax
 * solver returns (d = the number of classes); the metric is the accuracy. */
#include "task/task.h"

#include <inttypes.h>

/* The name of the data's own task for messages ("a ranking dataset"). */
static const char *kind_of(const pt_dataset *ds) { return ds->task[0] ? ds->task : "unnamed"; }

/* Labels present and in 0..classes−1: an index of Y must never leave its row. */
static pt_status labels_check(const pt_dataset *ds, size_t classes, const char *origin) {
  if (ds->labels == NULL)
    return pt_error(PT_EFORMAT, "task.kind = classification needs class labels (/labels); '%s' is a %s dataset",
                    origin, kind_of(ds));
  for (size_t i = 0; i < ds->n; i++)
    if (ds->labels[i] < 0 || (size_t)ds->labels[i] >= classes)
      return pt_error(PT_EFORMAT, "'%s': /labels[%zu] = %" PRId32 " is not a class in 0..%zu", origin, i,
                      ds->labels[i], classes - 1);
  return PT_OK;
}

/* The test data must have the training data's classes: the same number (a
 * class missing from one part would be a different task). */
static pt_status classification_check(const pt_task *t, const pt_dataset *ds, const char *origin) {
  const size_t classes = pt_solver_dim(t->solver);
  if (ds->labels != NULL && ds->d != classes)
    return pt_error(PT_EFORMAT, "'%s' has %zu classes, the training data %zu", origin, ds->d, classes);
  return labels_check(ds, classes, origin);
}

static pt_status classification_setup(pt_task *t, const pt_config *cfg, const pt_dataset *train,
                                      const char *origin) {
  (void)cfg;
  pt_status st = labels_check(train, train->d, origin);
  if (st != PT_OK) return st;
  t->metrics = PT_METRIC_ACCURACY;
  return pt_solver_argmax_alloc(train->d, &t->solver);
}

const pt_task_type pt_task_classification = {
  "classification", "classification: /labels with Y one-hot, the argmax solver, accuracy", classification_setup,
  classification_check, NULL};
