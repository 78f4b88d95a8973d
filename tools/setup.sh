#!/usr/bin/env bash
# Sets lidardet up on a fresh Debian 12 machine: installs the Debian packages it needs
# (idempotent: apt only runs when something is missing), builds it into build/, and runs the
# main job (simulate a small KITTI-format sample, detect with the shipped weights, evaluate).
#   tools/setup.sh              install + build + main job
#   tools/setup.sh --deps-only  install only
#   tools/setup.sh --no-run     install + build
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libeigen3-dev libyaml-cpp-dev                    # the core library
  libcli11-dev nlohmann-json3-dev libfmt-dev       # the CLI
  zlib1g-dev libdeflate-dev libpng-dev libopenblas-dev  # range images, PNG output, GEMM
  libgtest-dev libgmock-dev libbenchmark-dev       # tests and benchmarks
  libpcl-dev libopen3d-dev                         # optional adapters and baselines
  python3 python3-torch python3-numpy python3-yaml python3-pytest  # tools/ (PyTorch reference)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
[ "${1:-}" = "--deps-only" ] && exit 0

JOBS=${JOBS:-$(nproc)}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$JOBS"
[ "${1:-}" = "--no-run" ] && exit 0

exec tools/demo.sh
