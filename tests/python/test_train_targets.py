"""The 3D IoU target of the CenterHead's IoU branch, against hand-computed overlaps."""
import math

import pytest
import torch

from reference.targets import iou3d_pairs


def box(x=10.0, y=0.0, z=-1.0, dx=4.0, dy=2.0, dz=1.5, yaw=0.0):
    return torch.tensor([[x, y, z, dx, dy, dz, yaw]])


def test_identical_boxes_have_iou_one():
    assert float(iou3d_pairs(box(yaw=0.3), box(yaw=0.3))[0]) == pytest.approx(1.0, abs=1e-6)


def test_vertical_shift_by_half_the_height_leaves_one_third():
    # overlap is half the volume: V/2 / (2V - V/2) = 1/3
    assert float(iou3d_pairs(box(), box(z=-1.0 + 0.75))[0]) == pytest.approx(1 / 3, abs=1e-6)


def test_longer_box_overlap_is_the_length_ratio():
    # same centre, 4 m vs 5 m long: intersection 4*2*1.5, union 5*2*1.5
    assert float(iou3d_pairs(box(), box(dx=5.0))[0]) == pytest.approx(0.8, abs=1e-6)


def test_quarter_turn_of_a_rectangle_gives_the_centre_square():
    # 4x2 vs the same turned 90 degrees: intersection 2x2 = 4, union 8 + 8 - 4 = 12
    got = float(iou3d_pairs(box(), box(yaw=math.pi / 2))[0])
    assert got == pytest.approx(4 / 12, abs=1e-6)


def test_disjoint_boxes_have_iou_zero_and_pairs_are_elementwise():
    a = torch.cat([box(), box(x=30.0)])
    b = torch.cat([box(x=20.0), box(x=30.0)])
    got = iou3d_pairs(a, b)
    assert got.shape == (2,)
    assert float(got[0]) == 0.0 and float(got[1]) == pytest.approx(1.0, abs=1e-6)
