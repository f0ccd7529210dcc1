/**
 * @file perturb/data.h
 * @brief Datasets in memory, synthetic generators, CSV import, HDF5 files.
 *
 * A dataset holds n instances. Features come either as one vector of p numbers
 * per instance (X is [n × p], the real label-ranking datasets) or as one vector
 * per label (X is [n × d × p], the paper's synthetic ranking task). Targets Y
 * are [n × d] in the solver's embedding; for ranking y_j = d − rank_j, with
 * ranks [n × d] kept as well (1 = top label).
 *
 * For classification, labels [n] hold each instance's class in 0..d−1 (d =
 * the number of classes) and Y is their one-hot; image inputs have channels,
 * height and width set, with X [n × c × h × w] row-major (p = c·h·w).
 *
 * HDF5 layout (format_version 1; readable by h5dump and h5py). The root
 * attribute task (absent: "ranking") says which datasets the file has:
 *   ranking (and any task name other than classification, for a user's own
 *   solver; the name is letters, digits, '_', '-', '.'):
 *     /X      float64 [n, p] or [n, d, p]
 *     /Y      float64 [n, d]     (as given for other tasks)
 *     /ranks  int32   [n, d]     (ranking only; optional, else from Y = d − ranks)
 *     attributes: features_per_label (int 0/1), and for synthetic data the
 *     generator's parameters (synthetic_kind, sigma, seed)
 *   classification:
 *     /X      float64 [n, c, h, w] (images) or [n, p]
 *     /labels int32   [n]        (each in 0..classes−1; Y is built on load)
 *     attribute classes (int ≥ 2)
 *   shortest_path (docs/shortest_path.md):
 *     /X      float64 [n, p] or [n, c, h, w] (images)
 *     /Y      float64 [n, E]     the target paths, 0/1, in the solver's order
 *     /costs  float64 [n, E]     the true costs, finite and >= 0 (optional)
 *     attributes solver ("grid_path": E = rows·cols vertices, row-major;
 *     "dag_path": E = rows(cols−1) right edges r·(cols−1)+c, then
 *     (rows−1)cols down edges r·cols+c), grid_rows, grid_cols (int ≥ 2)
 *   and always the attributes format_version (int), task, name, source
 *   (strings).
 */
#ifndef PERTURB_DATA_H
#define PERTURB_DATA_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include "perturb/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A dataset in memory (row-major arrays, owned by the struct). */
typedef struct pt_dataset {
  size_t n;          /**< instances */
  size_t d;          /**< labels (dimension of θ and y) */
  size_t p;          /**< features per instance, or per label if per_label */
  int per_label;     /**< 1: X is [n × d × p]; 0: X is [n × p] */
  double *X;         /**< features */
  double *Y;         /**< targets [n × d] in the solver's embedding */
  int32_t *ranks;    /**< [n × d] ranks, 1 = top; NULL if the task is not ranking */
  int32_t *labels;   /**< [n] class labels in 0..d−1 (classification; Y is then one-hot); NULL otherwise */
  size_t channels, height, width; /**< image inputs: p = channels·height·width, X is [n × c × h × w]; 0 otherwise */
  double *costs;     /**< [n × d] true costs of the solution's elements (shortest_path: /costs); NULL when unknown */
  char solver[32];   /**< the solver the targets are solutions of (shortest_path: "grid_path" or "dag_path"); "" if none */
  size_t grid_rows, grid_cols; /**< the grid of a shortest_path dataset (vertices rows × cols); 0 otherwise */
  char task[32];     /**< "ranking", "classification", or another name (targets in /Y only) */
  char name[128];    /**< e.g. "iris" or "synthetic" */
  char source[512];  /**< provenance: a file path or the generator's parameters */
} pt_dataset;

/** Parameters of the synthetic ranking generator (paper §5, Fig. 4). */
typedef struct pt_synthetic_params {
  int per_label;   /**< 1: x_i ∈ R^{d×p}, θ_ij = ⟨x_ij, w0⟩; 0: x_i ∈ R^p, θ_i = W0 x_i */
  size_t n;        /**< instances */
  size_t d;        /**< labels */
  size_t p;        /**< features */
  double sigma;    /**< label noise: ranks of θ_i + σ Z_i */
  uint64_t seed;   /**< the generator's seed */
} pt_synthetic_params;

