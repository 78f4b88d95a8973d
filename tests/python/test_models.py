"""Forward passes of every reduced model, determinism, and hand-checked cases of the window/group mapping,
the sort keys, voxel merging and the NMS variants."""
import glob
import math
import os

import numpy as np
import pytest
import torch

from reference.box_ops import ResidualCoder, greedy_nms, multi_class_nms, nms_gpu, rotated_iou
from reference.config import load_config
from reference.detector import build_detector
from reference.flatformer import flat_padding_maps, flat_sort_keys
from reference.lion import group_padding_maps, merge_voxels, window_sort_keys
from reference.sparse import SparseTensor, SubMConv3d
from reference.synthetic import make_frame

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PARITY = sorted(glob.glob(os.path.join(ROOT, 'tests', 'fixtures', 'parity', '*.yaml')))


def _run(cfg_path, seed=0):
    cfg = load_config(cfg_path)
    torch.manual_seed(seed)
    model = build_detector(cfg).eval()
    r = cfg.DATA_CONFIG.POINT_CLOUD_RANGE
    pts, _, _ = make_frame(3, [r[0], r[1], -3, r[3], r[4], 1], n_ground=600, n_cars=2, points_per_car=100)
    if len(cfg.DATA_CONFIG.POINT_FEATURE_ENCODING['used_feature_list']) == 5:
        pts = np.concatenate([pts, pts[:, 3:4] * 0.5], 1)
    points = torch.from_numpy(np.concatenate([np.zeros((len(pts), 1), np.float32), pts], 1))
    rec = {}
    with torch.no_grad():
        preds = model(points, 1, rec)
        post = model.post_process(preds, 1)
    return model, rec, preds, post


@pytest.mark.parametrize('cfg_path', PARITY, ids=[os.path.basename(p) for p in PARITY])
def test_forward_shapes_and_determinism(cfg_path):
    model, rec, preds, post = _run(cfg_path)
    _, rec2, preds2, post2 = _run(cfg_path)
    grid = model.grid
    assert rec['map_to_bev'].shape[-2:] == (grid[1], grid[0])
    for k, v in rec.items():
        a = v.features if isinstance(v, SparseTensor) else v
        b = rec2[k].features if isinstance(rec2[k], SparseTensor) else rec2[k]
        assert torch.isfinite(a.float()).all(), k
        assert torch.equal(a, b), f'{k} differs between two identical runs'
    assert torch.equal(post[0]['boxes'], post2[0]['boxes'])
    assert post[0]['boxes'].shape[1] == 7
    assert len(post[0]['boxes']) <= len(post[0]['pre_nms_boxes'])


