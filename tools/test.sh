#!/usr/bin/env bash
# Runs the whole test suite: the plain build, the AddressSanitizer + UBSan build, and the
# Python (PyTorch reference) tests. Installs missing Debian packages first.
#   tools/test.sh              everything
#   tools/test.sh --plain      the plain build only
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --deps-only
JOBS=${JOBS:-$(nproc)}
status=0

run_suite() {  # name, build dir, extra cmake args...
  local name=$1 dir=$2
  shift 2
  echo "=== lidardet: $name build ($dir)"
  cmake -S . -B "$dir" -G Ninja "$@"
  cmake --build "$dir" -j "$JOBS"
  (cd "$dir" && ctest --output-on-failure -j "$JOBS" --timeout 900) || status=1
}

run_suite plain build -DCMAKE_BUILD_TYPE=Release
if [ "${1:-}" != "--plain" ]; then
  # CUDA code is compiled by the plain build; the sanitizer build checks host code only.
  run_suite sanitizer build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIDARDET_SANITIZE=ON \
    -DLIDARDET_CUDA=OFF -DLIDARDET_BENCHMARKS=OFF
  if [ -d tests/python ]; then
    echo "=== lidardet: Python reference tests"
    /usr/bin/python3 -m pytest -q tests/python || status=1
  fi
fi
exit $status
