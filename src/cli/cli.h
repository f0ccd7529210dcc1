/* cli.h (internal): the subcommands of the `perturb` command. Each takes the
 * arguments after its name and returns the process exit status. */
#ifndef PERTURB_CLI_H
#define PERTURB_CLI_H

/* perturb demo: the perturbed argmax with Gumbel noise against softmax. */
int pt_cli_demo(int argc, char **argv);
/* perturb bench: throughput of the FY gradient beside its floor. */
int pt_cli_bench(int argc, char **argv);
/* perturb folds: the nested cross-validation folds training makes of a
 * label-ranking dataset, as CSV (no MPI). */
int pt_cli_folds(int argc, char **argv);

/* perturb train / sweep / gen / import / eval / info (MPI initialised by main). */
int pt_cli_train(int argc, char **argv);
/* perturb sweep: a grid of training runs shared by groups of ranks (src/engine/sweep/sweep.h). */
int pt_cli_sweep(int argc, char **argv);
int pt_cli_gen(int argc, char **argv);
int pt_cli_import(int argc, char **argv);
int pt_cli_eval(int argc, char **argv);
int pt_cli_info(int argc, char **argv);

#endif