/** Parameters of the shortest-path grid benchmark (pt_dataset_grid_paths()). */
typedef struct pt_grid_paths_params {
  size_t n;               /**< instances */
  size_t p;               /**< features */
  size_t grid;            /**< vertices per side of the square grid (≥ 2; the benchmark's 5) */
  int deg;                /**< polynomial degree of the cost model (≥ 1) */
  double noise_halfwidth; /**< ε̄ ∈ [0, 1): costs are multiplied by U[1 − ε̄, 1 + ε̄] */
  uint64_t seed;          /**< the generator's seed (B and every instance) */
} pt_grid_paths_params;
/**
 * Generates the shortest-path grid benchmark exactly as PyEPO's generator
 * does: features x ~ N(0, I_p); a hidden 0/1 matrix B [E × p] with
 * Bernoulli(½) entries (one per seed); costs c = [((B x)/√p + 3)^deg + 1] /
 * 3.5^deg times uniform noise in [1 − ε̄, 1 + ε̄] per edge; the grid's edges
 * go right and down (solver "dag_path", E = 2·grid·(grid − 1), right edges
 * first); Y is the cheapest path under c, costs = c (a negative cost, which
 * an odd deg allows at a 6σ event, is set to 0). Instance i is the same
 * whatever n (its own stream). #PT_EINVAL for grid < 2, deg < 1 or ε̄
 * outside [0, 1). Not collective.
 */
pt_status pt_dataset_grid_paths(const pt_grid_paths_params *params, pt_dataset **out);
/** Parameters of the Warcraft-like maps (pt_dataset_warcraft()). */
typedef struct pt_warcraft_params {
  size_t n;           /**< maps */
  size_t grid;        /**< cells per side k (≥ 2; the paper's 12, also 18, 24, 30) */
  size_t cell_pixels; /**< pixels per cell side s (1..64; 8 gives the paper's 96 × 96 for k = 12) */
  uint64_t seed;      /**< the generator's seed */
} pt_warcraft_params;
/**
 * Generates Warcraft-like terrain maps: k × k cells, each of one of six
 * terrain types (a base type and a few discs of others per map), each type
 * with a hidden travel cost (0.8, 1.2, 2.2, 3.5, 5.3, 9.2), its own colour
 * and texture; rendered as RGB images [3, k·s, k·s] with values in [0, 1]
 * (a brightness jitter per cell and Gaussian noise per pixel, so that a
 * network has to learn the terrain from pixels). costs = the cells' costs
 * (E = k², row-major), solver "grid_path", Y the 8-neighbour cheapest path
 * from the top-left to the bottom-right cell (vertex costs, both ends
 * counted). Map i is the same whatever n. Not collective.
 */
pt_status pt_dataset_warcraft(const pt_warcraft_params *params, pt_dataset **out);
/**
 * Allocates an empty (zeroed) dataset with the given shape; @p with_ranks
 * also allocates ranks. Sizes must be ≥ 1 and fit in memory.
 */
pt_status pt_dataset_alloc(size_t n, size_t d, size_t p, int per_label, int with_ranks, pt_dataset **out);

/**
 * Allocates an empty (zeroed) classification dataset: X [n × p], Y [n ×
 * classes] (to hold the one-hot of each label), labels [n], task
 * "classification", no ranks; the image shape is left 0 for the caller to set.
 * Requires classes ≥ 2 and the sizes of pt_dataset_alloc. Not collective.
 */
pt_status pt_dataset_alloc_classification(size_t n, size_t classes, size_t p, pt_dataset **out);

/** Frees @p *ds (NULL-safe) and sets it to NULL. */
void pt_dataset_free(pt_dataset **ds);

/**
 * Generates the synthetic ranking task. Features x ~ N(0, I); the hidden
 * model has unit scale so that the clean scores θ have unit variance:
 * per-label, w0 = g/‖g‖ with g ~ N(0, I_p); affine, W0 with N(0, 1/p) entries.
 * Labels are the ranking of θ_i + σZ_i. Every number comes from a counter-based
 * stream (seed, PT_PURPOSE_DATA, …, instance i, …), so instance i is the same
 * whatever n is. Not collective.
 */
pt_status pt_dataset_synthetic(const pt_synthetic_params *params, pt_dataset **out);

