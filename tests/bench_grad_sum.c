/* bench_grad_sum.c: the cost per step of the rank-count-independent sum of
 * weight gradients (pt_grad_sum_reduce: an MPI_MAX of 2 doubles, fixed-point
 * rounding, an MPI_SUM of n int64s) against one plain MPI_Allreduce of n
 * doubles, for a gradient of n entries in K shards spread over the ranks.
 * Not a test: run it under mpirun and read the medians.
 *   mpirun -n 2 build/tests/bench_grad_sum [n] [shards] [repeats] */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, nranks;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  const size_t n = argc > 1 ? (size_t)atol(argv[1]) : 13706, K = argc > 2 ? (size_t)atol(argv[2]) : 8;
  const int reps = argc > 3 ? atoi(argv[3]) : 500;
  size_t s0 = K * (size_t)rank / (size_t)nranks, s1 = K * (size_t)(rank + 1) / (size_t)nranks;
  pt_grad_sum *gs = NULL;
  if (pt_grad_sum_alloc(n, K, &gs) != PT_OK) MPI_Abort(MPI_COMM_WORLD, 1);
  double *out = malloc(n * sizeof *out), *plain = malloc(n * sizeof *plain);
  double *t_fixed = malloc((size_t)reps * sizeof *t_fixed), *t_plain = malloc((size_t)reps * sizeof *t_plain);
  for (size_t k = 0; k < s1 - s0; k++) {
    double *g = pt_grad_sum_slot(gs, k);
    for (size_t j = 0; j < n; j++) g[j] = 1e-3 * (double)((j * 2654435761u + k) % 1000) - 0.5;
  }
  for (int r = 0; r < reps; r++) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t = MPI_Wtime();
    pt_grad_sum_reduce(gs, s1 - s0, K, MPI_COMM_WORLD, out);
    t_fixed[r] = MPI_Wtime() - t;
    MPI_Barrier(MPI_COMM_WORLD);
    t = MPI_Wtime();
    memcpy(plain, gs->slot, n * sizeof *plain);
    for (size_t k = 1; k < s1 - s0; k++)
      for (size_t j = 0; j < n; j++) plain[j] += gs->slot[k * n + j];
    MPI_Allreduce(MPI_IN_PLACE, plain, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    t_plain[r] = MPI_Wtime() - t;
  }
  qsort(t_fixed, (size_t)reps, sizeof *t_fixed, cmp);
  qsort(t_plain, (size_t)reps, sizeof *t_plain, cmp);
  if (rank == 0)
    printf("{\"ranks\":%d,\"entries\":%zu,\"shards\":%zu,\"fixed_point_us\":%.2f,\"plain_allreduce_us\":%.2f}\n",
           nranks, n, K, 1e6 * t_fixed[reps / 2], 1e6 * t_plain[reps / 2]);
  pt_grad_sum_free(&gs);
  free(out), free(plain), free(t_fixed), free(t_plain);
  MPI_Finalize();
  return 0;
}
