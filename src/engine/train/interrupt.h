/* interrupt.h (internal): SIGTERM and SIGINT as a request to stop cleanly.
 *
 * A batch scheduler ends a job that reaches its time limit (or is preempted)
 * with SIGTERM, and SIGKILL a grace period later (Slurm: KillWait, 30 s by
 * default); a user at a terminal presses Ctrl-C. The handler only records the
 * signal; the training loop folds "some rank was signalled" into the step's
 * allreduce, so that every rank stops after the same step, writes a
 * checkpoint there and exits with 128 + the signal (see docs/engine.md,
 * "Interruption"). */
#ifndef PERTURB_INTERRUPT_H
#define PERTURB_INTERRUPT_H

/* Installs the handlers for SIGTERM and SIGINT (SA_RESTART: system calls in
 * progress go on). Not collective; call once per process, after MPI_Init. */
void pt_interrupt_install(void);

/* The signal this process received (SIGTERM or SIGINT; the first one), or 0.
 * Not collective: ranks may differ until they agree at a step boundary. */
int pt_interrupt_pending(void);

/* Records `sig` as the signal the ranks agreed to stop for (called on every
 * rank of the run after the agreement), so that main() exits with 128 + sig.
 * Not collective. */
void pt_interrupt_set_agreed(int sig);

/* The agreed signal (pt_interrupt_set_agreed), or 0 if the ranks did not stop
 * for one. Not collective. */
int pt_interrupt_agreed(void);

/* "SIGTERM", "SIGINT", or "signal N". Not collective. */
const char *pt_interrupt_name(int sig);

#endif
