#!/usr/bin/env bash
# GPU check: configure with the CUDA backend, build, run the CUDA tests (CPU vs CUDA, bit for
# bit) and the GPU benchmarks, printing everything. Run on a machine with a CUDA GPU:
#   tools/gpu_check.sh [BUILD_DIR]        (default build-gpu)
# Other engineers append their GPU benchmarks in the marked section at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-gpu}
JOBS=${JOBS:-$(nproc)}
status=0

echo "== device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || true

echo "== configure ($BUILD)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLIDARDET_CUDA=ON || exit 1

echo "== build"
cmake --build "$BUILD" -j "$JOBS" --target lidardet_cuda test_cuda lidardet_cli || exit 1
for b in bench_voxel bench_window; do
  cmake --build "$BUILD" -j "$JOBS" --target "$b" || status=1
done

echo "== CUDA tests (CPU vs CUDA bit for bit)"
"$BUILD/tests/test_cuda" --gtest_color=no || status=1

echo "== voxelizer benchmarks (CUDA and CPU, same process)"
"$BUILD/benchmarks/bench_voxel" --benchmark_min_time=0.2 || status=1
echo "== window sorter benchmarks"
"$BUILD/benchmarks/bench_window" --benchmark_min_time=0.2 || status=1
echo "== lidardet bench voxel"
for kind in hdl64 waymo; do
  "$BUILD/apps/lidardet" bench voxel --synthetic "$kind" --repeat 20 \
    --json "$BUILD/bench_voxel_$kind.json" || status=1
done

# ---- other GPU benchmarks (append below) ----

echo "== gpu_check exit status $status"
exit $status
