/* model/types.h: the table of model kinds. A kind is one file in this folder
 * defining `const pt_model_type pt_model_NAME` (model.h) and one X(NAME) line
 * here; the table (model.c) and the choices of the model.kind key
 * (config/config_schema.c) are both made from this list. */
#ifndef PERTURB_MODEL_TYPES_H
#define PERTURB_MODEL_TYPES_H

#define PT_MODEL_TYPES(X) \
  X(linear_scorer)        \
  X(affine)               \
  X(mlp)                  \
  X(cnn)

#endif
