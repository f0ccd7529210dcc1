/*
 * own_solver.c — make your own solver differentiable with libperturb.
 *
 * The solver below is written by "a user": pick at most K items, only those
 * with a positive score, best first. It is an argmax of ⟨y, θ⟩ over the 0/1
 * vectors with at most K ones, so it fits perturb's contract
 * y*(θ) = argmax_{y ∈ C} ⟨y, θ⟩. Wrapping it takes one call
 * (pt_solver_callback_alloc); training θ so that the perturbed solver
 * reproduces a target decision y takes the perturbed Fenchel–Young loss,
 * whose gradient is ŷ_ε(θ) − y.
 *
 * Build against an installed libperturb:
 *   cc own_solver.c $(pkg-config --cflags --libs perturb) -o own_solver
 * Run: ./own_solver   (prints the loss going down and the learned decision)
 */
#include <stdio.h>
#include <stdlib.h>

#include <perturb/perturb.h>

#define D 8
#define K 3

/* The user's solver: the (at most) K largest positive entries get a 1.
 * ctx carries K. Ties go to the smaller index. Returns 0 on success. */
static int pick_at_most_k(void *ctx, size_t d, const double *theta, double *y) {
  const size_t k = *(const size_t *)ctx;
  for (size_t j = 0; j < d; j++) y[j] = 0.0;
  for (size_t chosen = 0; chosen < k; chosen++) {
    size_t best = d;
    for (size_t j = 0; j < d; j++)
      if (y[j] == 0.0 && theta[j] > 0 && (best == d || theta[j] > theta[best])) best = j;
    if (best == d) break; /* no positive score left */
    y[best] = 1.0;
  }
  return 0;
}

int main(void) {
  size_t k = K;
  /* The decision we want the model to make: items 1, 4 and 6. */
  const double target[D] = {0, 1, 0, 0, 1, 0, 1, 0};
  double theta[D] = {0}, grad[D], loss;

  pt_solver *solver = NULL;
  pt_perturbed *perturbed = NULL;
  if (pt_solver_callback_alloc(D, pick_at_most_k, &k, &solver) != PT_OK ||
      pt_perturbed_alloc(solver, pt_noise_gaussian, 0.5, 100, &perturbed) != PT_OK) {
    fprintf(stderr, "own_solver: %s\n", pt_last_error());
    return 1;
  }

  /* The value is the FY loss up to the constant εΩ(y) (perturb/loss.h); with
   * M = 100 samples it carries Monte-Carlo noise, hence small negative values. */
  printf("%5s  %10s   (FY loss up to the constant eps*Omega(y); M = 100)\n", "step", "FY loss");
  const double lr = 0.5;
  for (int step = 0; step <= 200; step++) {
    pt_perturbed_set_stream(perturbed, 2026, (uint64_t)step); /* fresh noise every step */
    if (pt_loss_fy(perturbed, 1, theta, target, NULL, &loss, grad) != PT_OK) {
      fprintf(stderr, "own_solver: %s\n", pt_last_error());
      return 1;
    }
    if (step % 40 == 0) printf("%5d  %10.4f\n", step, loss);
    for (int j = 0; j < D; j++) theta[j] -= lr * grad[j];
  }

  double decision[D];
  pt_solver_solve(solver, theta, decision);
  int ok = 1;
  printf("learned decision:");
  for (int j = 0; j < D; j++) {
    printf(" %g", decision[j]);
    ok &= decision[j] == target[j];
  }
  printf("\n%s\n", ok ? "matches the target" : "does NOT match the target");
  pt_perturbed_free(&perturbed);
  pt_solver_free(&solver);
  return ok ? 0 : 1;
}
