#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_DIR: installs libperturb into a temporary
# prefix and builds the own-solver example against it twice, as another
# project would: with pkg-config, and with CMake's find_package(perturb).
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null

# 1. pkg-config
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
cc -std=c11 -Wall -Werror "$src/examples/own_solver.c" $(pkg-config --cflags --libs perturb) \
  -Wl,-rpath,"$tmp/prefix/lib" -o "$tmp/own_pc"
"$tmp/own_pc" | tail -1
echo "ok: built and ran the example with pkg-config"

# 2. CMake package
mkdir -p "$tmp/consumer"
cp "$src/examples/own_solver.c" "$tmp/consumer/"
cat > "$tmp/consumer/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.22)
project(consumer C)
find_package(perturb REQUIRED)
add_executable(own_solver own_solver.c)
target_link_libraries(own_solver PRIVATE perturb::perturb)
CM
cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer/build" >/dev/null
"$tmp/consumer/build/own_solver" | tail -1
echo "ok: built and ran the example with find_package(perturb)"
