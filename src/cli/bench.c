/* bench.c: `perturb bench` times the perturbed Fenchel–Young gradient (ranking,
 * Gaussian noise) against two floors: drawing the same M·d Gaussians and
 * sorting M vectors of d numbers, with nothing else; and drawing the
 * Gaussians alone (the floor of issue #11). Timings are medians of repeats;
 * this is a report, not a test. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "args.h"
#include "cli.h"
#include "perturb/perturb.h"
#include "sort.h"

#define MAX_LIST 16

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *x, size_t n) {
  qsort(x, n, sizeof *x, cmp_double);
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* The floor: for every instance, draw the M·d Gaussians with the fastest
 * sampler in the project (the SIMD one, all samples at once) and rank each
 * sample's d (by counting for d ≤ 16, else the sort) — what any
 * implementation of the estimator must do; with
 * `sort` 0, the Gaussians alone. `z` holds M·d numbers. */
static double floor_once(size_t B, size_t M, size_t d, double *z, void *keys, uint32_t *order, int sort) {
  const double t0 = now_seconds();
  unsigned sink = 0;
  double zsink = 0.0;
  for (size_t i = 0; i < B; i++) {
    const pt_rng_id id = {1, PT_PURPOSE_PERTURB, 0, i, 0};
    pt_noise_gaussian->sample_many(&id, 0, M, d, z);
    for (size_t m = 0; m < M; m++) {
      if (sort) {
        /* the fastest exact ranking in the project for this d */
        if (d <= PT_SORT_POSITIONS_MAX) pt_sort_positions(d, z + m * d, keys, order);
        else pt_sort_order(d, z + m * d, keys, order);
        sink += order[0];
      } else {
        zsink += z[m * d + d - 1];
      }
    }
  }
  const double t = now_seconds() - t0;
  if (sink == 0xFFFFFFFFu || zsink == 1e300) fputs("", stderr); /* keeps the work observable */
  return t;
}

/* --components: the parts of the floor, each timed alone on the same data,
 * beside the library routines they replace (so the choices in docs/design.md
 * can be re-measured): ns per Gaussian for perturb's sampler and for GSL's
 * ziggurat through gsl_rng on the same Philox stream; ns per element for
 * perturb's sort and for libc qsort of (value, index) pairs. */
typedef struct pair {
  double value;
  uint32_t index;
} pair;

static int cmp_pair(const void *a, const void *b) {
  const pair *x = a, *y = b;
  if (x->value != y->value) return (x->value > y->value) - (x->value < y->value);
  return (x->index < y->index) - (x->index > y->index);
}

