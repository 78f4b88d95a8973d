#!/usr/bin/env python3
"""Trains a reference model (tools/reference) on a KITTI-format dataset such as `lidardet simulate` writes.

  /usr/bin/python3 tools/train.py --config configs/lion_mamba_kitti_small.yaml --data datasets/generated/sim \
      --out out/lion_small --epochs 20
  /usr/bin/python3 tools/train.py --config ... --data ... --out ... --predict-only --ckpt out/x/latest_model.pth

Targets: AxisAlignedTargetAssigner (anchor head) or CenterPoint heatmaps (CenterHead); focal classification
loss, smooth-L1 (anchor) or L1 (center) box loss, direction loss; Adam with a one-cycle schedule. Checkpoints
use OpenPCDet's layout {'epoch', 'it', 'model_state', 'optimizer_state', 'version'} in the legacy container.
Runs on CUDA unchanged when a GPU is present. After training it writes KITTI result files for the val split.
"""
import argparse
import math
import os
import subprocess
import sys
import time

DEFAULT_THREADS = 1


def _pin_blas_threads(argv):
    """Debian's torch multiplies matrices in the system OpenBLAS, whose own thread pool ignores
    torch.set_num_threads and busy-waits on every core. --threads (or its default, when not given) must reach it
    through the environment before numpy and torch load it, or a one-thread run takes the whole machine."""
    n = str(DEFAULT_THREADS)
    for i, a in enumerate(argv):
        if a == '--threads' and i + 1 < len(argv):
            n = argv[i + 1]
        elif a.startswith('--threads='):
            n = a.split('=', 1)[1]
    if n.isdigit():
        for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'):
            os.environ.setdefault(var, n)


