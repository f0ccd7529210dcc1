#!/usr/bin/env bash
# install-deps.sh: installs perturb's build and run dependencies from Debian's
# archive (Debian 12). Does nothing when they are all present already. Needs
# root (or sudo) only when something is missing. --tests adds the packages
# only the tests need (below).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libopenblas-dev libgsl-dev librandom123-dev libinih-dev zlib1g-dev
  python3-h5py python3-matplotlib python3-numpy python3-sklearn
)

# Optional groups, for what only the test suite needs (scripts/test.sh passes
# both; the default install is what a user needs to build and run):
#   --tests  a single-node Slurm and munge, for tests/slurm.sh;
#   --fuzz   clang with libFuzzer's runtime, and llvm-symbolizer for readable
#            sanitizer stacks (tests/fuzz/run.sh);
#   --bench  PyTorch for scripts/bench_cnn_torch.py (≈ 50 MB to download,
#            160 packages; not used by the tests).
for arg in "$@"; do
  case $arg in
    --tests) packages+=(slurmctld slurmd slurm-client munge) ;;
    --fuzz) packages+=(clang libclang-rt-14-dev llvm) ;;
    --bench) packages+=(python3-torch) ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-deps: run as root, or install: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
