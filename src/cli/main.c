/* main.c: `perturb <command> …`, the command-line entry point. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train/interrupt.h"
#include "perturb/simd.h"
#include "perturb/version.h"

static void usage(FILE *out) {  /* --help only: errors get one line */
  fputs("usage: perturb <command> [options]\n"
        "\n"
        "commands:\n"
        "  train    train a model (run under mpirun for several ranks); writes a run file\n"
        "  sweep    train every point of a parameter grid, groups of ranks sharing the points\n"
        "  gen      generate a synthetic label-ranking dataset (HDF5)\n"
        "  import   import a label-ranking CSV into an HDF5 dataset\n"
        "  eval     evaluate a run's final model on a dataset\n"
        "  info     say what a dataset or run file holds\n"
        "  folds    print the cross-validation folds training makes of a label-ranking dataset\n"
        "  demo     perturbed argmax with Gumbel noise converging to softmax (a table)\n"
        "  bench    throughput of the perturbed Fenchel-Young gradient beside its floor\n"
        "\n"
        "options:\n"
        "  --help       this text (or `perturb <command> --help`)\n"
        "  --version    version and git commit\n",
        out);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("perturb: no command given (try perturb --help)\n", stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0) {
    printf("perturb %s (commit %s), kernels: %s (this CPU runs up to %s)\n", PERTURB_VERSION, PERTURB_GIT_COMMIT,
           pt_simd_name(pt_simd_active()), pt_simd_name(pt_simd_supported()));
    return 0;
  }
  /* The kernels' instruction set, if the user chose one: a wrong or
   * unsupported value is an error here, before any work (the library alone
   * would fall back to the widest path). Results are the same bits on every
   * path; forcing one is for checking that, or timing. */
  const char *simd = getenv("PERTURB_SIMD");
  char simd_error[512] = "";
  if (simd != NULL && pt_simd_select(simd) != PT_OK)
    snprintf(simd_error, sizeof simd_error, "perturb: PERTURB_SIMD: %s\n", pt_last_error());
  if ((strcmp(cmd, "demo") == 0 || strcmp(cmd, "bench") == 0) && simd_error[0]) {
    fputs(simd_error, stderr);
    return 2;
  }
  if (strcmp(cmd, "demo") == 0) return pt_cli_demo(argc - 1, argv + 1);
  if (strcmp(cmd, "bench") == 0) return pt_cli_bench(argc - 1, argv + 1);
  if (strcmp(cmd, "folds") == 0) return pt_cli_folds(argc - 1, argv + 1);
  static const struct {
    const char *name;
    int (*run)(int, char **);
  } engine[] = {{"train", pt_cli_train}, {"sweep", pt_cli_sweep}, {"gen", pt_cli_gen},
                {"import", pt_cli_import}, {"eval", pt_cli_eval}, {"info", pt_cli_info}};
  for (size_t k = 0; k < sizeof engine / sizeof *engine; k++) {
    if (strcmp(cmd, engine[k].name) != 0) continue;
    /* Open MPI 4.1's sharedfp/lockedfile component overflows a 256-byte
     * buffer (and aborts) when HDF5 opens a file through MPI-IO by a path of
     * more than about 250 characters (fixed upstream in Open MPI 5.0.10).
     * perturb uses no shared file pointers: leave the component out, unless
     * the user chose the sharedfp components. */
    setenv("OMPI_MCA_sharedfp", "^lockedfile", 0);
    MPI_Init(&argc, &argv);
    if (simd_error[0]) { /* one line from rank 0, as for every other error */
      int rank = 0;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      if (rank == 0) fputs(simd_error, stderr);
      MPI_Finalize();
      return 2;
    }
    /* train and sweep stop at a step boundary with a checkpoint; the other
     * commands keep the default action (a signal ends them at once). After
     * MPI_Init, so that no MPI handler replaces ours. */
    if (strcmp(cmd, "train") == 0 || strcmp(cmd, "sweep") == 0) pt_interrupt_install();
    const int rc = engine[k].run(argc - 1, argv + 1);
    MPI_Finalize();
    /* a run stopped by SIGTERM/SIGINT (checkpoint written, one line printed)
     * exits as a process killed by it would be seen by a shell: 128 + signal */
    return pt_interrupt_agreed() ? 128 + pt_interrupt_agreed() : rc;
  }
  fprintf(stderr, "perturb: unknown command '%s' (try perturb --help)\n", cmd);
  return 2;
}
