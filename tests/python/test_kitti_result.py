"""Result files of the reference keep boxes to 1e-4, as the C++ Detector's do, so that the two score alike."""
import numpy as np

from reference.kitti_data import Calib, read_labels, write_kitti_result

CALIB = """P2: 721.5 0 609.5 44.8 0 721.5 172.8 0.2 0 0 1 0.003
R0_rect: 0.9999 0.0098 -0.0074 -0.0099 0.9999 -0.0043 0.0074 0.0044 1.0
Tr_velo_to_cam: 0.0075 -0.9999 -0.0006 -0.0041 0.0148 0.0007 -0.9999 -0.0763 0.9999 0.0075 0.0148 -0.2717
"""


def test_written_boxes_read_back_to_a_tenth_of_a_millimetre(tmp_path):
    calib_path = tmp_path / 'calib.txt'
    calib_path.write_text(CALIB)
    calib = Calib(str(calib_path))
    rng = np.random.default_rng(3)
    # Centres ahead of the camera, sizes and yaws with digits below the centimetre.
    boxes = np.stack([rng.uniform(8, 40, 20), rng.uniform(-8, 8, 20), rng.uniform(-1.7, -0.6, 20),
                      rng.uniform(3.5, 4.5, 20), rng.uniform(1.5, 1.9, 20), rng.uniform(1.4, 1.7, 20),
                      rng.uniform(-3, 3, 20)], axis=1)
    out = tmp_path / 'result.txt'
    write_kitti_result(str(out), boxes, np.full(20, 0.5), np.ones(20, dtype=np.int64), ['Car'], calib,
                       (1242, 375))
    names, back = read_labels(str(out), calib)
    assert names == ['Car'] * 20
    err = np.abs(np.asarray(back)[:, :6] - boxes[:, :6]).max()
    yaw_err = np.abs(np.angle(np.exp(1j * (np.asarray(back)[:, 6] - boxes[:, 6])))).max()
    assert err < 3e-4, err  # 2 decimals gave up to 5e-3
    assert yaw_err < 2e-4, yaw_err