def _keep_large_blocks_in_heap():
    """glibc maps every allocation above 128 KiB fresh and unmaps it on free, so each step's BEV-sized tensors
    (~20 MB) are page-faulted in again: ~10-15 % of a CPU step. Keep blocks up to 32 MiB in the heap instead."""
    try:
        import ctypes
        libc = ctypes.CDLL('libc.so.6')
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD (its maximum on 64-bit)
        libc.mallopt(-1, 512 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


_pin_blas_threads(sys.argv[1:])
_keep_large_blocks_in_heap()

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference.anchor_head import AnchorHeadSingle  # noqa: E402
from reference.config import load_config  # noqa: E402
from reference.detector import build_detector  # noqa: E402
from reference.kitti_data import KittiDataset, read_split, write_kitti_result  # noqa: E402
from reference.targets import anchor_head_loss, center_head_loss  # noqa: E402

VERSION = 'pcdet+0.6.0+lidardet-reference'


def augment(points, boxes, rng, z_shift=0.0):
    """Random flip about the x axis, global rotation in [-pi/4, pi/4], global scaling in [0.95, 1.05], and
    (z_shift > 0) a vertical shift of the whole scene by U(-z_shift, z_shift) m. The shift moves points and box
    centres together, so a height head that predicts a mean z instead of reading it from the points is wrong."""
    points, boxes = points.copy(), boxes.copy()
    if rng.random() < 0.5:
        points[:, 1] = -points[:, 1]
        boxes[:, 1] = -boxes[:, 1]
        boxes[:, 6] = -boxes[:, 6]
    a = rng.uniform(-math.pi / 4, math.pi / 4)
    c, s = math.cos(a), math.sin(a)
    for arr in (points, boxes):
        x, y = arr[:, 0].copy(), arr[:, 1].copy()
        arr[:, 0], arr[:, 1] = c * x - s * y, s * x + c * y
    boxes[:, 6] += a
    k = rng.uniform(0.95, 1.05)
    points[:, :3] *= k
    boxes[:, :6] *= k
    if z_shift > 0:
        dz = rng.uniform(-z_shift, z_shift)
        points[:, 2] += dz
        boxes[:, 2] += dz
    return points, boxes


def in_range(points, boxes, labels, pc_range):
    lo, hi = np.array(pc_range[:3]), np.array(pc_range[3:])
    pm = ((points[:, :2] >= lo[:2]) & (points[:, :2] <= hi[:2])).all(1)
    bm = ((boxes[:, :2] >= lo[:2]) & (boxes[:, :2] <= hi[:2])).all(1) if len(boxes) else np.zeros(0, bool)
    return points[pm], boxes[bm], labels[bm]


def collate(samples, device):
    pts = [np.concatenate([np.full((len(s['points']), 1), i, np.float32), s['points']], 1)
           for i, s in enumerate(samples)]
    return {'points': torch.from_numpy(np.concatenate(pts)).to(device),
            'gt_boxes': [torch.from_numpy(s['gt_boxes']).float() for s in samples],
            'gt_labels': [torch.from_numpy(s['gt_labels']).long() for s in samples]}


def compute_loss(model, preds, batch):
    cpu = lambda t: {k: v.cpu() for k, v in t.items()}  # noqa: E731 (targets are built on the CPU)
    if hasattr(model, 'dense_head') and isinstance(model.dense_head, AnchorHeadSingle):
        if preds['cls_preds'].is_cuda:
            preds = cpu(preds)
        return anchor_head_loss(model.dense_head, preds, batch, model.cfg.MODEL.DENSE_HEAD.LOSS_CONFIG)
    if hasattr(model, 'bbox_head'):
        preds = [cpu(p) for p in preds] if preds[0]['heatmap'].is_cuda else preds
        return center_head_loss(model.bbox_head, preds, batch)
    raise ValueError('train.py: this head has no training targets in the reference (AnchorHeadSingle and the '
                     'mmdet3d CenterHead do)')


def one_cycle(frac, lr, div_factor, pct_start, moms):
    """OpenPCDet's adam_onecycle shape: cosine warm-up from lr/div to lr over pct_start, cosine anneal to
    lr/div/1e4; beta1 follows the inverse schedule between moms[0] and moms[1]."""
    frac = min(max(frac, 0.0), 1.0)
    cos = lambda a, b, p: b + (a - b) / 2 * (1 + math.cos(math.pi * p))  # noqa: E731
    if frac < pct_start:
        p = frac / pct_start
        return cos(lr / div_factor, lr, p), cos(moms[0], moms[1], p)
    p = (frac - pct_start) / (1 - pct_start)
    return cos(lr, lr / div_factor / 1e4, p), cos(moms[1], moms[0], p)


def set_code_weights(cfg, weights):
    """Overrides DENSE_HEAD.LOSS_CONFIG.LOSS_WEIGHTS.code_weights (the C++ side never reads LOSS_CONFIG)."""
    lw = cfg.MODEL.DENSE_HEAD.LOSS_CONFIG['LOSS_WEIGHTS']
    old = list(lw['code_weights'])
    if len(weights) != len(old):
        raise SystemExit(f'train.py: --code-weights needs {len(old)} values (as LOSS_WEIGHTS.code_weights in the '
                         f'config), got {len(weights)}')
    lw['code_weights'] = [float(w) for w in weights]


def load_init_weights(model, path):
    """Warm start: model weights only (an OpenPCDet checkpoint's model_state, or a bare state dict); the
    optimizer state, iteration count and schedule start fresh. Every key must match (strict)."""
    ck = torch.load(path, map_location='cpu')
    state = ck['model_state'] if isinstance(ck, dict) and 'model_state' in ck else ck
    model.load_state_dict(state)


def save_checkpoint(path, model, optimizer, epoch, it):
    state = {'epoch': epoch, 'it': it, 'model_state': {k: v.cpu() for k, v in model.state_dict().items()},
             'optimizer_state': optimizer.state_dict() if optimizer is not None else None, 'version': VERSION}
    tmp = path + '.tmp'
    torch.save(state, tmp, _use_new_zipfile_serialization=False)
    os.replace(tmp, path)


def predict(model, dataset, out_dir, device):
    os.makedirs(out_dir, exist_ok=True)
    model.eval()
    with torch.no_grad():
        for i in range(len(dataset)):
            s = dataset[i]
            pts = torch.from_numpy(np.concatenate([np.zeros((len(s['points']), 1), np.float32), s['points']], 1))
            preds = model(pts.to(device), 1)
            if isinstance(preds, dict):
                preds = {k: v.cpu() for k, v in preds.items()}
            else:
                preds = [{k: v.cpu() for k, v in p.items()} for p in preds]
            model_cpu_post = model.post_process(preds, 1)[0]
            write_kitti_result(os.path.join(out_dir, f"{s['id']}.txt"), model_cpu_post['boxes'].numpy(),
                               model_cpu_post['scores'].numpy(), model_cpu_post['labels'].numpy(),
                               model.class_names, s['calib'], s['image_size'])


def _camera_centres(path, cls):
    """(x, z, centre y, height) of the objects of class `cls` in a KITTI label/result file (camera frame: y points
    down and the label's y is the box bottom, so the centre is y - h/2)."""
    rows = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            v = line.split()
            if not v or v[0] != cls:
                continue
            if len(v) < 15:
                raise ValueError(f'{path}:{n}: expected at least 15 fields, got {len(v)}')
            h, x, y, z = float(v[8]), float(v[11]), float(v[12]), float(v[13])
            rows.append((x, z, y - h / 2, h))
    return np.array(rows, np.float64).reshape(-1, 4)


def height_stats(gt_dir, pred_dir, ids, cls='Car', max_dist=1.0):
    """How well the vertical position is predicted: each GT object of `cls` is paired with the nearest
    prediction of that class by BEV centre distance (< max_dist m, each prediction used once, GTs in file
    order). Returns the number matched, the spread (std) of the GT and predicted centre heights over the pairs,
    their correlation, and the mean / median absolute centre-height error (m)."""
    gz, pz = [], []
    for i in ids:
        g = _camera_centres(os.path.join(gt_dir, i + '.txt'), cls)
        pp = os.path.join(pred_dir, i + '.txt')
        p = _camera_centres(pp, cls) if os.path.exists(pp) else np.zeros((0, 4))
        used = np.zeros(len(p), bool)
        for row in g:
            if not len(p):
                break
            d = np.hypot(p[:, 0] - row[0], p[:, 1] - row[1])
            d[used] = np.inf
            j = int(np.argmin(d))
            if d[j] < max_dist:
                used[j] = True
                gz.append(row[2])
                pz.append(p[j, 2])
    gz, pz = np.array(gz), np.array(pz)
    if len(gz) < 2:
        return {'matched': int(len(gz))}
    err = np.abs(pz - gz)
    return {'matched': int(len(gz)), 'gt_std': float(gz.std()), 'pred_std': float(pz.std()),
            'corr': float(np.corrcoef(gz, pz)[0, 1]), 'mean_abs_err': float(err.mean()),
            'median_abs_err': float(np.median(err))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--config', required=True)
    ap.add_argument('--data', required=True, help='KITTI root with ImageSets/ and training/')
    ap.add_argument('--out', required=True)
    ap.add_argument('--epochs', type=int, default=None, help='default: OPTIMIZATION.NUM_EPOCHS')
    ap.add_argument('--batch-size', type=int, default=None)
    ap.add_argument('--lr', type=float, default=None)
    ap.add_argument('--pct-start', type=float, default=None, help='one-cycle warm-up fraction (default: config)')
    ap.add_argument('--init', default=None,
                    help='warm start: load model weights from this checkpoint; fresh optimizer and schedule')
    ap.add_argument('--code-weights', type=float, nargs='+', default=None,
                    help='override LOSS_CONFIG code_weights (CenterHead: x y z log-w log-l log-h sin cos vx vy)')
    ap.add_argument('--z-shift', type=float, default=0.0,
                    help='augmentation: shift each training scene vertically by U(-v, v) m (0: off)')
    ap.add_argument('--max-frames', type=int, default=0, help='use only the first N training frames')
    ap.add_argument('--time-limit', type=float, default=0, help='stop after this many minutes (0: none)')
    ap.add_argument('--threads', type=int, default=DEFAULT_THREADS)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--no-augment', action='store_true')
    ap.add_argument('--predict-only', action='store_true')
    ap.add_argument('--ckpt', default=None)
    ap.add_argument('--val-max', type=int, default=0, help='predict only the first N val frames (0: all)')
    ap.add_argument('--ckpt-every-min', type=float, default=0,
                    help='also save latest_model.pth every this many minutes (to evaluate a long run midway)')
    ap.add_argument('--height-stats', default=None, metavar='PRED_DIR',
                    help='only print height_stats of these KITTI result files against the val labels, then exit')
    ap.add_argument('--lidardet', default=None, help='lidardet CLI: run `lidardet eval kitti` on the val results')
    args = ap.parse_args()

    if args.height_stats:
        ids = read_split(args.data, 'val')[:args.val_max or None]
        print(height_stats(os.path.join(args.data, 'training', 'label_2'), args.height_stats, ids), flush=True)
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    cfg = load_config(args.config)
    if args.code_weights:
        set_code_weights(cfg, args.code_weights)
    model = build_detector(cfg)
    if args.init:
        load_init_weights(model, args.init)
    model = model.to(device)
    opt_cfg = cfg.get('OPTIMIZATION', {})
    os.makedirs(args.out, exist_ok=True)
    fov = cfg.DATA_CONFIG.get('FOV_POINTS_ONLY', True)
    if args.ckpt:
        ck = torch.load(args.ckpt, map_location='cpu')
        model.load_state_dict(ck['model_state'])
    if not args.predict_only:
        train_set = KittiDataset(args.data, 'train', cfg.CLASS_NAMES, fov)
        if args.max_frames:
            train_set.ids = train_set.ids[:args.max_frames]
        epochs = args.epochs or opt_cfg.get('NUM_EPOCHS', 10)
        bs = args.batch_size or opt_cfg.get('BATCH_SIZE_PER_GPU', 2)
        lr = args.lr or opt_cfg.get('LR', 0.003)
        iters_per_epoch = max(1, len(train_set) // bs)
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.99),
                                      weight_decay=opt_cfg.get('WEIGHT_DECAY', 0.01))
        moms = opt_cfg.get('MOMS', [0.95, 0.85])
        total_steps = epochs * iters_per_epoch
        clip = opt_cfg.get('GRAD_NORM_CLIP', 10)
        pct_start = args.pct_start if args.pct_start is not None else opt_cfg.get('PCT_START', 0.4)
        print(f'train: {len(train_set)} frames, {epochs} epochs x {iters_per_epoch} it, batch {bs}, lr {lr}, '
              f'pct_start {pct_start}, z_shift {args.z_shift}, init {args.init}, device {device}', flush=True)
        if hasattr(model, 'bbox_head') or hasattr(model, 'dense_head'):
            print(f"code_weights {cfg.MODEL.DENSE_HEAD.LOSS_CONFIG['LOSS_WEIGHTS']['code_weights']}", flush=True)
        t0 = time.time()
        last_save = t0
        it = 0
        stop = False
        for epoch in range(epochs):
            model.train()
            order = rng.permutation(len(train_set))
            for k in range(iters_per_epoch):
                samples = []
                for j in order[k * bs:(k + 1) * bs]:
                    s = train_set[int(j)]
                    p, b, lab = s['points'], s['gt_boxes'], s['gt_labels']
                    if not args.no_augment:
                        p, b = augment(p, b, rng, args.z_shift)
                    p, b, lab = in_range(p, b, lab, cfg.DATA_CONFIG.POINT_CLOUD_RANGE)
                    samples.append({'points': p, 'gt_boxes': b, 'gt_labels': lab})
                # schedule position: by iterations, or by wall time when a time limit is set (whichever is further)
                frac = it / total_steps
                if args.time_limit:
                    frac = max(frac, (time.time() - t0) / (args.time_limit * 60))
                cur_lr, beta1 = one_cycle(frac, lr, opt_cfg.get('DIV_FACTOR', 10), pct_start, moms)
                for gr in optimizer.param_groups:
                    gr['lr'] = cur_lr
                    gr['betas'] = (beta1, gr['betas'][1])
                batch = collate(samples, device)
                preds = model(batch['points'], len(samples))
                loss, parts = compute_loss(model, preds, batch)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                optimizer.step()
                it += 1
                model.global_step.add_(1) if hasattr(model, 'global_step') else None
                if it % 10 == 0 or it == 1:
                    el = time.time() - t0
                    print(f'epoch {epoch + 1}/{epochs} it {it} loss {float(loss):.4f} '
                          + ' '.join(f'{n} {v:.4f}' for n, v in parts.items())
                          + f' lr {cur_lr:.2e} elapsed {el / 60:.1f} min', flush=True)
                if args.ckpt_every_min and time.time() - last_save > args.ckpt_every_min * 60:
                    save_checkpoint(os.path.join(args.out, 'latest_model.pth'), model, optimizer, epoch + 1, it)
                    last_save = time.time()
                    print(f'saved latest_model.pth at it {it}', flush=True)
                if args.time_limit and time.time() - t0 > args.time_limit * 60:
                    stop = True
                    break
            save_checkpoint(os.path.join(args.out, f'checkpoint_epoch_{epoch + 1}.pth'), model, optimizer, epoch + 1, it)
            save_checkpoint(os.path.join(args.out, 'latest_model.pth'), model, optimizer, epoch + 1, it)
            print(f'saved checkpoint epoch {epoch + 1} ({(time.time() - t0) / 60:.1f} min)', flush=True)
            if stop:
                print('time limit reached', flush=True)
                break
    val_set = KittiDataset(args.data, 'val', cfg.CLASS_NAMES, fov)
    if args.val_max:
        val_set.ids = val_set.ids[:args.val_max]
    res_dir = os.path.join(args.out, 'val_results')
    split_file = os.path.join(args.out, 'val_ids.txt')
    with open(split_file, 'w', encoding='utf-8') as f:
        f.write('\n'.join(val_set.ids) + '\n')
    predict(model.cpu() if device.type == 'cpu' else model, val_set, res_dir, device)
    print(f'wrote {len(val_set)} result files to {res_dir}', flush=True)
    print('val Car centre height:', height_stats(os.path.join(args.data, 'training', 'label_2'), res_dir,
                                                 val_set.ids), flush=True)
    if args.lidardet:
        cmd = [args.lidardet, 'eval', 'kitti', '--gt', os.path.join(args.data, 'training', 'label_2'),
               '--pred', res_dir, '--split', split_file]
        print(' '.join(cmd), flush=True)
        subprocess.run(cmd, check=False)


if __name__ == '__main__':
    main()
