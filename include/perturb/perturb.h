/**
 * @file perturb/perturb.h
 * @brief Umbrella header: everything in libperturb.
 */
#ifndef PERTURB_PERTURB_H
#define PERTURB_PERTURB_H

#include "perturb/version.h"
#include "perturb/error.h"
#include "perturb/rng.h"
#include "perturb/noise.h"
#include "perturb/solver.h"
#include "perturb/perturbed.h"
#include "perturb/loss.h"
#include "perturb/simd.h"

#endif