static int bench_components(size_t d, size_t repeats, int json) {
  const size_t nvec = 1024, n = nvec * d;
  double *x = malloc(n * sizeof *x);
  void *work = malloc(pt_sort_work_size(d));
  uint32_t *order = malloc(d * sizeof *order);
  pair *pairs = malloc(d * sizeof *pairs);
  gsl_rng *rng = pt_rng_alloc();
  if (!x || !work || !order || !pairs || !rng) {
    fprintf(stderr, "perturb bench: out of memory for d = %zu\n", d);
    free(x), free(work), free(order), free(pairs);
    if (rng) gsl_rng_free(rng);
    return 1;
  }
  double t_ours[1000], t_zig[1000], t_gsl[1000], t_sort[1000], t_qsort[1000];
  unsigned sink = 0;
  for (size_t r = 0; r < repeats; r++) {
    const pt_rng_id id = {3, PT_PURPOSE_PERTURB, r, 0, 0};
    double t0 = now_seconds();
    pt_noise_gaussian->sample_many(&id, 0, nvec, d, x);
    t_ours[r] = (now_seconds() - t0) / (double)n * 1e9;
    t0 = now_seconds();
    for (size_t v = 0; v < nvec; v++) {
      const pt_rng_id iv = {3, PT_PURPOSE_PERTURB, r, v, 0};
      pt_rng_seek(rng, &iv);
      pt_noise_gaussian_ziggurat->sample(rng, d, x + v * d);
    }
    t_zig[r] = (now_seconds() - t0) / (double)n * 1e9;
    pt_rng_seek(rng, &id);
    t0 = now_seconds();
    for (size_t v = 0; v < nvec; v++) {
      const pt_rng_id iv = {3, PT_PURPOSE_PERTURB, r, v, 0};
      pt_rng_seek(rng, &iv);
      for (size_t j = 0; j < d; j++) x[v * d + j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
    }
    t_gsl[r] = (now_seconds() - t0) / (double)n * 1e9;
    t0 = now_seconds();
    for (size_t v = 0; v < nvec; v++) {
      pt_sort_order(d, x + v * d, work, order);
      sink += order[0];
    }
    t_sort[r] = (now_seconds() - t0) / (double)n * 1e9;
    t0 = now_seconds();
    for (size_t v = 0; v < nvec; v++) {
      for (size_t j = 0; j < d; j++) pairs[j] = (pair){x[v * d + j], (uint32_t)j};
      qsort(pairs, d, sizeof *pairs, cmp_pair);
      sink += pairs[0].index;
    }
    t_qsort[r] = (now_seconds() - t0) / (double)n * 1e9;
  }
  if (sink == 0xFFFFFFFFu) fputs("", stderr);
  const double a = median(t_ours, repeats), z = median(t_zig, repeats), b = median(t_gsl, repeats),
               c = median(t_sort, repeats), e = median(t_qsort, repeats);
  if (json)
    printf("{\"d\":%zu,\"repeats\":%zu,\"simd\":\"%s\",\"gaussian_ns\":%.4g,\"ziggurat_ns\":%.4g,"
           "\"gsl_ziggurat_ns\":%.4g,\"sort_ns_per_element\":%.4g,\"qsort_ns_per_element\":%.4g}\n",
           d, repeats, pt_simd_name(pt_simd_active()), a, z, b, c, e);
  else
    printf("%6zu %14.2f %14.2f %16.2f %14.2f %14.2f\n", d, a, z, b, c, e);
  free(x), free(work), free(order), free(pairs);
  gsl_rng_free(rng);
  return 0;
}

static void bench_usage(FILE *out) {
  fputs("usage: perturb bench [--d LIST] [--M LIST] [--B N] [--repeats R] [--noise NAME] [--json]\n"
        "                    [--components]\n"
        "Times the perturbed Fenchel-Young gradient for ranking with Gaussian noise on B\n"
        "instances of dimension d with M samples each (defaults: d = 10,100,1000,\n"
        "M = 1,10,100,1000, B = 256, R = 3), beside two floors: drawing the M*d Gaussians\n"
        "and sorting, alone (floor), and drawing the Gaussians alone (gauss). Reports\n"
        "label-perturbations per second (B*M*d / time), medians over R repeats, and each\n"
        "floor's rate over the gradient's (floor/fy, gauss/fy: the gradient's time in\n"
        "floors); --json prints one JSON object per line. --noise gaussian-ziggurat times\n"
        "the gradient with the earlier sampler (the floors always use the fastest).\n"
        "With --components, times the parts of the floor instead, beside the library\n"
        "routines they replace: ns per Gaussian (perturb's SIMD sampler, its ziggurat, and\n"
        "GSL's ziggurat on the same stream) and ns per element sorted (perturb's sort, libc\n"
        "qsort of pairs).\n",
        out);
}

int pt_cli_bench(int argc, char **argv) {
  size_t ds[MAX_LIST] = {10, 100, 1000}, nd = 3;
  size_t Ms[MAX_LIST] = {1, 10, 100, 1000}, nM = 4;
  size_t B = 256, repeats = 3;
  int json = 0, components = 0;
  const pt_noise_type *noise = pt_noise_gaussian;
  for (int i = 1; i < argc; i++) {
    const char *v;
    if (strcmp(argv[i], "--help") == 0) {
      bench_usage(stdout);
      return 0;
    } else if (strcmp(argv[i], "--json") == 0) {
      json = 1;
    } else if (strcmp(argv[i], "--noise") == 0) {
      if (!(v = pt_arg_value(argc, argv, &i))) return 2;
      noise = pt_noise_by_name(v);
      if (noise == NULL || !pt_noise_is_gaussian(noise)) {
        fprintf(stderr, "perturb bench: --noise %s is not one of gaussian, gaussian-ziggurat\n", v);
        return 2;
      }
    } else if (strcmp(argv[i], "--components") == 0) {
      components = 1;
    } else if (strcmp(argv[i], "--d") == 0) {
      if (!(v = pt_arg_value(argc, argv, &i)) || pt_arg_size_list("--d", v, 2, 1u << 20, ds, MAX_LIST, &nd)) return 2;
    } else if (strcmp(argv[i], "--M") == 0) {
      if (!(v = pt_arg_value(argc, argv, &i)) || pt_arg_size_list("--M", v, 1, 1u << 20, Ms, MAX_LIST, &nM)) return 2;
    } else if (strcmp(argv[i], "--B") == 0) {
      if (!(v = pt_arg_value(argc, argv, &i)) || pt_arg_size("--B", v, 1, 1u << 20, &B)) return 2;
    } else if (strcmp(argv[i], "--repeats") == 0) {
      if (!(v = pt_arg_value(argc, argv, &i)) || pt_arg_size("--repeats", v, 1, 1000, &repeats)) return 2;
    } else {
      fprintf(stderr, "perturb bench: unknown option '%s' (try perturb bench --help)\n", argv[i]);
      return 2;
    }
  }
  if (components) {
    if (!json)
      printf("kernels: %s\n%6s %14s %14s %16s %14s %14s\n", pt_simd_name(pt_simd_active()), "d", "gaussian ns",
             "ziggurat ns", "gsl ziggurat ns", "sort ns/elem", "qsort ns/elem");
    for (size_t a = 0; a < nd; a++)
      if (bench_components(ds[a], repeats, json) != 0) return 1;
    return 0;
  }
  if (!json)
    printf("kernels: %s, noise: %s\n%6s %6s %5s %12s %14s %14s %8s %14s %8s\n", pt_simd_name(pt_simd_active()),
           noise->name, "d", "M", "B",
           "seconds", "label-pert/s", "floor l-p/s", "floor/fy", "gauss l-p/s", "gauss/fy");
  int rc = 0;
  size_t Mmax = 1;
  for (size_t b = 0; b < nM; b++) Mmax = Ms[b] > Mmax ? Ms[b] : Mmax;
  for (size_t a = 0; a < nd && rc == 0; a++) {
    const size_t d = ds[a];
    pt_solver *solver = NULL;
    double *theta = malloc(B * d * sizeof *theta), *y = malloc(B * d * sizeof *y);
    double *grad = malloc(B * d * sizeof *grad), *z = malloc(Mmax * d * sizeof *z);
    void *keys = malloc(pt_sort_work_size(d));
    uint32_t *order = malloc(d * sizeof *order);
    gsl_rng *rng = pt_rng_alloc();
    if (!theta || !y || !grad || !z || !keys || !order || !rng || pt_solver_ranking_alloc(d, &solver) != PT_OK) {
      fprintf(stderr, "perturb bench: out of memory for d = %zu\n", d);
      rc = 1;
    }
    if (rc == 0) {
      /* θ ~ N(0, I), targets = ranking of an independent draw */
      for (size_t i = 0; i < B; i++) {
        const pt_rng_id id = {7, PT_PURPOSE_DATA, 0, i, 0};
        pt_rng_seek(rng, &id);
        pt_noise_gaussian_ziggurat->sample(rng, d, theta + i * d);
        pt_noise_gaussian_ziggurat->sample(rng, d, z);
        pt_solver_solve(solver, z, y + i * d);
      }
    }
    for (size_t b = 0; b < nM && rc == 0; b++) {
      const size_t M = Ms[b];
      pt_perturbed *p = NULL;
      double t_fy[1000], t_floor[1000], t_gauss[1000];
      if (pt_perturbed_alloc(solver, noise, 1.0, M, &p) != PT_OK) {
        fprintf(stderr, "perturb bench: %s\n", pt_last_error());
        rc = 1;
        break;
      }
      pt_perturbed_set_stream(p, 1, 0);
      for (size_t r = 0; r < repeats && rc == 0; r++) {
        const double t0 = now_seconds();
        if (pt_loss_fy(p, B, theta, y, NULL, NULL, grad) != PT_OK) {
          fprintf(stderr, "perturb bench: %s\n", pt_last_error());
          rc = 1;
        }
        t_fy[r] = now_seconds() - t0;
        t_floor[r] = floor_once(B, M, d, z, keys, order, 1);
        t_gauss[r] = floor_once(B, M, d, z, keys, order, 0);
      }
      pt_perturbed_free(&p);
      if (rc) break;
      const double work = (double)B * (double)M * (double)d;
      const double tf = median(t_fy, repeats), tl = median(t_floor, repeats), tg = median(t_gauss, repeats);
      if (json)
        printf("{\"solver\":\"ranking\",\"noise\":\"%s\",\"simd\":\"%s\",\"d\":%zu,\"M\":%zu,\"B\":%zu,\"repeats\":%zu,"
               "\"seconds\":%.6g,\"label_perturbations_per_s\":%.6g,\"floor_seconds\":%.6g,"
               "\"floor_label_perturbations_per_s\":%.6g,\"floor_ratio\":%.4f,\"gaussian_floor_seconds\":%.6g,"
               "\"gaussian_floor_label_perturbations_per_s\":%.6g,\"gaussian_floor_ratio\":%.4f}\n",
               noise->name, pt_simd_name(pt_simd_active()), d, M, B, repeats, tf, work / tf, tl, work / tl, tf / tl, tg, work / tg,
               tf / tg);
      else
        printf("%6zu %6zu %5zu %12.4f %14.4g %14.4g %8.3f %14.4g %8.3f\n", d, M, B, tf, work / tf, work / tl, tf / tl,
               work / tg, tf / tg);
      fflush(stdout);
    }
    pt_solver_free(&solver);
    if (rng) gsl_rng_free(rng);
    free(theta);
    free(y);
    free(grad);
    free(z);
    free(keys);
    free(order);
  }
  return rc;
}
