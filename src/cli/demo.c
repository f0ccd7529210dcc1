/* demo.c: `perturb demo` shows the library's central identity on a small case:
 * with Gumbel noise on the simplex, the perturbed argmax is softmax(θ/ε) and
 * the perturbed max is ε·logsumexp(θ/ε) + εγ (paper §2, "Gumbel-max trick"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "perturb/perturb.h"

#define EULER_GAMMA 0.57721566490153286061
#define DEMO_D 5

static void demo_usage(FILE *out) {
  fputs("usage: perturb demo [--epsilon E] [--seed S]\n"
        "Estimates y_eps(theta) and F_eps(theta) for the argmax solver with Gumbel noise at\n"
        "M = 10 ... 10^6 samples and compares them with softmax(theta/eps) and\n"
        "eps*logsumexp(theta/eps) + eps*gamma. Errors shrink like 1/sqrt(M).\n",
        out);
}

int pt_cli_demo(int argc, char **argv) {
  double eps = 1.0;
  size_t seed = 42;
  for (int i = 1; i < argc; i++) {
    const char *v;
    if (strcmp(argv[i], "--help") == 0) {
      demo_usage(stdout);
      return 0;
    } else if (strcmp(argv[i], "--epsilon") == 0) {
      if (!(v = pt_arg_value(argc, argv, &i)) || pt_arg_double("--epsilon", v, &eps) != 0) return 2;
      if (!(eps > 0)) {
        fprintf(stderr, "perturb demo: --epsilon must be > 0 (got %g)\n", eps);
        return 2;
      }
    } else if (strcmp(argv[i], "--seed") == 0) {
      if (!(v = pt_arg_value(argc, argv, &i)) || pt_arg_size("--seed", v, 0, SIZE_MAX, &seed) != 0) return 2;
    } else {
      fprintf(stderr, "perturb demo: unknown option '%s' (try perturb demo --help)\n", argv[i]);
      return 2;
    }
  }

  const double theta[DEMO_D] = {1.0, 0.5, 0.5, -1.0, 2.0};
  double soft[DEMO_D], tmax = theta[0], z = 0.0;
  for (int j = 0; j < DEMO_D; j++) tmax = fmax(tmax, theta[j]);
  for (int j = 0; j < DEMO_D; j++) z += exp((theta[j] - tmax) / eps);
  for (int j = 0; j < DEMO_D; j++) soft[j] = exp((theta[j] - tmax) / eps) / z;
  const double F_exact = tmax + eps * log(z) + eps * EULER_GAMMA;

  printf("perturbed argmax, Gumbel noise, theta = (1, 0.5, 0.5, -1, 2), eps = %g, seed = %zu\n", eps, seed);
  printf("softmax(theta/eps) = (");
  for (int j = 0; j < DEMO_D; j++) printf("%s%.4f", j ? ", " : "", soft[j]);
  printf("),  eps*lse(theta/eps) + eps*gamma = %.6f\n\n", F_exact);
  printf("%9s  %14s  %14s  %12s  %12s\n", "M", "max|y-softmax|", "max SE(y)", "|F-exact|", "SE(F)");

  pt_solver *solver = NULL;
  pt_perturbed *p = NULL;
  int rc = 0;
  if (pt_solver_argmax_alloc(DEMO_D, &solver) != PT_OK) goto fail;
  for (size_t M = 10; M <= 1000000; M *= 10) {
    double y[DEMO_D], yse[DEMO_D], F, Fse;
    if (pt_perturbed_alloc(solver, pt_noise_gumbel, eps, M, &p) != PT_OK) goto fail;
    pt_perturbed_set_stream(p, seed, 0);
    if (pt_perturbed_maximizer(p, 1, theta, NULL, y, yse) != PT_OK) goto fail;
    if (pt_perturbed_maximum(p, 1, theta, NULL, &F, &Fse) != PT_OK) goto fail;
    double err = 0.0, se = 0.0;
    for (int j = 0; j < DEMO_D; j++) {
      err = fmax(err, fabs(y[j] - soft[j]));
      se = fmax(se, yse[j]);
    }
    printf("%9zu  %14.6f  %14.6f  %12.6f  %12.6f\n", M, err, se, fabs(F - F_exact), Fse);
    pt_perturbed_free(&p);
  }
  printf("\nThe errors stay within a few standard errors and fall like 1/sqrt(M).\n");
  goto done;
fail:
  fprintf(stderr, "perturb demo: %s\n", pt_last_error());
  rc = 1;
done:
  pt_perturbed_free(&p);
  pt_solver_free(&solver);
  return rc;
}
