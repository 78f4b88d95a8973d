"""Deterministic numpy-generated LiDAR frames (ground plane plus box-shaped objects) for tests and for the
parity fixtures when no simulator output is at hand."""
import numpy as np


def box_surface_points(rng, box, n):
    """n points on the faces of an OpenPCDet box (x, y, z_c, dx, dy, dz, yaw)."""
    x, y, z, dx, dy, dz, yaw = box
    u = rng.uniform(-0.5, 0.5, size=(n, 3)) * np.array([dx, dy, dz])
    face = rng.integers(0, 3, size=n)
    sign = rng.choice([-0.5, 0.5], size=n)
    for a, size in enumerate((dx, dy, dz)):
        sel = face == a
        u[sel, a] = sign[sel] * size
    c, s = np.cos(yaw), np.sin(yaw)
    px = x + u[:, 0] * c - u[:, 1] * s
    py = y + u[:, 0] * s + u[:, 1] * c
    return np.stack([px, py, z + u[:, 2]], 1)


def make_frame(seed, pc_range, n_ground=4000, n_cars=4, points_per_car=300, z_ground=-1.73):
    """Returns (points (N, 4) float32 x y z intensity, boxes (K, 7) OpenPCDet, labels (K,) 1-based)."""
    rng = np.random.default_rng(seed)
    x0, y0, _, x1, y1, _ = pc_range
    g = np.stack([rng.uniform(x0 + 0.5, x1 - 0.5, n_ground), rng.uniform(y0 + 0.5, y1 - 0.5, n_ground),
                  z_ground + rng.normal(0, 0.03, n_ground)], 1)
    boxes, pts = [], [g]
    for _ in range(n_cars):
        b = np.array([rng.uniform(x0 + 5, x1 - 5), rng.uniform(y0 + 5, y1 - 5), z_ground + 0.78,
                      rng.uniform(3.6, 4.3), rng.uniform(1.5, 1.8), rng.uniform(1.4, 1.6), rng.uniform(-np.pi, np.pi)])
        boxes.append(b)
        pts.append(box_surface_points(rng, b, points_per_car))
    xyz = np.concatenate(pts)
    inten = rng.uniform(0, 1, size=(len(xyz), 1))
    points = np.concatenate([xyz, inten], 1).astype(np.float32)
    return points, np.array(boxes, dtype=np.float32).reshape(-1, 7), np.ones(len(boxes), dtype=np.int64)


def batch_points(frames):
    """List of (N_i, F) arrays -> (sum N_i, 1+F) with the batch index in column 0."""
    rows = [np.concatenate([np.full((len(p), 1), i, dtype=np.float32), p], 1) for i, p in enumerate(frames)]
    return np.concatenate(rows)


# Velodyne -> camera permutation with a small translation (data.md §1.4 recipe for synthetic data).
V2C = np.array([[0, -1, 0, 0], [0, 0, -1, -0.08], [1, 0, 0, -0.27]], dtype=np.float64)
P2 = np.array([[721.5377, 0, 609.5593, 44.85728], [0, 721.5377, 172.854, 0.2163791], [0, 0, 1, 0.002745884]])


def write_kitti_dataset(root, n_frames, seed, pc_range, val_every=2):
    """A tiny KITTI-format dataset of make_frame() frames (Car only); every val_every-th frame is val."""
    import os
    for d in ('velodyne', 'label_2', 'calib'):
        os.makedirs(os.path.join(root, 'training', d), exist_ok=True)
    os.makedirs(os.path.join(root, 'ImageSets'), exist_ok=True)
    train, val = [], []
    for i in range(n_frames):
        idx = f'{i:06d}'
        pts, boxes, _ = make_frame(seed * 1000 + i, [max(pc_range[0], 2), -15, -3, 40, 15, 1])
        pts.tofile(os.path.join(root, 'training', 'velodyne', idx + '.bin'))
        with open(os.path.join(root, 'training', 'calib', idx + '.txt'), 'w') as f:
            f.write('P2: ' + ' '.join(f'{v:.6e}' for v in P2.ravel()) + '\n')
            f.write('R0_rect: 1 0 0 0 1 0 0 0 1\n')
            f.write('Tr_velo_to_cam: ' + ' '.join(f'{v:.6e}' for v in V2C.ravel()) + '\n')
        with open(os.path.join(root, 'training', 'label_2', idx + '.txt'), 'w') as f:
            for b in boxes:
                bottom = np.array([b[0], b[1], b[2] - b[5] / 2, 1.0])
                cam = (np.vstack([V2C, [0, 0, 0, 1]]) @ bottom)[:3]
                ry = -b[6] - np.pi / 2
                f.write(f'Car 0.00 0 0.00 100.00 100.00 200.00 200.00 {b[5]:.2f} {b[4]:.2f} {b[3]:.2f} '
                        f'{cam[0]:.2f} {cam[1]:.2f} {cam[2]:.2f} {ry:.2f}\n')
        (val if i % val_every == val_every - 1 else train).append(idx)
    for name, ids in (('train', train), ('val', val)):
        with open(os.path.join(root, 'ImageSets', name + '.txt'), 'w') as f:
            f.write('\n'.join(ids))
