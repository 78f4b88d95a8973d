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
cmake --build "$BUILD" -j "$JOBS" --target lidardet_cuda test_cuda test_models lidardet_cli || exit 1
for b in bench_voxel bench_window; do
  cmake --build "$BUILD" -j "$JOBS" --target "$b" || status=1
done

echo "== CUDA tests (CPU vs CUDA: ops, voxelizer, sorter, the Detector on every model family)"
"$BUILD/tests/test_cuda" --gtest_color=no || status=1
echo "== model tests in the CUDA build (device-emulating backend, --backend cuda on a device)"
"$BUILD/tests/test_models" --gtest_color=no --gtest_filter='DeviceClean*:DetectorBackend*:DetectCli.Cuda*' \
  || status=1

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

# The detector on the GPU (issue #8): both families at official size with seeded random weights
# of the right shapes (written by the PyTorch reference, which then times the same model), on a
# simulated frame; lidardet synchronises the device around every stage clock.
echo "== detector on the GPU: lidardet bench detect --backend cuda, PyTorch reference on the GPU"
DET="$BUILD/gpu_detect"
mkdir -p "$DET"
LD="$BUILD/apps/lidardet"
PY=/usr/bin/python3
"$LD" simulate --frames 1 --seed 7 --out "$DET/simk" > /dev/null || status=1
"$LD" simulate --sensor waymo-top --frames 1 --seed 7 --out "$DET/simw" > /dev/null || status=1
KFRAME="$DET/simk/training/velodyne/000000.bin"
WFRAME="$DET/waymo_frame.npy"
# Waymo models take vehicle-frame points (z + 2.184 m sensor height) with an elongation column.
"$PY" -c "import numpy as np, sys; p=np.fromfile(sys.argv[1], np.float32).reshape(-1,4).copy(); \
p[:,2]+=2.184; np.save(sys.argv[2], np.concatenate([p, np.zeros((len(p),1),np.float32)],1))" \
  "$DET/simw/training/velodyne/000000.bin" "$WFRAME" || status=1
HAVE_TORCH_CUDA=0
"$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null \
  && HAVE_TORCH_CUDA=1
for pair in "lion_mamba_kitti:$KFRAME" "flatformer_waymo:$WFRAME"; do
  cfg=${pair%%:*}
  frame=${pair#*:}
  w="$DET/${cfg}_random.safetensors"
  "$PY" tools/bench_reference.py --config "configs/$cfg.yaml" --save-weights "$w" --repeats 0 \
    || { status=1; continue; }
  # The CPU backend at full size takes tens of seconds a frame: only on request
  # (GPU_CHECK_CPU_BASELINE=1), to keep this script inside a short device lease.
  backends=cuda
  [ "${GPU_CHECK_CPU_BASELINE:-0}" = 1 ] && backends="cuda cpu"
  for backend in $backends; do
    reps=20
    [ "$backend" = cpu ] && reps=1
    echo "-- lidardet $cfg --backend $backend"
    "$LD" bench detect --config "configs/$cfg.yaml" --weights "$w" --input "$frame" \
      --backend "$backend" --repeat "$reps" --warmup 1 \
      --json "$DET/${cfg}_${backend}.json" || status=1
  done
  if [ "$HAVE_TORCH_CUDA" = 1 ]; then
    echo "-- PyTorch reference $cfg on the GPU (same weights, same frame)"
    "$PY" tools/bench_reference.py --config "configs/$cfg.yaml" --weights "$w" --frame "$frame" \
      --device cuda --repeats 10 || status=1
  else
    echo "-- PyTorch reference on the GPU skipped: this torch has no CUDA (torch.cuda.is_available() is false)"
  fi
done

echo "== gpu_check exit status $status"
exit $status