/**
 * Imports a label-ranking CSV file: a header `f1,…,fp,r1,…,rd` then one row per
 * instance; ranks are a permutation of 1..d (1 = top). Errors name the file and
 * line: unreadable file (#PT_EIO), bad header, short or long row, a field that
 * is not a number, NaN/Inf, ranks that are not a permutation (#PT_EFORMAT).
 */
pt_status pt_dataset_import_csv(const char *path, pt_dataset **out);

/**
 * pt_dataset_import_csv() through a per-process cache of the last 4 files
 * parsed: a file whose path and identity on disk (device, inode, size,
 * modification time) are those of a cached one is not parsed again, and a
 * file changed since is. *out is always the caller's own copy. A sweep's
 * points read the same few files thousands of times. Errors are
 * pt_dataset_import_csv()'s (a failed import is not cached). Thread-safe;
 * not collective.
 */
pt_status pt_dataset_import_csv_cached(const char *path, pt_dataset **out);

/**
 * The label-ranking dataset @p name: the file DIR/<name>.csv, read through
 * pt_dataset_import_csv_cached(), with DIR = @p dir, or the environment
 * variable PERTURB_LABEL_RANKING_DIR when @p dir is NULL or empty. Training
 * (data.dataset) and `perturb folds` find their data here, so both see the
 * same rows. Errors: no directory given (#PT_ECONFIG; the message names
 * @p dir_setting, the setting that gives it, e.g. "data.csv_dir"), a path
 * longer than 4095 characters (#PT_ECONFIG), a directory that cannot be read
 * or no such file (#PT_EIO), and the import's. Not collective.
 */
pt_status pt_dataset_import_named(const char *name, const char *dir, const char *dir_setting, pt_dataset **out);

/**
 * Finds the handwritten digits file that Debian's python3-sklearn installs
 * (sklearn/datasets/data/digits.csv.gz: at its Debian 12 path, else from
 * `dpkg-query -L python3-sklearn`) and writes its path into out[size].
 * #PT_EIO saying `apt-get install python3-sklearn` if it is not there. Not
 * collective.
 */
pt_status pt_dataset_digits_path(char *out, size_t size);

/**
 * Imports the handwritten digits (a CSV, gzip'ed or not, without a header:
 * per row 64 pixel values 0..16 of an 8 × 8 image, then the label 0..9) as a
 * classification dataset: 10 classes, channels 1, height = width = 8, pixels
 * as float64. Errors name the file and line: unreadable or damaged file
 * (#PT_EIO), a short or long row, a field that is not a number, a label
 * outside 0..9, no rows (#PT_EFORMAT). Not collective.
 */
pt_status pt_dataset_import_digits(const char *path, pt_dataset **out);

/**
 * Imports CIFAR-10 binary files (data_batch_1..5.bin, test_batch.bin): each
 * record is 3073 bytes, the label 0..9 then 3072 pixels, the 32 × 32 red,
 * green and blue planes row-major. The files' records, in order, become one
 * classification dataset: 10 classes, [c = 3, h = 32, w = 32], pixels 0..255
 * as float64. Errors name the file: unreadable (#PT_EIO), empty, a size that
 * is not a multiple of 3073 (the size and the remainder), a label above 9
 * (the record number) (#PT_EFORMAT). Not collective.
 */
pt_status pt_dataset_import_cifar10(const char *const *paths, size_t count, pt_dataset **out);

/**
 * Checks a dataset's contents: finite X and Y, ranks a permutation of 1..d in
 * every row, Y = d − ranks; with labels, each label in 0..d−1 and Y its
 * one-hot. @p origin names the data in messages. #PT_EDOM or #PT_EFORMAT
 * naming the row. Not collective.
 */
pt_status pt_dataset_check(const pt_dataset *ds, const char *origin);

/**
 * Writes @p ds to an HDF5 file at @p path (layout in the file comment). The
 * file is written under a temporary name and renamed into place, so a crash
 * never leaves a partial file under @p path. Fails (#PT_EIO) if the directory
 * is not writable. Not collective: call it from one rank.
 */
pt_status pt_dataset_save(const pt_dataset *ds, const char *path);

