/* config_schema.c: the table of every configuration key, its type, default,
 * range and one-line documentation. */
#include <stddef.h>

#include "perturb/config.h"
#include "config/config_impl.h"
#include "model/types.h"
#include "task/types.h"
#include "loss/types.h"

/* "|name" for each entry of a type table: the choices of a kind key. */
#define PT_CHOICE(name) "|" #name
/* loss.kind has no "auto": the table's names, less the first bar */
#define PT_LOSS_CHOICES (("" PT_LOSS_TYPES(PT_CHOICE)) + 1)

/* Shared with config.c (no internal header holds it yet): the "section.key"
 * name of row `index`, or NULL past the end. */

/* Largest seed: 2^62, exactly representable as a double and far from the
 * int64 limit, so the bound check itself cannot overflow. */
#define PT_SEED_MAX 4611686018427387904.0

/* One list drives both the key table and the "section.key" names, so the two
 * cannot drift apart. Columns: section, key, type, default, min, max,
 * min_exclusive, choices, doc. */
#define PT_CONFIG_KEYS(X)                                                                                      \
  X("data", "train", PT_CONFIG_STRING, "", 0, 0, 0, NULL,                                                      \
    "HDF5 dataset file to train on; empty: generate from [synthetic]")                                         \
  X("data", "test", PT_CONFIG_STRING, "", 0, 0, 0, NULL,                                                       \
    "HDF5 dataset file to test on; empty: split test_fraction of the training data")                           \
  X("data", "test_fraction", PT_CONFIG_DOUBLE, "0.2", 0.01, 0.9, 0, NULL,                                      \
    "fraction of the training data held out for testing when [data] test is empty")                            \
  X("data", "dataset", PT_CONFIG_STRING, "", 0, 0, 0, NULL,                                                    \
    "label-ranking dataset NAME read from csv_dir/NAME.csv (instead of data.train)")                           \
  X("data", "csv_dir", PT_CONFIG_STRING, "", 0, 0, 0, NULL,                                                    \
    "directory of label-ranking CSV files; empty: the environment variable PERTURB_LABEL_RANKING_DIR")         \
  X("data", "folds", PT_CONFIG_INT, "0", 0, 1000, 0, NULL,                                                     \
    "K-fold cross-validation: 0 for a train/test split, else test on fold data.fold of K")                     \
  X("data", "fold", PT_CONFIG_INT, "0", 0, 999, 0, NULL, "the outer test fold, 0..folds-1")                    \
  X("data", "inner_folds", PT_CONFIG_INT, "0", 0, 1000, 0, NULL,                                               \
    "nested cross-validation: validate on fold inner_fold of the outer training part (0: off)")               \
  X("data", "inner_fold", PT_CONFIG_INT, "0", -1, 999, 0, NULL,                                                 \
    "the inner validation fold, 0..inner_folds-1; -1: the refit (train on all of the outer training part)")     \
  X("data", "split_seed", PT_CONFIG_INT, "0", 0, PT_SEED_MAX, 0, NULL,                                         \
    "seed of the train/test split and of the fold assignment")                                                 \
  X("data", "standardize", PT_CONFIG_BOOL, "false", 0, 0, 0, NULL,                                             \
    "standardise each feature with the mean and deviation of the training part")                               \
  X("data", "quantile", PT_CONFIG_BOOL, "false", 0, 0, 0, NULL,                                                \
    "map each feature to the normal score of its quantile among the training part's values (up to 1000 knots), " \
    "before any standardisation")                                                                              \
  X("synthetic", "kind", PT_CONFIG_CHOICE, "per_label", 0, 0, 0, "per_label|affine|shortest_path|warcraft",     \
    "generator: ranking per_label (theta_ij = <x_ij, w0>) or affine (theta_i = W0 x_i); shortest_path (the "     \
    "grid benchmark) or warcraft (terrain maps as images)")                                                     \
  X("synthetic", "n", PT_CONFIG_INT, "2000", 2, 100000000, 0, NULL, "number of generated instances")           \
  X("synthetic", "labels", PT_CONFIG_INT, "100", 2, 100000, 0, NULL, "number of labels (output dimension)")    \
  X("synthetic", "features", PT_CONFIG_INT, "50", 1, 100000, 0, NULL, "number of features per instance")       \
  X("synthetic", "sigma", PT_CONFIG_DOUBLE, "0", 0, 1e6, 0, NULL,                                              \
    "label noise: labels rank theta_i + sigma Z_i")                                                            \
  X("synthetic", "seed", PT_CONFIG_INT, "1", 0, PT_SEED_MAX, 0, NULL, "seed of the generator")                 \
  X("synthetic", "deg", PT_CONFIG_INT, "1", 1, 64, 0, NULL,                                                     \
    "shortest_path: polynomial degree of the cost model, costs ((Bx)/sqrt(p) + 3)^deg + 1 over 3.5^deg")       \
  X("synthetic", "noise_halfwidth", PT_CONFIG_DOUBLE, "0", 0, 1, 0, NULL,                                       \
    "shortest_path: costs times uniform noise in [1 - w, 1 + w], w below 1")                                    \
  X("synthetic", "grid", PT_CONFIG_INT, "5", 2, 1000, 0, NULL,                                                  \
    "shortest_path: vertices per side of the grid; warcraft: cells per side of the map")                        \
  X("synthetic", "cell_pixels", PT_CONFIG_INT, "8", 1, 64, 0, NULL,                                             \
    "warcraft: pixels per side of a cell (the image is grid x cell_pixels pixels square)")                      \
  X("task", "kind", PT_CONFIG_CHOICE, "auto", 0, 0, 0, "auto" PT_TASK_TYPES(PT_CHOICE),                       \
    "what the targets are and which solver makes them: auto (the dataset's own task: ranking or "              \
    "classification), ranking, classification, or plugin (a user's solver from task.plugin)")                  \
  X("task", "decision", PT_CONFIG_CHOICE, "solver", 0, 0, 0, "solver|threshold",                                \
    "how the metrics turn scores into a decision: solver (the solver's solution for theta) or threshold "      \
    "(1 where theta > 1/2: a model regressing 0/1 targets with loss.kind = squared, e.g. path indicators; "    \
    "such decisions need not be feasible, so shortest paths report no cost ratio or regret)")                 \
  X("task", "plugin", PT_CONFIG_STRING, "", 0, 0, 0, NULL,                                                     \
    "task.kind = plugin: path of the shared library with the solver (perturb/plugin.h)")                       \
  X("task", "plugin_options", PT_CONFIG_STRING, "", 0, 0, 0, NULL,                                             \
    "task.kind = plugin: free text passed to the library's entry point, e.g. k=3")                             \
  X("model", "kind", PT_CONFIG_CHOICE, "auto", 0, 0, 0, "auto" PT_MODEL_TYPES(PT_CHOICE),                      \
    "model mapping features to scores theta; auto: linear_scorer for per-label features, else affine")         \
  X("model", "l2", PT_CONFIG_DOUBLE, "0", 0, 1e6, 0, NULL, "L2 regularisation weight on the model parameters") \
  X("model", "l2_biases", PT_CONFIG_BOOL, "true", 0, 0, 0, NULL,                                               \
    "whether model.l2 also penalises the biases; false spares them, as is usual for neural networks (not "     \
    "with loss.kind = ridge, which penalises its intercept)")                                                   \
  X("model", "hidden", PT_CONFIG_STRING, "", 0, 0, 0, NULL,                                                    \
    "widths of the hidden dense layers, e.g. 64,32 or 64x32 (mlp; cnn: after the convolutions), each followed by ReLU; none or empty: no hidden layer")  \
  X("model", "conv", PT_CONFIG_STRING, "", 0, 0, 0, NULL,                                                      \
    "output channels of the 3x3 convolutions of a cnn, e.g. 16,32, each followed by ReLU and model.pool")      \
  X("model", "stride", PT_CONFIG_INT, "1", 1, 8, 0, NULL, "stride of every convolution (cnn)")                 \
  X("model", "padding", PT_CONFIG_INT, "1", 0, 2, 0, NULL, "zero padding on each side of every convolution (cnn)") \
  X("model", "pool", PT_CONFIG_CHOICE, "max", 0, 0, 0, "none|max|avg",                                         \
    "pooling after each convolution's ReLU (cnn)")                                                              \
  X("model", "pool_size", PT_CONFIG_INT, "2", 1, 8, 0, NULL, "window and stride of that pooling (cnn)")         \
  X("model", "head", PT_CONFIG_CHOICE, "dense", 0, 0, 0, "dense|cells",                                        \
    "end of a cnn: dense (the model.hidden layers, then d outputs) or cells (the model.hidden widths as a "     \
    "per-cell MLP on the last maps, one output per cell: d = their height x width)")                            \
  X("model", "output", PT_CONFIG_CHOICE, "scores", 0, 0, 0, "scores|costs|unit_costs",                         \
    "scores: theta as the model gives it; costs: theta = -softplus(output), predicted costs > 0; unit_costs: "  \
    "those costs scaled to mean 1 per instance (mlp, cnn)")                                                     \
  X("loss", "kind", PT_CONFIG_CHOICE, "fy", 0, 0, 0, PT_LOSS_CHOICES,                                         \
    "training loss: perturbed Fenchel-Young, perturbed squared, plain squared, blackbox or softmax "           \
    "cross_entropy; ridge: closed-form ridge regression of the target embedding, model.l2 its penalty")        \
  X("loss", "epsilon", PT_CONFIG_DOUBLE, "1.0", 0, 1e12, 1, NULL, "perturbation scale epsilon (> 0)")          \
  X("loss", "samples", PT_CONFIG_INT, "10", 1, 1000000000, 0, NULL, "perturbation samples M per instance")     \
  X("loss", "noise", PT_CONFIG_CHOICE, "gaussian", 0, 0, 0, "gaussian|gaussian-ziggurat|gumbel",            \
    "perturbation noise law (gaussian-ziggurat: the same law by the sampler of results before 2026-12)")      \
  X("loss", "perturbation", PT_CONFIG_CHOICE, "additive", 0, 0, 0, "additive|multiplicative",                   \
    "how the noise enters: theta + eps Z, or theta * exp(eps Z - eps^2/2) (keeps signs: costs stay positive; "   \
    "gaussian noise)")                                                                                          \
  X("loss", "lambda", PT_CONFIG_DOUBLE, "10", 0, 1e12, 1, NULL,                                                \
    "interpolation step lambda of the blackbox loss (> 0)")                                                    \
  X("optim", "kind", PT_CONFIG_CHOICE, "adam", 0, 0, 0, "sgd|adam", "optimizer: SGD with momentum, or Adam")   \
  X("optim", "lr", PT_CONFIG_DOUBLE, "0.01", 0, 1e6, 1, NULL, "learning rate (> 0)")                           \
  X("optim", "momentum", PT_CONFIG_DOUBLE, "0.9", 0, 0.999999, 0, NULL, "SGD momentum (0: plain SGD)")         \
  X("optim", "beta1", PT_CONFIG_DOUBLE, "0.9", 0, 0.999999, 0, NULL, "Adam decay rate of the first moment")    \
  X("optim", "beta2", PT_CONFIG_DOUBLE, "0.999", 0, 0.999999999, 0, NULL,                                      \
    "Adam decay rate of the second moment")                                                                    \
  X("optim", "adam_eps", PT_CONFIG_DOUBLE, "1e-8", 0, 1, 1, NULL, "Adam denominator guard (> 0)")              \
  X("optim", "schedule", PT_CONFIG_CHOICE, "constant", 0, 0, 0, "constant|cosine",                              \
    "learning rate over the run: constant, or cosine decay from lr to 0 at the last step")                     \
  X("train", "epochs", PT_CONFIG_INT, "10", 1, 1000000, 0, NULL, "number of passes over the training data")    \
  X("train", "min_steps", PT_CONFIG_INT, "0", 0, 1000000000, 0, NULL,                                           \
    "at least this many optimizer steps: more epochs on small training sets (0: off)")                         \
  X("train", "batch_size", PT_CONFIG_INT, "32", 1, 10000000, 0, NULL, "instances per optimizer step (global)") \
  X("train", "seed", PT_CONFIG_INT, "0", 0, PT_SEED_MAX, 0, NULL,                                              \
    "seed of the batch shuffling and the perturbation noise")                                                  \
  X("train", "checkpoint_every", PT_CONFIG_INT, "1", 0, 1000000, 0, NULL,                                      \
    "write a checkpoint every this many epochs (0: only at the end)")                                          \
  X("train", "eval_every", PT_CONFIG_INT, "1", 1, 1000000, 0, NULL,                                            \
    "evaluate on the test set every this many epochs")                                                         \
  X("train", "test_loss", PT_CONFIG_BOOL, "false", 0, 0, 0, NULL,                                              \
    "also estimate the loss on the test part at each evaluation (its own perturbation samples)")                                                         \
  X("dist", "instance_groups", PT_CONFIG_INT, "0", 0, 1000000, 0, NULL,                                        \
    "number of rank groups splitting the instances of a batch (0: automatic)")                                 \
  X("dist", "sample_groups", PT_CONFIG_INT, "0", 0, 1000000, 0, NULL,                                          \
    "number of rank groups splitting the perturbation samples (0: automatic)")                                 \
  X("dist", "shard_size", PT_CONFIG_INT, "4", 1, 1000000, 0, NULL,                                             \
    "rows of a batch per shard: the unit of work whose weight gradient ranks sum exactly (mlp, cnn)")

