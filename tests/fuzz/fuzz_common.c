/* fuzz_common.c: MPI start-up and the helpers of fuzz_common.h. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_common.h"
#include "perturb/data.h"

#include <fcntl.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <sanitizer/common_interface_defs.h>

static char scratch[256];
static int saved_stderr = -1;

/* Sanitizer defaults for every run of a target, so that a manual run needs no
 * environment: Open MPI keeps allocations from MPI_Init until exit (see
 * tests/lsan.supp), so the leak check at exit is off; libFuzzer still checks
 * every input for leaks. A failed allocation returns NULL, as in a normal
 * build (the loaders must report it), and one larger than -malloc_limit_mb
 * is a finding. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "leak_check_at_exit=0:allocator_may_return_null=1"; }

/* LeakSanitizer of clang 14 crashes scanning the dynamic TLS of the plugins
 * that Open MPI's MPI-IO loads ("Tracer caught signal 11" after "DTLS ...");
 * the engine keeps no heap pointer in thread-local storage, so leaving TLS
 * out of the root set loses nothing. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) { return "use_tls=0"; }

/* Open MPI's allocations, as in tests/lsan.supp, and those of the plugins it
 * loads for MPI-IO on the first file opened (mca_*.so). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libmpi.so\nleak:libopen-rte.so\nleak:libopen-pal.so\nleak:libpmix.so\nleak:libevent\n"
         "leak:libhwloc.so\nleak:mca_\n"
         /* dlopen of those plugins, and a message of one of them (unloaded by then) */
         "leak:add_to_global_resize\nleak:__vasprintf_internal\n"
         /* a strdup of one of them, reported as <unknown module> called from
          * the dynamic loader: an input's MPI-IO open after many others (it
          * does not recur when that input runs alone) */
         "leak:ld-linux-x86-64.so\n";
}

/* libFuzzer calls this once before the first input. The loaders are
 * collective, so MPI runs (a singleton: one rank, no mpirun); stdout, where
 * `perturb info` prints, goes to /dev/null to keep the fuzzer's log short. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  setenv("OMPI_MCA_btl", "self", 0);
  /* Open MPI would catch SIGABRT and SIGSEGV with handlers of its own,
   * which hide a finding from libFuzzer (no input saved) */
  setenv("OMPI_MCA_opal_signal", "", 0);
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) MPI_Init(argc, argv);
  /* PERTURB_FUZZ_DIR (run.sh sets it, and removes it after the run) or /dev/shm */
  const char *parent = getenv("PERTURB_FUZZ_DIR");
  snprintf(scratch, sizeof scratch, "%s/perturb-fuzz-%ld", parent && parent[0] ? parent : "/dev/shm",
           (long)getpid());
  if (mkdir(scratch, 0700) != 0 && access(scratch, W_OK) != 0) {
    snprintf(scratch, sizeof scratch, "/tmp/perturb-fuzz-%ld", (long)getpid());
    mkdir(scratch, 0700);
  }
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  /* Sanitizer reports go to a copy of stderr, so that fz_quiet() hides only
   * the one-line messages of the commands run under it. */
  saved_stderr = dup(2);
  if (saved_stderr >= 0) __sanitizer_set_report_fd((void *)(intptr_t)saved_stderr);
  if (freopen("/dev/null", "w", stdout) == NULL) abort();
  /* One load through MPI-IO before the first input: Open MPI loads its
   * MPI-IO plugins then, and what they allocate once (and keep, or leak when
   * unloaded) is not a leak of the input that happens to come first. */
  const pt_synthetic_params sp = {0, 4, 3, 2, 0.0, 1};
  pt_dataset *ds = NULL;
  const char *warm = fz_path("warm-up.h5");
  if (pt_dataset_synthetic(&sp, &ds) != PT_OK || pt_dataset_save(ds, warm) != PT_OK) abort();
  pt_dataset_free(&ds);
  if (pt_dataset_load(warm, MPI_COMM_WORLD, 0, SIZE_MAX, &ds) != PT_OK) abort();
  pt_dataset_free(&ds);
  unlink(warm);
  return 0;
}

const char *fz_path(const char *name) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", scratch, name);
  return path;
}

const char *fz_write_file(const char *name, const uint8_t *data, size_t size) {
  const char *path = fz_path(name);
  FILE *f = fopen(path, "wb");
  if (f == NULL || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
    fprintf(stderr, "fuzz: cannot write %s\n", path);
    abort();
  }
  return path;
}

void fz_check_error(pt_status st, const char *what) {
  const char *msg = pt_last_error();
  if (st == PT_OK || msg == NULL || msg[0] == '\0' || strchr(msg, '\n') != NULL) {
    fprintf(stderr, "fuzz: %s broke the error contract: status %d, message '%s'\n", what, (int)st,
            msg ? msg : "(null)");
    abort();
  }
}

uint8_t fz_u8(fz_reader *r) { return r->pos < r->size ? r->data[r->pos++] : 0; }

uint32_t fz_u32(fz_reader *r) {
  uint32_t v = 0;
  for (int k = 0; k < 4; k++) v = v << 8 | fz_u8(r);
  return v;
}

uint64_t fz_u64(fz_reader *r) {
  const uint64_t hi = fz_u32(r); /* two statements: the order of reads is the recipe */
  return hi << 32 | fz_u32(r);
}

uint32_t fz_below(fz_reader *r, uint32_t n) { return n <= 256 ? fz_u8(r) % n : fz_u32(r) % n; }

uint64_t fz_dim(fz_reader *r) {
  const uint8_t c = fz_u8(r);
  if (c < 200) return c % 6;  /* 0..5: the interesting small shapes */
  if (c < 230) return c - 190; /* 10..39 */
  static const uint64_t big[] = {255, 256, 65536, 1ull << 31, 1ull << 32, 1ull << 40, 1ull << 62, UINT64_MAX};
  return big[(c - 230) % (sizeof big / sizeof *big)];
}

double fz_double(fz_reader *r) {
  const uint8_t c = fz_u8(r);
  switch (c % 16) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -INFINITY;
    case 3: return -0.0;
    case 4: return 1e308;
    case 5: return 5e-324;
    case 6: {
      double v;
      uint64_t bits = fz_u64(r);
      memcpy(&v, &bits, sizeof v);
      return v;
    }
    default: return (double)(c / 16) - 4.0 + (double)fz_u8(r) / 256.0;
  }
}

int64_t fz_int(fz_reader *r) {
  const uint8_t c = fz_u8(r);
  if (c < 160) return c % 8;
  if (c < 200) return -(int64_t)(c % 8);
  static const int64_t big[] = {INT64_MIN, INT64_MAX, INT32_MAX, INT32_MIN, 1000000000, 1ll << 40};
  return big[c % (sizeof big / sizeof *big)];
}

size_t fz_text(fz_reader *r, char *buf, size_t cap) {
  size_t len = fz_below(r, 256);
  if (len > 200 && cap > 4096) len = (len - 200) * 64; /* sometimes long */
  if (len >= cap) len = cap - 1;
  size_t k = 0;
  while (k < len && r->pos < r->size) {
    const uint8_t b = fz_u8(r);
    buf[k++] = b ? (char)b : ' ';
  }
  buf[k] = '\0';
  return k;
}

void fz_quiet(int on) {
  static int hidden = -1;
  if (getenv("PERTURB_FUZZ_VERBOSE") != NULL) return;
  fflush(stderr);
  if (on && hidden < 0) {
    hidden = dup(2);
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 2);
      close(null);
    }
  } else if (!on && hidden >= 0) {
    dup2(hidden, 2);
    close(hidden);
    hidden = -1;
  }
}
