"""Box coding, rotated BEV IoU and every NMS variant of the specs (lion.md §2.10-§2.11, flatformer.md §7.2).

All NMS variants reduce to greedy NMS on rotated BEV rectangles (cx, cy, size_x, size_y, ccw angle); they
differ in how the detector's box is turned into that rectangle. IoU is exact polygon clipping in float64."""
import math

import numpy as np
import torch


def limit_period(val, offset=0.5, period=math.pi):
    return val - torch.floor(val / period + offset) * period


class ResidualCoder:
    """OpenPCDet ResidualCoder (7 dims, no extra code): centre offsets over the anchor diagonal, log sizes."""
    code_size = 7

    @staticmethod
    def encode(boxes, anchors):
        xa, ya, za, dxa, dya, dza, ra = anchors.unbind(-1)
        xg, yg, zg, dxg, dyg, dzg, rg = boxes.unbind(-1)
        dxa, dya, dza = dxa.clamp(min=1e-5), dya.clamp(min=1e-5), dza.clamp(min=1e-5)
        dxg, dyg, dzg = dxg.clamp(min=1e-5), dyg.clamp(min=1e-5), dzg.clamp(min=1e-5)
        d = torch.sqrt(dxa ** 2 + dya ** 2)
        return torch.stack([(xg - xa) / d, (yg - ya) / d, (zg - za) / dza, torch.log(dxg / dxa),
                            torch.log(dyg / dya), torch.log(dzg / dza), rg - ra], dim=-1)

    @staticmethod
    def decode(codes, anchors):
        xa, ya, za, dxa, dya, dza, ra = anchors.unbind(-1)
        xt, yt, zt, dxt, dyt, dzt, rt = codes.unbind(-1)
        d = torch.sqrt(dxa ** 2 + dya ** 2)
        return torch.stack([xt * d + xa, yt * d + ya, zt * dza + za, torch.exp(dxt) * dxa, torch.exp(dyt) * dya,
                            torch.exp(dzt) * dza, rt + ra], dim=-1)


def _corners(b):
    """b (5,) = cx, cy, sx, sy, angle (ccw) -> (4, 2) corners, counter-clockwise order."""
    cx, cy, sx, sy, a = b
    c, s = math.cos(a), math.sin(a)
    pts = [(-sx / 2, -sy / 2), (sx / 2, -sy / 2), (sx / 2, sy / 2), (-sx / 2, sy / 2)]
    return [(cx + px * c - py * s, cy + px * s + py * c) for px, py in pts]


def _clip(subject, clip):
    """Sutherland-Hodgman clipping of a convex polygon by a convex ccw polygon."""
    out = subject
    for i in range(len(clip)):
        if not out:
            break
        ax, ay = clip[i]
        bx, by = clip[(i + 1) % len(clip)]
        inp, out = out, []

        def inside(p):
            return (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax) >= 0

        for j in range(len(inp)):
            p, q = inp[j], inp[(j + 1) % len(inp)]
            pin, qin = inside(p), inside(q)
            if pin:
                out.append(p)
            if pin != qin:
                dx, dy = q[0] - p[0], q[1] - p[1]
                den = (bx - ax) * dy - (by - ay) * dx
                if den != 0:
                    t = ((ax - p[0]) * (by - ay) - (ay - p[1]) * (bx - ax)) / -den
                    out.append((p[0] + t * dx, p[1] + t * dy))
    return out


def _area(poly):
    if len(poly) < 3:
        return 0.0
    s = 0.0
    for i in range(len(poly)):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % len(poly)]
        s += x1 * y2 - x2 * y1
    return abs(s) / 2


