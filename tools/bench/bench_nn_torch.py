#!/usr/bin/env python3
"""PyTorch eager baselines for benchmarks/bench_nn.cpp, on the same CPU (docs/perf/nn.md).

  /usr/bin/python3 tools/bench/bench_nn_torch.py [--repeat 3] [--threads N] [--cpp build/benchmarks/bench_nn]

With --cpp, the C++ benchmarks run in the same invocation right after the PyTorch ones and the ratios
are printed (scan speed-up, sparse vs dense conv voxels/s, linear vs raw sgemm time).

1. Bidirectional selective scan, d_inner 128, d_state 16, 30k tokens in groups of 4096: the eager scan
   (one step per token, vectorised over groups, channels and states, as in mamba_ssm's selective_scan_ref),
   run forward and on the reversed groups, like LION's two directions. The last group is padded to 4096.
2. Dense conv3d 64 -> 64, kernel 3, padding 1 over the (8, 200, 176) grid that bench_nn's submanifold
   conv uses (40k occupied voxels): reported as voxels (of the 40k) per second.
Prints one line per measurement: name, best seconds, and the rate.
"""
import argparse
import json
import math
import subprocess
import time

import torch
import torch.nn.functional as F


def softplus20(x):
    return torch.where(x > 20, x, torch.log1p(torch.exp(x)))


def scan_eager(u, delta, A, Bm, Cm, D, z):
    """u, delta, z: (groups, L, Di); A: (Di, N); Bm, Cm: (groups, L, N)."""
    dt = softplus20(delta)
    state = u.new_zeros(u.shape[0], u.shape[2], A.shape[1])
    ys = []
    for t in range(u.shape[1]):
        dA = torch.exp(dt[:, t, :, None] * A)
        state = dA * state + (dt[:, t] * u[:, t])[:, :, None] * Bm[:, t, None, :]
        ys.append((state * Cm[:, t, None, :]).sum(-1))
    y = torch.stack(ys, dim=1) + u * D
    return y * F.silu(z)


CPU_TIMES = {}


def best_of(fn, repeat, name=None):
    """Best wall time; the CPU time of that run is kept in CPU_TIMES[name] (robust to a loaded host)."""
    best, best_cpu = math.inf, math.inf
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        t, c = time.perf_counter() - t0, time.process_time() - c0
        if t < best:
            best, best_cpu = t, c
    if name:
        CPU_TIMES[name] = best_cpu
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: PyTorch default)')
    ap.add_argument('--cpp', help='path of the bench_nn binary to run right after (prints ratios)')
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    torch.manual_seed(0)

    tokens, G, Di, N = 30000, 4096, 128, 16
    groups = math.ceil(tokens / G)
    u = torch.randn(groups, G, Di)
    delta = torch.rand(groups, G, Di) * -4
    A = -torch.rand(Di, N) * 8
    Bm, Cm = torch.randn(groups, G, N), torch.randn(groups, G, N)
    D, z = torch.randn(Di), torch.randn(groups, G, Di)

    def bidirectional():
        with torch.no_grad():
            yf = scan_eager(u, delta, A, Bm, Cm, D, z)
            yb = scan_eager(u.flip(1), delta.flip(1), A, Bm.flip(1), Cm.flip(1), D, z.flip(1)).flip(1)
            return yf + yb

    t_scan = best_of(bidirectional, args.repeat, 'scan')
    print(f'torch_selective_scan_bidirectional {t_scan:.4f} s (cpu {CPU_TIMES["scan"]:.4f} s)  '
          f'{tokens / t_scan:.0f} tokens/s')

    x = torch.randn(1, 64, 8, 200, 176)
    w = torch.randn(64, 64, 3, 3, 3) / 40
    with torch.no_grad():
        t_conv = best_of(lambda: F.conv3d(x, w, padding=1), args.repeat, 'conv')
    print(f'torch_dense_conv3d_64ch_8x200x176 {t_conv:.4f} s (cpu {CPU_TIMES["conv"]:.4f} s)  '
          f'{40000 / t_conv:.0f} voxels/s (of 40000 occupied)')

    if args.cpp:
        out = subprocess.run([args.cpp, '--benchmark_format=json', '--benchmark_repetitions=3',
                              '--benchmark_report_aggregates_only=true'],
                             check=True, capture_output=True, text=True).stdout
        best = {}
        for b in json.loads(out)['benchmarks']:
            if b.get('aggregate_name') == 'median':
                name = b['run_name'].replace('/real_time', '')
                best[name] = b['real_time'] / 1e3  # ms -> s
                best['cpu:' + name] = b['cpu_time'] / 1e3
        scan = best['BM_SelectiveScanBidirectional']
        conv = best['BM_SubmConv3x3x3']
        cpu = best['cpu:BM_SelectiveScanBidirectional']
        print(f'cpp_selective_scan_bidirectional {scan:.4f} s (cpu of the calling thread {cpu:.4f} s)  '
              f'speed-up over torch eager: {t_scan / scan:.1f}x wall, {CPU_TIMES["scan"] / cpu:.1f}x cpu '
              '(cpu ratio meaningful with LIDARDET_NN_THREADS=1 and torch on 1 thread)')
        print(f'cpp_subm_conv3x3x3_64ch_40k {conv:.4f} s  {40000 / conv:.0f} voxels/s, '
              f'{t_conv / conv:.1f}x the dense torch conv3d')
        for name, t in sorted(best.items()):
            if name.startswith('BM_Linear/') and not name.startswith('cpu:'):
                raw = best['BM_RawSgemm/' + name.split('/', 1)[1]]
                print(f'{name} {t * 1e3:.2f} ms  raw sgemm {raw * 1e3:.2f} ms  ratio {t / raw:.3f}')


if __name__ == '__main__':
    main()
