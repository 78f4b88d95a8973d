#!/usr/bin/env python3
"""Times the PyTorch reference per stage on one frame, for comparison with `lidardet bench detect`.

  /usr/bin/python3 tools/bench_reference.py --config configs/lion_mamba_kitti_small.yaml [--frame x.bin|x.npy]
      [--weights ckpt.pth | --save-weights random.safetensors] [--repeats 3] [--threads 1] [--device cpu|cuda]

Reports the median wall time of each stage over the repeats (after one warm-up run), in milliseconds.
--frame takes a KITTI .bin (N x 4 float32) or an .npy (N x 4 or N x 5 float32: x, y, z, intensity[, elongation]).
Without --weights the model keeps its seeded random initialisation; --save-weights writes those weights as
safetensors, so that `lidardet bench detect --weights` times the same model (full-size configs have no trained
weights; timing does not depend on their values).
--repeats 0 only writes --save-weights, running nothing.
--device cuda runs the model on the GPU (needs torch with CUDA); each stage clock starts and stops after
torch.cuda.synchronize(), as `lidardet bench detect --backend cuda` synchronises its backend.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference.config import load_config  # noqa: E402
from reference.detector import FlatFormerDetector, build_detector  # noqa: E402
from reference.safetensors_io import load_file, save_file  # noqa: E402
from reference.synthetic import make_frame  # noqa: E402


def stages(model, points):
    """Runs the detector stage by stage; yields (name, callable) pairs sharing state."""
    st = {}
    if isinstance(model, FlatFormerDetector):
        plan = [
            ('vfe', lambda: st.update(zip(('f', 'c'), model.voxel_encoder(model.filter_points(points))))),
            ('backbone_3d', lambda: st.update(f=model.middle_encoder(st['f'], st['c'], 1))),
            ('map_to_bev', lambda: st.update(bev=model.scatter(st['f'], st['c'], 1))),
            ('backbone_2d', lambda: st.update(x=model.neck(model.backbone(st['bev'])))),
            ('dense_head', lambda: st.update(p=model.bbox_head(st['x']))),
            ('post_process', lambda: st.update(out=model.post_process(st['p'], 1))),
        ]
    else:
        plan = [
            ('vfe', lambda: st.update(zip(('f', 'c'), model.vfe(points)))),
            ('backbone_3d', lambda: st.update(s=model.backbone_3d(st['f'], st['c'], 1))),
            ('map_to_bev', lambda: st.update(bev=model.map_to_bev_module(st['s']))),
            ('backbone_2d', lambda: st.update(x=model.backbone_2d(st['bev']))),
            ('dense_head', lambda: st.update(p=model.dense_head(st['x']))),
            ('post_process', lambda: st.update(out=model.post_process(st['p'], 1))),
        ]
    return plan, st


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--config', required=True)
    ap.add_argument('--frame', default=None)
    ap.add_argument('--weights', default=None)
    ap.add_argument('--save-weights', default=None, help='write the (random) weights used as .safetensors')
    ap.add_argument('--repeats', type=int, default=3, help='timed runs; 0: only --save-weights')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    args = ap.parse_args()
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: this torch has no usable CUDA device')
    device = torch.device(args.device)

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize()
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    torch.manual_seed(0)
    model = build_detector(cfg).eval()
    if args.weights:
        if args.weights.endswith('.safetensors'):
            ck = load_file(args.weights)
            ck = ck[0] if isinstance(ck, tuple) else ck
        else:
            ck = torch.load(args.weights, map_location='cpu')
        model.load_state_dict(ck.get('model_state', ck.get('state_dict', ck)))
    model = model.to(device)
    if args.save_weights:
        save_file({k: v.cpu() for k, v in model.state_dict().items()}, args.save_weights, {'config': args.config, 'generator': 'tools/bench_reference.py'})
    if args.repeats == 0:  # only --save-weights: no forward pass (full sizes are slow on a CPU)
        return
    if args.frame and args.frame.endswith('.npy'):
        pts = np.load(args.frame).astype(np.float32)
        if pts.ndim != 2 or pts.shape[1] not in (4, 5):
            raise SystemExit(f'{args.frame}: expected an (N, 4) or (N, 5) array, got {pts.shape}')
    elif args.frame:
        pts = np.fromfile(args.frame, dtype=np.float32).reshape(-1, 4)
    else:
        r = cfg.DATA_CONFIG.POINT_CLOUD_RANGE
        pts, _, _ = make_frame(0, [r[0], r[1], -3, r[3], r[4], 1])
    n_feat = len(cfg.DATA_CONFIG.POINT_FEATURE_ENCODING['used_feature_list'])
    if n_feat == 5 and pts.shape[1] == 4:
        pts = np.concatenate([pts, np.zeros((len(pts), 1), np.float32)], 1)
    pts = pts[:, :n_feat]
    points = torch.from_numpy(np.concatenate([np.zeros((len(pts), 1), np.float32), pts], 1)).to(device)
    times = {}
    with torch.no_grad():
        for rep in range(args.repeats + 1):
            plan, st = stages(model, points)
            for name, fn in plan:
                sync()
                t = time.perf_counter()
                fn()
                sync()
                if rep > 0:
                    times.setdefault(name, []).append((time.perf_counter() - t) * 1e3)
    total = 0.0
    where = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'{args.threads} thread(s)'
    print(f'config {args.config}, {len(points)} points, {where}, median of {args.repeats}')
    for name, v in times.items():
        m = statistics.median(v)
        total += m
        print(f'{name:14s} {m:10.1f} ms')
    print(f'{"total":14s} {total:10.1f} ms')


if __name__ == '__main__':
    main()
