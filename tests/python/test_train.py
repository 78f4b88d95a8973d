"""The training loop's pieces: targets, losses and one-cycle schedule; the loss goes down on a tiny dataset;
checkpoints have OpenPCDet's layout."""
import math
import os
import subprocess
import sys

import pytest
import torch

import train
from reference.config import load_config
from reference.detector import build_detector
from reference.kitti_data import KittiDataset
from reference.synthetic import write_kitti_dataset
from reference.targets import assign_anchor_targets, gaussian_radius
from reference.anchor_head import generate_anchors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PARITY = os.path.join(ROOT, 'tests', 'fixtures', 'parity')


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('kitti'))
    write_kitti_dataset(root, 2, seed=5, pc_range=[0, -6.4, -3, 12.8, 6.4, 1], val_every=2)
    return root


def _overfit(cfg_name, tiny, steps=6):
    cfg = load_config(os.path.join(PARITY, cfg_name))
    torch.manual_seed(0)
    model = build_detector(cfg).train()
    ds = KittiDataset(tiny, 'train', cfg.CLASS_NAMES, fov_only=True)
    s = ds[0]
    p, b, lab = train.in_range(s['points'], s['gt_boxes'], s['gt_labels'], cfg.DATA_CONFIG.POINT_CLOUD_RANGE)
    assert len(b) >= 1, 'the tiny frame must hold a car inside the range'
    batch = train.collate([{'points': p, 'gt_boxes': b, 'gt_labels': lab}], torch.device('cpu'))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(steps):
        loss, _ = train.compute_loss(model, model(batch['points'], 1), batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return losses


def test_anchor_model_loss_goes_down(tiny):
    losses = _overfit('lion_mamba_anchor.yaml', tiny)
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.8 * losses[0], losses


def test_center_model_loss_goes_down(tiny):
    losses = _overfit('flatformer_center.yaml', tiny)
    assert losses[-1] < 0.8 * losses[0], losses


def test_anchor_assignment_marks_the_best_anchor_positive_with_a_zero_code():
    cfg = load_config(os.path.join(PARITY, 'lion_mamba_anchor.yaml'))
    anchors = generate_anchors(cfg.MODEL.DENSE_HEAD.ANCHOR_GENERATOR_CONFIG, cfg.DATA_CONFIG.POINT_CLOUD_RANGE,
                               [32, 32, 8])
    gt = anchors[10, 12, 1].clone().unsqueeze(0)  # a car exactly on the yaw-1.57 car anchor of cell (y10, x12)
    labels, targets = assign_anchor_targets(anchors, cfg.MODEL.DENSE_HEAD.ANCHOR_GENERATOR_CONFIG, gt,
                                            torch.tensor([1]))
    a = (10 * 32 + 12) * anchors.shape[2] + 1
    assert labels[a] == 1
    assert torch.allclose(targets[a], torch.zeros(7), atol=1e-6)
    assert (labels[anchors.shape[2] * 32 * 32 // 2:] >= 0).any()


def test_gaussian_radius_grows_with_box_size():
    assert gaussian_radius(10, 4) > gaussian_radius(5, 2) > 0


def test_one_cycle_endpoints():
    lr0, m0 = train.one_cycle(0.0, 1e-2, 10, 0.4, [0.95, 0.85])
    lr1, m1 = train.one_cycle(0.4, 1e-2, 10, 0.4, [0.95, 0.85])
    lr2, _ = train.one_cycle(1.0, 1e-2, 10, 0.4, [0.95, 0.85])
    assert lr0 == pytest.approx(1e-3) and m0 == pytest.approx(0.95)
    assert lr1 == pytest.approx(1e-2) and m1 == pytest.approx(0.85)
    assert lr2 == pytest.approx(1e-7)


def test_train_script_writes_openpcdet_checkpoints_and_results(tiny, tmp_path):
    out = str(tmp_path / 'run')
    cmd = [sys.executable, os.path.join(ROOT, 'tools', 'train.py'), '--config',
           os.path.join(PARITY, 'flatformer_center.yaml'), '--data', tiny, '--out', out, '--epochs', '1',
           '--batch-size', '1', '--no-augment']
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    ck = torch.load(os.path.join(out, 'latest_model.pth'), map_location='cpu')
    assert set(ck) == {'epoch', 'it', 'model_state', 'optimizer_state', 'version'}
    assert ck['epoch'] == 1 and ck['it'] == 1
    model = build_detector(load_config(os.path.join(PARITY, 'flatformer_center.yaml')))
    model.load_state_dict(ck['model_state'])  # strict: every key present
    with open(os.path.join(out, 'latest_model.pth'), 'rb') as f:
        assert f.read(2) != b'PK'  # legacy pickle container, not zip
    assert os.path.exists(os.path.join(out, 'val_results', '000001.txt'))
