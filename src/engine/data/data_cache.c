/* data_cache.c: the label-ranking CSV files parsed once per process.
 *
 * A sweep runs thousands of points on a few datasets in one process, and
 * parsing a CSV again for every point took 6.5% of the label-ranking
 * reproduction (perf on scripts/label_ranking.sh: getc, strtod). The cache
 * keeps the last few files parsed, each under its path and its identity on
 * disk (device, inode, size, modification time), so that a file replaced or
 * rewritten since is read again, and it hands out copies: a caller owns and
 * may change what it gets. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <threads.h>
#include <unistd.h>

#include "check.h"
#include "perturb/data.h"

/* Files kept: a sweep works through its datasets one after the other. */
enum { CACHED_FILES = 4 };

typedef struct cached_file {
  char path[4096];
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  pt_dataset *ds; /* NULL: an empty slot */
} cached_file;

static cached_file cache[CACHED_FILES];
static size_t next_slot; /* replaced next when every slot is taken */
static mtx_t cache_lock;
static once_flag cache_once = ONCE_FLAG_INIT;

static void cache_init(void) { (void)mtx_init(&cache_lock, mtx_plain); }

static int same_file(const cached_file *c, const char *path, const struct stat *sb) {
  return c->ds != NULL && strcmp(c->path, path) == 0 && c->dev == sb->st_dev && c->ino == sb->st_ino &&
         c->size == sb->st_size && c->mtime.tv_sec == sb->st_mtim.tv_sec && c->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

/* A copy of every row of `ds`. */
static pt_status copy_all(const pt_dataset *ds, pt_dataset **out) {
  size_t *rows = malloc(ds->n * sizeof *rows);
  if (rows == NULL) return pt_error(PT_ENOMEM, "pt_dataset_import_csv_cached: out of memory for %zu rows", ds->n);
  for (size_t i = 0; i < ds->n; i++) rows[i] = i;
  const pt_status st = pt_dataset_subset(ds, rows, ds->n, out);
  free(rows);
  return st;
}

pt_status pt_dataset_import_csv_cached(const char *path, pt_dataset **out) {
  static const char fn[] = "pt_dataset_import_csv_cached";
  PT_CHECK_PTR(fn, out);
  *out = NULL;
  PT_CHECK_PTR(fn, path);
  struct stat sb;
  /* not a regular file, or a path too long to keep: no cache, and the
   * importer says what is wrong, if anything */
  if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || strlen(path) >= sizeof cache[0].path)
    return pt_dataset_import_csv(path, out);
  call_once(&cache_once, cache_init);
  mtx_lock(&cache_lock);
  pt_status st = PT_OK;
  cached_file *hit = NULL;
  for (size_t k = 0; k < CACHED_FILES && hit == NULL; k++)
    if (same_file(&cache[k], path, &sb)) hit = &cache[k];
  if (hit == NULL) {
    pt_dataset *ds = NULL;
    st = pt_dataset_import_csv(path, &ds);
    if (st == PT_OK) {
      /* the identity is the one seen before reading: a file changed while
       * it was read has another now, and is read again next time */
      hit = &cache[next_slot];
      next_slot = (next_slot + 1) % CACHED_FILES;
      pt_dataset_free(&hit->ds);
      memcpy(hit->path, path, strlen(path) + 1);
      hit->dev = sb.st_dev;
      hit->ino = sb.st_ino;
      hit->size = sb.st_size;
      hit->mtime = sb.st_mtim;
      hit->ds = ds;
    }
  }
  if (st == PT_OK) st = copy_all(hit->ds, out);
  mtx_unlock(&cache_lock);
  return st;
}

pt_status pt_dataset_import_named(const char *name, const char *dir, const char *dir_setting, pt_dataset **out) {
  if (dir == NULL || dir[0] == '\0') dir = getenv("PERTURB_LABEL_RANKING_DIR");
  char path[4096];
  if (dir == NULL || dir[0] == '\0')
    return pt_error(PT_ECONFIG, "dataset %s needs %s or the environment variable PERTURB_LABEL_RANKING_DIR", name,
                    dir_setting);
  if ((size_t)snprintf(path, sizeof path, "%s/%s.csv", dir, name) >= sizeof path)
    return pt_error(PT_ECONFIG, "the dataset path %s/%s.csv is longer than the system allows (%zu characters)", dir,
                    name, sizeof path - 1);
  if (access(dir, R_OK | X_OK) != 0)
    return pt_error(PT_EIO, "cannot read the dataset directory '%s': %s", dir, strerror(errno));
  if (access(path, F_OK) != 0) return pt_error(PT_EIO, "no dataset '%s' in '%s' (no file %s)", name, dir, path);
  return pt_dataset_import_csv_cached(path, out);
}