def test_lion_voxel_generation_grows_the_voxel_set_and_merges_z():
    cfg = os.path.join(ROOT, 'tests', 'fixtures', 'parity', 'lion_mamba_anchor.yaml')
    _, rec, _, _ = _run(cfg)
    before, after = rec['backbone_3d.linear_1'], rec['backbone_3d.dow1']
    assert after.spatial_shape[0] == before.spatial_shape[0] // 2  # z halves, x/y stay
    assert after.spatial_shape[1:] == before.spatial_shape[1:]
    # every original voxel's parent exists, so the new set is at least the z-merged original set
    parents = torch.unique(before.indices[:, 0] * 10 ** 9 + (before.indices[:, 1] // 2) * 10 ** 6
                           + before.indices[:, 2] * 1000 + before.indices[:, 3])
    assert len(after.indices) > len(parents)  # generated diagonal neighbours add voxels


def test_group_padding_single_group_repeats_cyclically_and_multi_group_copies_previous_group():
    batch = torch.tensor([0] * 3 + [1] * 6)
    f2w, w2f = group_padding_maps(batch, 2, 4)
    # sample 0: 3 tokens -> one group of 4: 0 1 2 0 ; sample 1: 6 tokens -> 8 slots, pads copy q - 4
    assert f2w.tolist() == [0, 1, 2, 0, 3, 4, 5, 6, 7, 8, 3 + 6 - 4, 3 + 7 - 4]
    assert w2f.tolist() == [0, 1, 2, 4, 5, 6, 7, 8, 9]


def test_window_sort_x_order_groups_windows_and_runs_x_major_inside():
    # two voxels in window (0,0) and one in window (1,0) (x windows of 2): 'x' order visits window (0,0) first
    idx = torch.tensor([[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 2]])
    keys = window_sort_keys(idx, [1, 4, 4], [2, 2, 1], False)
    order_x = torch.argsort(keys['x']).tolist()
    assert order_x == [0, 1, 2]  # (x0,y1) before (x1,y0): x most significant inside the window
    order_y = torch.argsort(keys['y']).tolist()
    assert order_y == [1, 0, 2]  # y order: (x1,y0) before (x0,y1) inside window (0,0)


def test_flatformer_x_order_first_26_cells_snake_as_in_the_spec():
    ys, xs = torch.meshgrid(torch.arange(468), torch.arange(468), indexing='ij')
    coords = torch.stack([torch.zeros_like(xs), torch.zeros_like(xs), ys, xs], -1).reshape(-1, 4)
    kx, _ = flat_sort_keys(coords, [468, 468, 1], [13, 13, 1], False)
    assert len(torch.unique(kx)) == len(kx)
    order = torch.argsort(kx)[:26]
    got = [(int(coords[i, 3]), int(coords[i, 2])) for i in order]
    expect = [(0, y) for y in range(13)] + [(1, y) for y in range(12, -1, -1)]
    assert got == expect
    f2w, _ = flat_padding_maps(torch.zeros(150, dtype=torch.long), 1, 144)
    assert f2w[150:].tolist() == list(range(150 - 144, 288 - 144))  # last group = last 144 tokens


def test_merge_sums_children_and_returns_inverse():
    idx = torch.tensor([[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 3]])
    feats = torch.tensor([[1.0], [2.0], [5.0]])
    new_idx, summed, shape, inv = merge_voxels(idx, feats, [2, 4, 4], 1, [2, 2, 2])
    assert shape == [1, 2, 2]
    assert new_idx.tolist() == [[0, 0, 0, 0], [0, 0, 0, 1]]
    assert summed.flatten().tolist() == [3.0, 5.0]
    assert inv.tolist() == [0, 0, 1]


def test_submconv_matches_dense_conv3d_at_active_sites():
    torch.manual_seed(0)
    conv = SubMConv3d(2, 3, 3)
    idx = torch.tensor([[0, 1, 1, 1], [0, 1, 1, 2], [0, 2, 3, 0], [0, 0, 0, 0]])
    feats = torch.randn(4, 2)
    x = SparseTensor(feats, idx, [3, 4, 3], 1)
    out = conv(x).features
    dense = x.dense()
    w = conv.weight.permute(0, 4, 1, 2, 3)  # KRSC -> (out, in, kz, ky, kx)
    ref = torch.nn.functional.conv3d(dense, w, padding=1)
    for r, (b, z, y, xx) in enumerate(idx.tolist()):
        assert torch.allclose(out[r], ref[b, :, z, y, xx], atol=1e-5)


def test_rotated_iou_hand_cases():
    assert rotated_iou([0, 0, 2, 2, 0], [0, 0, 2, 2, 0.7]) == pytest.approx(
        rotated_iou([0, 0, 2, 2, 0.7], [0, 0, 2, 2, 0]))
    assert rotated_iou([0, 0, 2, 2, 0], [1, 0, 2, 2, 0]) == pytest.approx(2 / 6)
    # a square rotated by 45 degrees inside itself: intersection = regular octagon of side 2(sqrt2-1)
    s = 2 * (math.sqrt(2) - 1)
    octagon = 2 * (1 + math.sqrt(2)) * s * s
    assert rotated_iou([0, 0, 2, 2, 0], [0, 0, 2, 2, math.pi / 4]) == pytest.approx(octagon / (8 - octagon))


def test_lion_waymo_nms_uses_the_swapped_rectangle():
    # two 4 x 2 boxes at yaw 0, offset 1.5 m in y: true IoU 2/14, but mmdet-v0 rotates both by -90 deg
    # (2 along x, 4 along y): overlap 2 x 2.5 = 5, IoU 5/11
    boxes = np.array([[0, 0, 0, 4, 2, 1, 0], [0, 1.5, 0, 4, 2, 1, 0]], dtype=np.float32)
    scores = np.array([0.9, 0.8])
    assert len(nms_gpu(boxes, scores, 0.3, 100, 100)) == 2
    keep = multi_class_nms(boxes, scores, np.array([0, 0]), [0.3], [100], [100])
    assert keep.tolist() == [0]


def test_greedy_nms_order_and_truncation():
    rects = np.array([[0, 0, 2, 2, 0], [0.1, 0, 2, 2, 0], [5, 5, 1, 1, 0]])
    assert greedy_nms(rects, [0.5, 0.9, 0.7], 0.3).tolist() == [1, 2]
    assert greedy_nms(rects, [0.5, 0.9, 0.7], 0.3, pre_max=2).tolist() == [1, 2]
    assert greedy_nms(rects, [0.5, 0.9, 0.7], 0.3, post_max=1).tolist() == [1]


def test_residual_coder_round_trip():
    anchors = torch.tensor([[1.0, 2.0, -1.0, 3.9, 1.6, 1.56, 0.0]])
    boxes = torch.tensor([[1.5, 1.0, -0.8, 4.2, 1.7, 1.5, 0.3]])
    codes = ResidualCoder.encode(boxes, anchors)
    assert codes[0, 0].item() == pytest.approx(0.5 / math.hypot(3.9, 1.6))
    assert torch.allclose(ResidualCoder.decode(codes, anchors), boxes, atol=1e-6)


def test_bad_config_names_the_field(tmp_path):
    cfg = open(os.path.join(ROOT, 'tests', 'fixtures', 'parity', 'lion_mamba_anchor.yaml')).read()
    p = tmp_path / 'bad.yaml'
    p.write_text(cfg.replace('NAME: Mamba', 'NAME: Transformer'))
    with pytest.raises(ValueError, match='OPERATOR.NAME'):
        build_detector(load_config(str(p)))


def test_dynamic_pillar_vfe_pools_the_max_per_pillar_and_keeps_openpcdet_keys():
    from reference.vfe import DynamicPillarVFE
    vfe = DynamicPillarVFE({'NUM_FILTERS': [4], 'BN_EPS': 1e-3}, 4, [1.0, 1.0, 4.0], [2, 2, 1], [0, 0, -2, 2, 2, 2])
    assert sorted(vfe.state_dict())[0].startswith('pfn_layers.0.linear')
    assert vfe.pfn_layers[0].linear.weight.shape == (4, 10)
    vfe.eval()
    pts = torch.tensor([[0, 0.2, 0.2, 0.0, 1.0], [0, 0.7, 0.4, 0.5, 0.0], [0, 1.5, 1.5, 0.0, 0.0]])
    feats, coords = vfe(pts)
    assert coords.tolist() == [[0, 0, 0, 0], [0, 0, 1, 1]]
    y = torch.relu(vfe.pfn_layers[0].norm(vfe.pfn_layers[0].linear(torch.tensor([
        [0.2, 0.2, 0.0, 1.0, -0.25, -0.1, -0.25, -0.3, -0.3, 0.0],
        [0.7, 0.4, 0.5, 0.0, 0.25, 0.1, 0.25, 0.2, -0.1, 0.5]]))))
    assert torch.allclose(feats[0], y.max(0).values, atol=1e-6)
