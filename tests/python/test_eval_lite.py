"""The interim Car AP evaluator used for the model cards: perfect, empty and half-right detections."""
import os

import pytest

from reference.kitti_eval_lite import evaluate, iou3d

CAR = 'Car 0.00 0 0.00 100.00 100.00 200.00 200.00 1.50 1.60 4.00 {x:.2f} 1.60 {z:.2f} 0.00'


def _write(d, idx, lines):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, idx + '.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def test_ap_perfect_empty_and_half(tmp_path):
    gt, det = str(tmp_path / 'gt'), str(tmp_path / 'det')
    ids = ['000000', '000001']
    for k, idx in enumerate(ids):
        _write(gt, idx, [CAR.format(x=-5 + 10 * k, z=20), CAR.format(x=3, z=40 + k)])
    for k, idx in enumerate(ids):
        _write(det, idx, [CAR.format(x=-5 + 10 * k, z=20) + ' 0.9', CAR.format(x=3, z=40 + k) + ' 0.8'])
    assert evaluate(gt, det, ids)[0] == pytest.approx(100.0)
    _write(det, '000000', [])
    _write(det, '000001', [])
    assert evaluate(gt, det, ids)[0] == pytest.approx(0.0)
    # one true positive per frame (highest scores), plus a false positive each: recall 1/2 at precision 1
    for k, idx in enumerate(ids):
        _write(det, idx, [CAR.format(x=-5 + 10 * k, z=20) + ' 0.9', CAR.format(x=30, z=60) + ' 0.5'])
    assert evaluate(gt, det, ids)[0] == pytest.approx(50.0)


def test_iou3d_of_shifted_box():
    a = {'dims': [1.5, 1.6, 4.0], 'loc': [0, 1.6, 20], 'ry': 0.0}
    # ry = 0: the length (4 m) runs along camera x, the width (1.6 m) along z (object3d_kitti corners)
    b = {'dims': [1.5, 1.6, 4.0], 'loc': [1.0, 1.6, 20], 'ry': 0.0}
    assert iou3d(a, b) == pytest.approx(3 * 1.6 / (2 * 6.4 - 3 * 1.6), rel=1e-6)
    c = {'dims': [1.5, 1.6, 4.0], 'loc': [0, 1.6, 21.0], 'ry': 0.0}  # 1 m along z: 0.6 m width overlap
    assert iou3d(a, c) == pytest.approx(0.6 * 4 / (2 * 6.4 - 0.6 * 4), rel=1e-6)
