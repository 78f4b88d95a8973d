"""A small KITTI-style 3D AP (R40) for Car, used only to report the shipped models' accuracy while
`lidardet eval kitti` is not available. Simplified against the official devkit: per-frame greedy matching by
score; GT outside the difficulty limits, Van GT (for Car) and matches to them are ignored; detections whose
2D box is lower than the difficulty's minimum height are ignored; DontCare regions are not used.

  /usr/bin/python3 -m reference.kitti_eval_lite <kitti root> <result dir> <id list file>   (run from tools/)
"""
import sys

import numpy as np

from .box_ops import rotated_iou

DIFFICULTY = {'easy': (40, 0.15, 0), 'moderate': (25, 0.30, 1), 'hard': (25, 0.50, 2)}


def parse(path, with_score):
    rows = []
    try:
        with open(path, 'r', encoding='utf-8') as f:
            for line in f:
                p = line.split()
                if len(p) < 15:
                    continue
                rows.append({'type': p[0], 'trunc': float(p[1]), 'occ': int(float(p[2])),
                             'h_px': float(p[7]) - float(p[5]) + 1, 'dims': [float(v) for v in p[8:11]],
                             'loc': [float(v) for v in p[11:14]], 'ry': float(p[14]),
                             'score': float(p[15]) if with_score and len(p) > 15 else 1.0})
    except FileNotFoundError:
        pass
    return rows


def iou3d(a, b):
    """a, b: camera-frame label rows. Rotated BEV IoU in the camera x-z plane times the height overlap."""
    def rect(r):
        h, w, l = r['dims']
        return [r['loc'][0], r['loc'][2], l, w, -r['ry']]
    ra, rb = rect(a), rect(b)
    bev = rotated_iou(ra, rb)
    if bev <= 0:
        return 0.0
    inter_bev = bev * (ra[2] * ra[3] + rb[2] * rb[3]) / (1 + bev)
    ya0, ya1 = a['loc'][1] - a['dims'][0], a['loc'][1]
    yb0, yb1 = b['loc'][1] - b['dims'][0], b['loc'][1]
    ih = max(0.0, min(ya1, yb1) - max(ya0, yb0))
    inter = inter_bev * ih
    va, vb = ra[2] * ra[3] * a['dims'][0], rb[2] * rb[3] * b['dims'][0]
    return inter / max(va + vb - inter, 1e-9)


def evaluate(gt_dir, det_dir, ids, cls='Car', difficulty='moderate', iou_thr=0.7):
    min_h, max_t, max_o = DIFFICULTY[difficulty]
    scores, tps, n_gt = [], [], 0
    for idx in ids:
        gts = parse(f'{gt_dir}/{idx}.txt', False)
        dets = [d for d in parse(f'{det_dir}/{idx}.txt', True) if d['type'] == cls]
        valid, ignored = [], []
        for g in gts:
            if g['type'] == cls and g['h_px'] >= min_h and g['trunc'] <= max_t and g['occ'] <= max_o:
                valid.append(g)
            elif g['type'] == cls or (cls == 'Car' and g['type'] == 'Van'):
                ignored.append(g)
        n_gt += len(valid)
        used = [False] * len(valid)
        for d in sorted(dets, key=lambda r: -r['score']):
            if d['h_px'] < min_h:
                continue
            best, bi = iou_thr, -1
            for k, g in enumerate(valid):
                if not used[k]:
                    v = iou3d(d, g)
                    if v >= best:
                        best, bi = v, k
            if bi >= 0:
                used[bi] = True
                scores.append(d['score'])
                tps.append(1)
            elif any(iou3d(d, g) >= iou_thr for g in ignored):
                continue
            else:
                scores.append(d['score'])
                tps.append(0)
    if n_gt == 0:
        return float('nan'), 0
    order = np.argsort(-np.array(scores), kind='stable')
    tp = np.cumsum(np.array(tps)[order]) if tps else np.zeros(0)
    prec = tp / np.arange(1, len(tp) + 1) if len(tp) else np.zeros(0)
    rec = tp / n_gt if len(tp) else np.zeros(0)
    ap = 0.0
    for r in np.linspace(1 / 40, 1, 40):
        m = prec[rec >= r - 1e-9]
        ap += (m.max() if len(m) else 0.0) / 40
    return 100 * ap, n_gt


def main():
    root, det_dir, id_file = sys.argv[1:4]
    ids = [s for s in open(id_file).read().split() if s]
    for diff in ('easy', 'moderate', 'hard'):
        ap, n = evaluate(f'{root}/training/label_2', det_dir, ids, 'Car', diff)
        print(f'Car 3D AP R40 {diff}: {ap:.2f} ({n} GT)')


if __name__ == '__main__':
    main()
