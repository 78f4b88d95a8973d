"""Reading a KITTI-format object dataset (velodyne .bin, label_2, calib, image_2 size) and converting the
camera labels to LiDAR boxes with OpenPCDet's conventions (data.md §1.4-§1.6); writing KITTI result files."""
import math
import os
import struct

import numpy as np


class Calib:
    def __init__(self, path):
        vals = {}
        with open(path, 'r', encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                if ':' not in line:
                    raise ValueError(f'{path}:{lineno}: expected "KEY: values"')
                key, rest = line.split(':', 1)
                try:
                    vals[key.strip()] = np.array([float(v) for v in rest.split()], dtype=np.float64)
                except ValueError as exc:
                    raise ValueError(f'{path}:{lineno}: field {key.strip()}: expected numbers') from exc
        try:
            self.P2 = vals['P2'].reshape(3, 4)
            self.R0 = vals.get('R0_rect', vals.get('R_rect', np.eye(3).ravel())).reshape(3, 3)
            self.V2C = vals.get('Tr_velo_to_cam', vals.get('Tr_velo_cam')).reshape(3, 4)
        except (KeyError, AttributeError, ValueError) as exc:
            raise ValueError(f'{path}: expected P2 (12 values), R0_rect (9) and Tr_velo_to_cam (12)') from exc
        r0 = np.eye(4)
        r0[:3, :3] = self.R0
        v2c = np.eye(4)
        v2c[:3, :] = self.V2C
        self.lidar_to_rect_m = r0 @ v2c
        self.rect_to_lidar_m = np.linalg.inv(self.lidar_to_rect_m)

    def rect_to_lidar(self, pts):
        h = np.concatenate([pts, np.ones((len(pts), 1))], 1)
        return (h @ self.rect_to_lidar_m.T)[:, :3]

    def lidar_to_rect(self, pts):
        h = np.concatenate([pts, np.ones((len(pts), 1))], 1)
        return (h @ self.lidar_to_rect_m.T)[:, :3]

    def rect_to_img(self, pts):
        h = np.concatenate([pts, np.ones((len(pts), 1))], 1) @ self.P2.T
        return h[:, :2] / h[:, 2:3], h[:, 2]


def image_size(root, split_dir, idx):
    """(width, height) from the PNG header of image_2/<idx>.png; KITTI's 1242 x 375 if absent."""
    path = os.path.join(root, split_dir, 'image_2', f'{idx}.png')
    if os.path.exists(path):
        with open(path, 'rb') as f:
            head = f.read(24)
        if head[:8] == b'\x89PNG\r\n\x1a\n':
            return struct.unpack('>II', head[16:24])
    return 1242, 375


def read_points(path):
    data = np.fromfile(path, dtype=np.float32)
    if data.size % 4:
        raise ValueError(f'{path}: size {data.size * 4} bytes is not a multiple of 16 (x y z intensity float32)')
    return data.reshape(-1, 4)


def read_labels(path, calib):
    """Returns (names, boxes (K, 7) LiDAR OpenPCDet, camera fields dict) without DontCare rows."""
    names, boxes = [], []
    with open(path, 'r', encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 15:
                raise ValueError(f'{path}:{lineno}: expected 15 fields, got {len(parts)}')
            if parts[0] == 'DontCare':
                continue
            try:
                h, w, l, x, y, z, ry = (float(v) for v in parts[8:15])
            except ValueError as exc:
                raise ValueError(f'{path}:{lineno}: fields 8-14 (dimensions, location, rotation_y): '
                                 'expected numbers') from exc
            names.append(parts[0])
            boxes.append((x, y, z, l, w, h, ry))
    if not boxes:
        return [], np.zeros((0, 7), dtype=np.float32)
    b = np.array(boxes, dtype=np.float64)
    xyz = calib.rect_to_lidar(b[:, :3])
    xyz[:, 2] += b[:, 5] / 2
    heading = -(b[:, 6] + math.pi / 2)
    lidar = np.concatenate([xyz, b[:, 3:6], heading[:, None]], 1)
    return names, lidar.astype(np.float32)


def fov_mask(points, calib, size):
    uv, depth = calib.rect_to_img(calib.lidar_to_rect(points[:, :3].astype(np.float64)))
    w, h = size
    return (depth > 0) & (uv[:, 0] >= 0) & (uv[:, 0] < w) & (uv[:, 1] >= 0) & (uv[:, 1] < h)


def read_split(root, split):
    path = os.path.join(root, 'ImageSets', f'{split}.txt')
    with open(path, 'r', encoding='utf-8') as f:
        return [s for s in f.read().split() if s]


class KittiDataset:
    def __init__(self, root, split, class_names, fov_only=True):
        self.root, self.class_names, self.fov_only = root, list(class_names), fov_only
        self.ids = read_split(root, split)
        self.dir = 'training'

    def __len__(self):
        return len(self.ids)

    def calib(self, idx):
        return Calib(os.path.join(self.root, self.dir, 'calib', f'{idx}.txt'))

    def __getitem__(self, i):
        idx = self.ids[i]
        calib = self.calib(idx)
        pts = read_points(os.path.join(self.root, self.dir, 'velodyne', f'{idx}.bin'))
        size = image_size(self.root, self.dir, idx)
        if self.fov_only:
            pts = pts[fov_mask(pts, calib, size)]
        label_path = os.path.join(self.root, self.dir, 'label_2', f'{idx}.txt')
        names, boxes = read_labels(label_path, calib) if os.path.exists(label_path) else ([], np.zeros((0, 7)))
        keep = [k for k, n in enumerate(names) if n in self.class_names]
        labels = np.array([self.class_names.index(names[k]) + 1 for k in keep], dtype=np.int64)
        return {'id': idx, 'points': pts, 'gt_boxes': np.asarray(boxes, dtype=np.float32)[keep].reshape(-1, 7),
                'gt_labels': labels, 'calib': calib, 'image_size': size}


def write_kitti_result(path, boxes, scores, labels, class_names, calib, size):
    """KITTI result lines (camera frame, 2D box from the projected corners clipped to the image), with
    4 decimals as OpenPCDet and the C++ Detector write them: 2 would move boxes by up to 5 mm, enough to
    shift 3D AP at IoU 0.7 by points when the two are compared."""
    lines = []
    for b, s, lab in zip(boxes, scores, labels):
        x, y, z, dx, dy, dz, yaw = (float(v) for v in b)
        c, sn = math.cos(yaw), math.sin(yaw)
        corners = []
        for ix in (-0.5, 0.5):
            for iy in (-0.5, 0.5):
                for iz in (-0.5, 0.5):
                    corners.append((x + ix * dx * c - iy * dy * sn, y + ix * dx * sn + iy * dy * c, z + iz * dz))
        uv, depth = calib.rect_to_img(calib.lidar_to_rect(np.array(corners)))
        if (depth <= 0).all():
            continue
        w, h = size
        x1, y1 = np.clip(uv[:, 0].min(), 0, w - 1), np.clip(uv[:, 1].min(), 0, h - 1)
        x2, y2 = np.clip(uv[:, 0].max(), 0, w - 1), np.clip(uv[:, 1].max(), 0, h - 1)
        bottom = calib.lidar_to_rect(np.array([[x, y, z - dz / 2]]))[0]
        ry = -yaw - math.pi / 2
        ry = (ry + math.pi) % (2 * math.pi) - math.pi
        alpha = -math.atan2(-y, x) + ry
        alpha = (alpha + math.pi) % (2 * math.pi) - math.pi
        lines.append(f'{class_names[int(lab) - 1]} -1 -1 {alpha:.4f} {x1:.4f} {y1:.4f} {x2:.4f} {y2:.4f} '
                     f'{dz:.4f} {dy:.4f} {dx:.4f} {bottom[0]:.4f} {bottom[1]:.4f} {bottom[2]:.4f} {ry:.4f} {float(s):.4f}')
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + ('\n' if lines else ''))
    os.replace(tmp, path)