#define PT_SCHEMA_ROW(section, key, type, fallback, min, max, min_exclusive, choices, doc) \
  {(section), (key), (type), (fallback), (min), (max), (min_exclusive), (choices), (doc)},
#define PT_SCHEMA_NAME(section, key, type, fallback, min, max, min_exclusive, choices, doc) section "." key,

static const pt_config_key schema[] = {
  PT_CONFIG_KEYS(PT_SCHEMA_ROW)
  {NULL, NULL, PT_CONFIG_STRING, NULL, 0, 0, 0, NULL, NULL}};

static const char *const names[] = {PT_CONFIG_KEYS(PT_SCHEMA_NAME)};

/* Keys that contradict each other, or mean nothing without another key: each
 * would otherwise be silently ignored. data.folds and data.inner_folds are
 * off at 0, the string keys when empty, and every key is off at its default:
 * a run file's resolved configuration sets every key, and must still be
 * usable again as a CONFIG (tests/config_errors.sh). */
static const pt_config_rule rules[] = {
  {"data.fold", "0", 0, "data.folds", "0", "data.fold picks the test fold among data.folds folds"},
  {"data.inner_folds", "0", 0, "data.folds", "0", "nested cross-validation splits the outer training part"},
  {"data.inner_fold", "0", 0, "data.inner_folds", "0",
   "data.inner_fold picks the validation fold among data.inner_folds folds"},
  {"data.test", "", 1, "data.folds", "0", "cross-validation tests on a fold, not on a test file"},
  {"data.test_fraction", "0.2", 1, "data.test", "", "with a test file nothing is split off"},
  {"data.test_fraction", "0.2", 1, "data.folds", "0", "cross-validation splits into folds, not by a fraction"},
  {"data.train", "", 1, "data.dataset", "", "give one source of training data"},
  {"task.plugin", "", 0, "task.kind", "=plugin", "only a plugin task loads a solver's library"},
  {"task.plugin_options", "", 0, "task.kind", "=plugin", "the options are for the plugin's entry point"},
  {"model.head", "dense", 0, "model.kind", "=cnn", "the per-cell head ends a cnn"},
  {NULL, NULL, 0, NULL, NULL, NULL}};

const pt_config_key *pt_config_schema(void) { return schema; }

const pt_config_rule *pt_config_rules(void) { return rules; }

const char *pt_config_schema_name(size_t index) {
  return index < sizeof names / sizeof names[0] ? names[index] : NULL;
}