def rotated_iou(a, b):
    """BEV IoU of two rectangles (cx, cy, sx, sy, ccw angle)."""
    ra, rb = max(a[2], a[3]) * 0.7072, max(b[2], b[3]) * 0.7072
    if (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 > (ra + rb) ** 2:
        return 0.0
    inter = _area(_clip(_corners(a), _corners(b)))
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / max(union, 1e-8)


def rotated_iou_matrix(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.array([[rotated_iou(x, y) for y in b] for x in a]).reshape(len(a), len(b))


def greedy_nms(rects, scores, thresh, pre_max=None, post_max=None):
    """Sort by score (descending, stable), truncate to pre_max, suppress IoU > thresh, keep post_max.
    Returns indices into the input."""
    scores = np.asarray(scores, dtype=np.float64)
    rects = np.asarray(rects, dtype=np.float64)
    order = np.argsort(-scores, kind='stable')
    if pre_max is not None:
        order = order[:pre_max]
    keep = []
    removed = np.zeros(len(order), dtype=bool)
    r = rects[order]
    radius = np.maximum(r[:, 2], r[:, 3]) * 0.7072  # circumradius bound: farther pairs cannot overlap
    for i in range(len(order)):
        if removed[i]:
            continue
        keep.append(int(order[i]))
        if post_max is not None and len(keep) >= post_max:
            break
        rest = np.arange(i + 1, len(order))
        rest = rest[~removed[rest]]
        near = rest[np.hypot(r[rest, 0] - r[i, 0], r[rest, 1] - r[i, 1]) <= radius[rest] + radius[i]]
        for j in near:
            if rotated_iou(r[i], r[j]) > thresh:
                removed[j] = True
    return np.array(keep, dtype=np.int64)


def rects_openpcdet(boxes7):
    """OpenPCDet iou3d nms_gpu: (x, y, dx, dy, yaw), corners rotated ccw by yaw."""
    b = np.asarray(boxes7, dtype=np.float64).reshape(-1, 7)
    return np.stack([b[:, 0], b[:, 1], b[:, 3], b[:, 4], b[:, 6]], 1)


def rects_mmdet_v0(boxes7):
    """LION multi_class_nms (DSVT's mmdet3d-v0 BEV NMS): xyxyr with r = wrap(-yaw + pi/2), the kernel rotates
    clockwise by r, i.e. the rectangle (dx, dy) at ccw angle yaw - pi/2 (dx and dy swapped relative to yaw)."""
    b = np.asarray(boxes7, dtype=np.float64).reshape(-1, 7)
    r = np.mod(-b[:, 6] + np.pi / 2 + np.pi, 2 * np.pi) - np.pi
    return np.stack([b[:, 0], b[:, 1], b[:, 3], b[:, 4], -r], 1)


def rects_mmdet3d_rotate(boxes_mm):
    """FlatFormer 'rotate' NMS on mmdet3d-0.x boxes (x, y, z, d0, d1, d2, r): corner form rotated clockwise by r."""
    b = np.asarray(boxes_mm, dtype=np.float64).reshape(-1, boxes_mm.shape[-1] if len(boxes_mm) else 9)
    return np.stack([b[:, 0], b[:, 1], b[:, 3], b[:, 4], -b[:, 6]], 1)


def nms_gpu(boxes7, scores, thresh, pre_max, post_max):
    return greedy_nms(rects_openpcdet(boxes7), scores, thresh, pre_max, post_max)


def _per_class_nms(rects, boxes, scores, labels, threshs, pre_maxs, post_maxs):
    """Per class k (labels 0-based) greedy NMS of rects(boxes) with the class's own threshold and limits; the kept
    indices concatenated class by class."""
    keep = []
    labels = np.asarray(labels)
    for k in range(len(threshs)):
        idx = np.nonzero(labels == k)[0]
        if len(idx) == 0:
            continue
        sel = greedy_nms(rects(np.asarray(boxes)[idx]), np.asarray(scores)[idx], threshs[k], pre_maxs[k],
                         post_maxs[k])
        keep.append(idx[sel])
    return np.concatenate(keep) if keep else np.zeros(0, dtype=np.int64)


def multi_class_nms(boxes7, scores, labels, threshs, pre_maxs, post_maxs):
    """LION's Waymo multi-class NMS on OpenPCDet boxes, with mmdet v0's corner geometry (the quirk)."""
    return _per_class_nms(rects_mmdet_v0, boxes7, scores, labels, threshs, pre_maxs, post_maxs)


def mmdet3d_rotate_nms(boxes_mm, scores, labels, threshs, pre_maxs, post_maxs):
    """FlatFormer's class-specific 'rotate' NMS on mmdet3d-0.x boxes."""
    return _per_class_nms(rects_mmdet3d_rotate, boxes_mm, scores, labels, threshs, pre_maxs, post_maxs)


def boxes_mmdet3d_to_openpcdet(b):
    """mmdet3d-0.x LiDAR box (x, y, z_bottom, w=d0, l=d1, h=d2, r) -> OpenPCDet (x, y, z_c, dx=l, dy=w, dz=h, yaw)
    with yaw = -(r + pi/2) (flatformer.md §7.3)."""
    yaw = -(b[:, 6] + math.pi / 2)
    yaw = torch.remainder(yaw + math.pi, 2 * math.pi) - math.pi
    return torch.stack([b[:, 0], b[:, 1], b[:, 2] + b[:, 5] / 2, b[:, 4], b[:, 3], b[:, 5], yaw], 1)


def boxes_openpcdet_to_mmdet3d(b):
    r = -b[:, 6] - math.pi / 2
    r = torch.remainder(r + math.pi, 2 * math.pi) - math.pi
    return torch.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 5] / 2, b[:, 4], b[:, 3], b[:, 5], r], 1)
