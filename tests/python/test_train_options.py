"""train.py's session-3 options: warm start (--init), code-weight override (--code-weights) and the vertical
scene-shift augmentation (--z-shift)."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import train
from reference.config import load_config
from reference.detector import build_detector
from reference.kitti_data import KittiDataset
from reference.synthetic import write_kitti_dataset
from reference.targets import center_head_loss

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CENTER_CFG = os.path.join(ROOT, 'tests', 'fixtures', 'parity', 'flatformer_center.yaml')


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('kitti'))
    write_kitti_dataset(root, 2, seed=5, pc_range=[0, -6.4, -3, 12.8, 6.4, 1], val_every=2)
    return root


def _model(seed):
    torch.manual_seed(seed)
    return build_detector(load_config(CENTER_CFG))


def _batch(cfg, tiny):
    s = KittiDataset(tiny, 'train', cfg.CLASS_NAMES, fov_only=True)[0]
    p, b, lab = train.in_range(s['points'], s['gt_boxes'], s['gt_labels'], cfg.DATA_CONFIG.POINT_CLOUD_RANGE)
    assert len(b) >= 1
    return train.collate([{'points': p, 'gt_boxes': b, 'gt_labels': lab}], torch.device('cpu'))


def test_init_loads_every_weight_from_a_checkpoint_or_a_bare_state_dict(tmp_path):
    src, dst = _model(1), _model(2)
    names = [k for k, v in src.state_dict().items() if v.is_floating_point()]
    assert any(not torch.equal(src.state_dict()[k], dst.state_dict()[k]) for k in names)  # seeds differ
    ck = str(tmp_path / 'ck.pth')
    train.save_checkpoint(ck, src, None, 3, 100)
    train.load_init_weights(dst, ck)
    for k, v in src.state_dict().items():
        assert torch.equal(v, dst.state_dict()[k]), k
    bare = str(tmp_path / 'bare.pth')
    torch.save(_model(3).state_dict(), bare)
    train.load_init_weights(dst, bare)
    assert torch.equal(dst.state_dict()[names[0]], _model(3).state_dict()[names[0]])


def test_init_refuses_a_checkpoint_of_another_model(tmp_path):
    state = _model(1).state_dict()
    state.pop(next(iter(state)))
    bad = str(tmp_path / 'bad.pth')
    torch.save({'model_state': state}, bad)
    with pytest.raises(RuntimeError, match='Missing key'):
        train.load_init_weights(_model(2), bad)


def test_script_warm_start_keeps_the_weights_and_restarts_the_schedule(tiny, tmp_path):
    init = str(tmp_path / 'init.pth')
    src = _model(7)
    train.save_checkpoint(init, src, None, 9, 5000)
    base = [sys.executable, os.path.join(ROOT, 'tools', 'train.py'), '--config', CENTER_CFG, '--data', tiny,
            '--epochs', '1', '--batch-size', '1', '--no-augment', '--lr', '1e-9']

    def run(out, extra):
        subprocess.run(base + ['--out', out] + extra, check=True, capture_output=True, timeout=300)
        return torch.load(os.path.join(out, 'latest_model.pth'), map_location='cpu')

    warm = run(str(tmp_path / 'warm'), ['--init', init])
    cold = run(str(tmp_path / 'cold'), [])
    assert warm['it'] == 1 and warm['epoch'] == 1  # a fresh count, not the init checkpoint's 5000
    assert warm['optimizer_state'] is not None
    params = [k for k, _ in src.named_parameters()]
    # One Adam step moves each weight by about lr = 1e-9: the warm run still holds the init weights.
    for k in params:
        assert torch.allclose(warm['model_state'][k], src.state_dict()[k], atol=1e-6), k
    assert any(not torch.allclose(cold['model_state'][k], src.state_dict()[k], atol=1e-6) for k in params)


def test_code_weights_override_scales_the_height_term(tiny):
    cfg = load_config(CENTER_CFG)
    batch = _batch(cfg, tiny)
    model = build_detector(cfg)
    torch.manual_seed(0)
    with torch.no_grad():
        preds = model(batch['points'], 1)

    def box_part(z_weight):
        w = [1.0, 1.0, z_weight, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
        train.set_code_weights(cfg, w)
        assert cfg.MODEL.DENSE_HEAD.LOSS_CONFIG['LOSS_WEIGHTS']['code_weights'] == w
        assert model.bbox_head.cfg['LOSS_CONFIG']['LOSS_WEIGHTS']['code_weights'] == w  # the head sees it
        _, parts = center_head_loss(model.bbox_head, preds, batch)
        return parts

    p0, p1, p4 = box_part(0.0), box_part(1.0), box_part(4.0)
    # The box loss is sum over codes of weight x |error|, averaged over objects; z_err is that mean |error|.
    assert p0['z_err'] > 0
    assert p1['box'] - p0['box'] == pytest.approx(p0['z_err'], rel=1e-4)
    assert p4['box'] - p0['box'] == pytest.approx(4 * p0['z_err'], rel=1e-4)


def test_code_weights_of_the_wrong_length_are_refused():
    cfg = load_config(CENTER_CFG)
    with pytest.raises(SystemExit, match='needs 10 values'):
        train.set_code_weights(cfg, [1.0, 2.0])


def test_z_shift_moves_points_and_boxes_together_and_nothing_else():
    r = np.random.default_rng(0)
    pts = r.uniform(-5, 5, (50, 4)).astype(np.float32)
    boxes = np.array([[10, 2, -1, 4, 1.8, 1.5, 0.3], [20, -3, -0.8, 0.8, 0.6, 1.7, -1.0]], np.float32)
    pts_in, boxes_in = pts.copy(), boxes.copy()
    p0, b0 = train.augment(pts, boxes, np.random.default_rng(11), 0.0)
    shifts = []
    for seed in range(11, 31):
        p1, b1 = train.augment(pts, boxes, np.random.default_rng(seed), 0.2)
        if seed == 11:  # same draws for flip / rotation / scale: only z differs, by one common dz
            dz = float(p1[0, 2] - p0[0, 2])
            np.testing.assert_allclose(p1[:, [0, 1, 3]], p0[:, [0, 1, 3]])
            np.testing.assert_allclose(b1[:, [0, 1, 3, 4, 5, 6]], b0[:, [0, 1, 3, 4, 5, 6]])
            np.testing.assert_allclose(p1[:, 2] - p0[:, 2], dz, atol=1e-5)
            np.testing.assert_allclose(b1[:, 2] - b0[:, 2], dz, atol=1e-5)
        _, bz = train.augment(pts, boxes, np.random.default_rng(seed), 0.0)
        shifts.append(float(b1[0, 2] - bz[0, 2]))
    assert all(abs(s) <= 0.2 + 1e-6 for s in shifts)
    assert min(shifts) < -0.05 and max(shifts) > 0.05  # both directions occur
    np.testing.assert_array_equal(pts, pts_in)  # the caller's arrays are not modified
    np.testing.assert_array_equal(boxes, boxes_in)


def test_height_stats_pairs_by_bev_distance_and_measures_centre_height(tmp_path):
    gt, pr = tmp_path / 'gt', tmp_path / 'pr'
    gt.mkdir()
    pr.mkdir()

    def line(cls, h, x, y, z, score=None):
        s = f'{cls} 0 0 0 0 0 10 10 {h} 1.6 3.9 {x} {y} {z} 0'
        return s + (f' {score}' if score is not None else '') + '\n'

    # GT centres (camera y down, bottom y minus h/2): 1.5-0.75=0.75, 2.0-0.75=1.25, 1.0-0.8=0.2.
    (gt / '000000.txt').write_text(line('Car', 1.5, 0, 1.5, 10) + line('Car', 1.5, 5, 2.0, 20)
                                   + line('Pedestrian', 1.7, 1, 1.0, 8) + line('DontCare', -1, -1000, -1000, -1000))
    (gt / '000001.txt').write_text(line('Car', 1.6, -3, 1.0, 15))
    # Predictions: +0.1 m and -0.3 m centre errors (one through a height change), a Pedestrian on the first car
    # (another class: ignored) and a car 1.5 m away from the third GT (beyond max_dist: unmatched).
    (pr / '000000.txt').write_text(line('Pedestrian', 1.5, 0, 1.5, 10, 0.9) + line('Car', 1.5, 0.2, 1.6, 10.1, 0.8)
                                   + line('Car', 1.1, 5, 1.5, 20, 0.7))
    (pr / '000001.txt').write_text(line('Car', 1.6, -3, 1.0, 16.5, 0.6))
    st = train.height_stats(str(gt), str(pr), ['000000', '000001'])
    assert st['matched'] == 2
    assert st['mean_abs_err'] == pytest.approx((0.1 + 0.3) / 2)
    assert st['gt_std'] == pytest.approx(0.25)  # centres 0.75 and 1.25
    assert st['pred_std'] == pytest.approx(0.05)  # 0.85 and 0.95 (population std: half the gap)
    assert st['corr'] == pytest.approx(1.0)


def test_height_stats_names_a_short_line(tmp_path):
    (tmp_path / '000000.txt').write_text('Car 0 0 0\n')
    with pytest.raises(ValueError, match=r'000000.txt:1: expected at least 15 fields'):
        train.height_stats(str(tmp_path), str(tmp_path), ['000000'])


def test_threads_flag_reaches_openblas_before_torch_loads(monkeypatch):
    """--threads (or its default) must pin the system OpenBLAS pool through the environment (torch.set_num_threads
    does not reach it, and its idle threads spin on every core); an explicit environment setting wins."""
    for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'):
        monkeypatch.delenv(var, raising=False)
    train._pin_blas_threads(['--config', 'c.yaml', '--threads', '3'])
    assert os.environ['OPENBLAS_NUM_THREADS'] == '3' and os.environ['OMP_NUM_THREADS'] == '3'
    monkeypatch.setenv('OPENBLAS_NUM_THREADS', '2')
    train._pin_blas_threads(['--threads=5'])
    assert os.environ['OPENBLAS_NUM_THREADS'] == '2'
    # Without the flag, the pool follows train.py's default, as torch.set_num_threads does.
    for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'):
        monkeypatch.delenv(var, raising=False)
    train._pin_blas_threads(['--config', 'c.yaml'])
    assert os.environ['OPENBLAS_NUM_THREADS'] == str(train.DEFAULT_THREADS)


def test_train_process_runs_on_the_threads_it_was_given():
    """Importing train.py with '--threads 1' leaves the process on its one thread after a matrix product (without
    the pinning, OpenBLAS starts one worker per core: 2 threads on a 2-core machine). Checked in /proc."""
    script = ('import sys; sys.argv = ["train.py", "--threads", "1"]; '
              'sys.path.insert(0, %r); import train, torch; torch.randn(256, 256) @ torch.randn(256, 256); '
              'print(open("/proc/self/status").read().split("Threads:")[1].split()[0])' % os.path.join(ROOT, 'tools'))
    env = {k: v for k, v in os.environ.items() if k not in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS')}
    out = subprocess.run([sys.executable, '-c', script], env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout.strip().splitlines()[-1]) == 1
