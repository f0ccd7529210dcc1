/* interrupt.c: the SIGTERM/SIGINT handler and the agreed stop (interrupt.h). */
#define _POSIX_C_SOURCE 200809L
#include "train/interrupt.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t received = 0;
static int agreed = 0;

/* Only an assignment: anything else (stdio, MPI, HDF5) is not
 * async-signal-safe. The first signal is kept: a second one (Slurm signals
 * the ranks and mpirun, which forwards its own) changes nothing. */
static void on_signal(int sig) {
  if (received == 0) received = sig;
}

void pt_interrupt_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
}

int pt_interrupt_pending(void) { return received; }

void pt_interrupt_set_agreed(int sig) { agreed = sig; }

int pt_interrupt_agreed(void) { return agreed; }

const char *pt_interrupt_name(int sig) {
  static char other[32];
  if (sig == SIGTERM) return "SIGTERM";
  if (sig == SIGINT) return "SIGINT";
  snprintf(other, sizeof other, "signal %d", sig);
  return other;
}