/**
 * Reads rows [row_begin, row_end) of the HDF5 dataset file @p path with
 * parallel HDF5 (MPI-IO): collective over @p comm, every rank passing its own
 * range (use 0 and SIZE_MAX for all rows). The file's shape attributes are read
 * by all ranks. Errors, the same on every rank: missing file (#PT_EIO), not an
 * HDF5 file, missing /X or /Y, inconsistent shapes, NaN/Inf, ranks that are not
 * permutations; for classification, /X of rank other than 2 or 4, a missing
 * /labels, /labels of another length than /X, classes < 2 or absent, a label
 * outside 0..classes−1 (naming the row and value) (#PT_EFORMAT or #PT_EDOM,
 * naming the file and dataset).
 */
pt_status pt_dataset_load(const char *path, MPI_Comm comm, size_t row_begin, size_t row_end, pt_dataset **out);

/** The number of rows of the dataset file @p path, read by every rank of @p comm (collective). */
pt_status pt_dataset_count_rows(const char *path, MPI_Comm comm, size_t *n);

/** A new dataset holding rows rows[0..count−1] of @p ds, in that order (with their ranks or labels, and the image shape). */
pt_status pt_dataset_subset(const pt_dataset *ds, const size_t *rows, size_t count, pt_dataset **out);

/**
 * Splits @p ds into a training and a test part: a shuffle of the rows drawn
 * from (seed, PT_PURPOSE_SPLIT), the first round(n·test_fraction) rows to test
 * (at least 1, at most n − 1).
 */
pt_status pt_dataset_split(const pt_dataset *ds, double test_fraction, uint64_t seed, pt_dataset **train,
                           pt_dataset **test);

/**
 * The rows of fold k of the K-fold split of n rows with @p seed, the split
 * pt_dataset_kfold() makes of a dataset of n rows: with perm the shuffle of
 * 0..n−1 (gsl_ran_shuffle on the stream (seed, PT_PURPOSE_SPLIT, epoch 1),
 * the same for every k), and b = k·n/K, e = (k+1)·n/K
 * (integer division), @p test_rows gets the e − b indices perm[b..e) and
 * @p train_rows the n − (e − b) indices perm[0..b) then perm[e..n), in that
 * order (the order of the rows of pt_dataset_kfold()'s test and train). Each
 * array must hold that many entries. The K test parts partition 0..n−1.
 * Requires 2 ≤ K ≤ n, k < K and n ≤ 2³² − 1 (#PT_EINVAL naming the values
 * otherwise; #PT_EFAULT for a NULL array, #PT_ENOMEM). Not collective.
 */
pt_status pt_kfold_rows(size_t n, size_t K, size_t k, uint64_t seed, size_t *test_rows, size_t *train_rows);

/**
 * K-fold cross-validation split: the rows are shuffled with (seed,
 * PT_PURPOSE_SPLIT) — the same shuffle for every k, so the K test parts
 * partition the rows — and @p test gets part k (rows [k·n/K, (k+1)·n/K) of the
 * shuffle), @p train the rest, both in shuffled order. Requires
 * 2 ≤ K ≤ n and k < K (#PT_EINVAL naming the values otherwise). The rows
 * are those pt_kfold_rows() gives for (ds->n, K, k, seed).
 */
pt_status pt_dataset_kfold(const pt_dataset *ds, size_t K, size_t k, uint64_t seed, pt_dataset **train,
                           pt_dataset **test);

/**
 * Standardises the features of @p train and @p test (may be NULL) in place
 * with the mean and standard deviation of each feature over @p train only
 * (for per-label features, over all instances and labels). A constant
 * feature is only centred. Fails as pt_dataset_feature_stats does.
 */
pt_status pt_dataset_standardize(pt_dataset *train, pt_dataset *test);

/**
 * The mean and sample standard deviation of each feature of @p train (for
 * per-label features, over all instances and labels) into @p mean and @p sd
 * (p values each); the deviation of a constant feature is set to 1 (it is
 * only centred). #PT_EDOM naming @p origin (NULL: the dataset's name) and the
 * feature if a statistic is not finite (values near the largest doubles).
 * Not collective.
 */
pt_status pt_dataset_feature_stats(const pt_dataset *train, double *mean, double *sd, const char *origin);

/** Replaces every feature x_j of @p ds by (x_j − mean[j]) / sd[j], in place. Not collective. */
void pt_dataset_standardize_with(pt_dataset *ds, const double *mean, const double *sd);

#ifdef __cplusplus
}
#endif
#endif
