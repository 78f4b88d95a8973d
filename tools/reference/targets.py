"""Training targets and losses: OpenPCDet's AxisAlignedTargetAssigner for the anchor head (focal cls loss,
smooth-L1 box loss with the sin-difference angle trick, direction CE) and CenterPoint heatmap targets for the
mmdet3d CenterHead (Gaussian focal loss, L1 box loss, IoU-branch L1)."""
import math

import torch
import torch.nn.functional as F

from .box_ops import ResidualCoder, boxes_openpcdet_to_mmdet3d, limit_period, rects_openpcdet, rotated_iou


def nearest_bev(boxes):
    """Axis-aligned BEV (x1, y1, x2, y2) of rotated boxes, swapping dx/dy when the yaw is nearer pi/2."""
    rot = limit_period(boxes[:, 6], 0.5, math.pi).abs()
    swap = rot > math.pi / 4
    dx = torch.where(swap, boxes[:, 4], boxes[:, 3])
    dy = torch.where(swap, boxes[:, 3], boxes[:, 4])
    return torch.stack([boxes[:, 0] - dx / 2, boxes[:, 1] - dy / 2, boxes[:, 0] + dx / 2, boxes[:, 1] + dy / 2], 1)


def iou_aligned(a, b):
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[:, None] + area_b[None, :] - inter).clamp(min=1e-6)


def iou3d_pairs(a, b):
    """3D IoU of a[i] with b[i] (OpenPCDet boxes, centre z): exact rotated BEV overlap times the height
    overlap, the quantity the KITTI evaluator thresholds at 0.7."""
    ra, rb = rects_openpcdet(a.detach().double().numpy()), rects_openpcdet(b.detach().double().numpy())
    out = torch.zeros(len(a))
    for i in range(len(a)):
        bev_inter = rotated_iou(ra[i], rb[i])
        bev_inter = bev_inter * (ra[i][2] * ra[i][3] + rb[i][2] * rb[i][3]) / (1 + bev_inter)  # IoU -> area
        za0, za1 = float(a[i, 2] - a[i, 5] / 2), float(a[i, 2] + a[i, 5] / 2)
        zb0, zb1 = float(b[i, 2] - b[i, 5] / 2), float(b[i, 2] + b[i, 5] / 2)
        inter = bev_inter * max(0.0, min(za1, zb1) - max(za0, zb0))
        vol = float(a[i, 3] * a[i, 4] * a[i, 5] + b[i, 3] * b[i, 4] * b[i, 5])
        out[i] = inter / max(vol - inter, 1e-8)
    return out


def assign_anchor_targets(anchors, anchor_cfgs, gt_boxes, gt_labels):
    """anchors (H, W, A, 7) with A = sum over classes of (sizes x rotations). Returns per anchor:
    labels (0 background, -1 ignore, c >= 1 class), box targets (N, 7), matched gt boxes (N, 7)."""
    H, W, A, _ = anchors.shape
    labels = torch.zeros(H, W, A, dtype=torch.long)
    targets = torch.zeros(H, W, A, 7)
    a0 = 0
    for ci, cfg in enumerate(anchor_cfgs):
        n = len(cfg['anchor_sizes']) * len(cfg['anchor_rotations']) * len(cfg['anchor_bottom_heights'])
        anc = anchors[:, :, a0:a0 + n].reshape(-1, 7)
        lab = torch.zeros(len(anc), dtype=torch.long)
        tgt = torch.zeros(len(anc), 7)
        mask = gt_labels == ci + 1
        gts = gt_boxes[mask]
        if len(gts):
            iou = iou_aligned(nearest_bev(anc), nearest_bev(gts))
            best_iou, best_gt = iou.max(1)
            lab[:] = -1
            lab[best_iou < cfg['unmatched_threshold']] = 0
            gt_best_iou, _ = iou.max(0)
            force = (iou == gt_best_iou[None, :]) & (gt_best_iou[None, :] > 0)
            fa, fg = torch.nonzero(force, as_tuple=True)
            best_gt[fa] = fg
            pos = best_iou >= cfg['matched_threshold']
            pos[fa] = True
            lab[pos] = ci + 1
            tgt[pos] = ResidualCoder.encode(gts[best_gt[pos]], anc[pos])
        labels[:, :, a0:a0 + n] = lab.view(H, W, n)
        targets[:, :, a0:a0 + n] = tgt.view(H, W, n, 7)
        a0 += n
    return labels.reshape(-1), targets.reshape(-1, 7)


def sigmoid_focal(logits, onehot, alpha=0.25, gamma=2.0):
    p = torch.sigmoid(logits)
    pt = onehot * (1 - p) + (1 - onehot) * p
    w = (onehot * alpha + (1 - onehot) * (1 - alpha)) * pt.pow(gamma)
    return w * F.binary_cross_entropy_with_logits(logits, onehot, reduction='none')


def smooth_l1(x, beta=1.0 / 9.0):
    ax = x.abs()
    return torch.where(ax < beta, 0.5 * ax ** 2 / beta, ax - 0.5 * beta)


def anchor_head_loss(head, preds, batch, loss_cfg):
    """OpenPCDet AnchorHeadTemplate losses, normalised by the number of positives per sample."""
    w = loss_cfg['LOSS_WEIGHTS']
    B = preds['cls_preds'].shape[0]
    num_class = preds['cls_preds'].shape[-1]
    total, parts = 0.0, {'cls': 0.0, 'box': 0.0, 'dir': 0.0}
    anchors = head.anchors.cpu().reshape(-1, 7)  # targets are built on the CPU
    for b in range(B):
        labels, targets = assign_anchor_targets(head.anchors.cpu(), head.anchor_cfgs, batch['gt_boxes'][b],
                                                batch['gt_labels'][b])
        pos = labels > 0
        cared = labels >= 0
        npos = max(float(pos.sum()), 1.0)
        onehot = torch.zeros(len(labels), num_class)
        onehot[pos, labels[pos] - 1] = 1.0
        cls = (sigmoid_focal(preds['cls_preds'][b], onehot) * cared[:, None].float()).sum() / npos
        bp, bt = preds['box_preds'][b][pos], targets[pos]
        # sin(a - b) = sin a cos b - cos a sin b on the angle column (OpenPCDet add_sin_difference)
        s1 = torch.sin(bp[:, 6:7]) * torch.cos(bt[:, 6:7])
        s2 = torch.cos(bp[:, 6:7]) * torch.sin(bt[:, 6:7])
        diff = torch.cat([bp[:, :6] - bt[:, :6], s1 - s2], 1) * bp.new_tensor(w['code_weights'])
        box = smooth_l1(diff).sum() / npos
        gt_rot = targets[pos, 6] + anchors[pos, 6]
        off = head.cfg.get('DIR_OFFSET', 0.78539)
        nb = head.num_dir_bins
        dir_t = torch.floor(limit_period(gt_rot - off, 0, 2 * math.pi) / (2 * math.pi / nb)).long().clamp(0, nb - 1)
        dr = F.cross_entropy(preds['dir_cls_preds'][b][pos], dir_t, reduction='sum') / npos if pos.any() else 0.0
        parts['cls'] += float(cls) / B
        parts['box'] += float(box) / B
        parts['dir'] += float(dr) / B
        total = total + (w['cls_weight'] * cls + w['loc_weight'] * box + w['dir_weight'] * dr) / B
    return total, parts


def gaussian_radius(h, w, min_overlap=0.1):
    """CenterNet's radius for which a shifted box keeps IoU >= min_overlap (three cases, smallest)."""
    b1, c1 = h + w, w * h * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * c1)) / 2
    b2, c2 = 2 * (h + w), (1 - min_overlap) * w * h
    r2 = (b2 + math.sqrt(b2 ** 2 - 16 * c2)) / 2
    a3, b3, c3 = 4 * min_overlap, -2 * min_overlap * (h + w), (min_overlap - 1) * w * h
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def draw_gaussian(hm, cx, cy, radius):
    H, W = hm.shape
    sigma = (2 * radius + 1) / 6
    ys = torch.arange(max(0, cy - radius), min(H, cy + radius + 1))
    xs = torch.arange(max(0, cx - radius), min(W, cx + radius + 1))
    g = torch.exp(-((xs[None, :] - cx) ** 2 + (ys[:, None] - cy) ** 2) / (2 * sigma * sigma))
    hm[ys[0]:ys[-1] + 1, xs[0]:xs[-1] + 1] = torch.max(hm[ys[0]:ys[-1] + 1, xs[0]:xs[-1] + 1], g)


def center_targets(gt_boxes, gt_labels, num_class, H, W, coder, tcfg):
    """mmdet3d CenterHead targets for one sample: heatmap (C, H, W), and for each GT centre cell the
    regression targets reg(2) height(1) log-dim(3) sin/cos(2) vel(2) in mmdet3d box convention."""
    vs, pc, f = coder['VOXEL_SIZE'], coder['PC_RANGE'], coder['OUT_SIZE_FACTOR']
    hm = torch.zeros(num_class, H, W)
    mm = boxes_openpcdet_to_mmdet3d(gt_boxes) if len(gt_boxes) else gt_boxes.new_zeros(0, 7)
    inds, regs, boxes = [], [], []
    for k in range(len(gt_boxes)):
        x, y, zb, d0, d1, d2, r = mm[k].tolist()
        w_cells, l_cells = d0 / vs[0] / f, d1 / vs[1] / f
        if w_cells <= 0 or l_cells <= 0:
            continue
        cxf, cyf = (x - pc[0]) / vs[0] / f, (y - pc[1]) / vs[1] / f
        cx, cy = int(math.floor(cxf)), int(math.floor(cyf))
        if not (0 <= cx < W and 0 <= cy < H):
            continue
        radius = max(tcfg.get('MIN_RADIUS', 2), int(gaussian_radius(l_cells, w_cells, tcfg.get('GAUSSIAN_OVERLAP', 0.1))))
        draw_gaussian(hm[int(gt_labels[k]) - 1], cx, cy, radius)
        inds.append(cy * W + cx)
        regs.append([cxf - cx, cyf - cy, zb + d2 / 2, math.log(d0), math.log(d1), math.log(d2), math.sin(r),
                     math.cos(r), 0.0, 0.0])
        boxes.append(gt_boxes[k])
    return hm, torch.tensor(inds, dtype=torch.long), torch.tensor(regs).reshape(-1, 10), \
        (torch.stack(boxes) if boxes else gt_boxes.new_zeros(0, 7))


def gaussian_focal(pred_logits, target, eps=1e-4):
    p = torch.sigmoid(pred_logits).clamp(eps, 1 - eps)
    pos = target.eq(1).float()
    neg_w = (1 - target).pow(4)
    pos_loss = -(torch.log(p) * (1 - p).pow(2) * pos).sum()
    neg_loss = -(torch.log(1 - p) * p.pow(2) * neg_w * (1 - pos)).sum()
    return (pos_loss + neg_loss) / pos.sum().clamp(min=1)


def center_head_loss(head, preds, batch):
    cfg = head.cfg
    coder, tcfg = cfg['BBOX_CODER'], cfg['TARGET_ASSIGNER_CONFIG']
    w = cfg['LOSS_CONFIG']['LOSS_WEIGHTS']
    p = preds[0]
    B, C, H, W = p['heatmap'].shape
    code_w = p['heatmap'].new_tensor(w['code_weights'])
    total, parts = 0.0, {'hm': 0.0, 'box': 0.0, 'iou': 0.0, 'z_err': 0.0, 'l_err': 0.0}
    for b in range(B):
        hm, inds, regs, gtb = center_targets(batch['gt_boxes'][b], batch['gt_labels'][b], C, H, W, coder, tcfg)
        lh = gaussian_focal(p['heatmap'][b], hm)
        lb = p['heatmap'].new_zeros(())
        li = p['heatmap'].new_zeros(())
        if len(inds):
            def gather(name):
                t = p[name][b].reshape(p[name].shape[1], -1)
                return t[:, inds].t()
            pr = torch.cat([gather('reg'), gather('height'), gather('dim'), gather('rot'), gather('vel')], 1)
            lb = ((pr - regs).abs() * code_w).sum() / len(inds)
            # monitoring only: mean absolute centre-z error (m) and log-length error, the hard parts of 3D IoU
            parts['z_err'] += float((pr[:, 2] - regs[:, 2]).abs().mean()) / B
            parts['l_err'] += float((pr[:, 4] - regs[:, 4]).abs().mean()) / B
            if 'iou' in p:
                with torch.no_grad():  # 3D IoU of the decoded box with its GT (what the score should rank by)
                    vs, pc = coder['VOXEL_SIZE'], coder['PC_RANGE']
                    cx = (inds % W).float() + pr[:, 0]
                    cy = torch.div(inds, W, rounding_mode='floor').float() + pr[:, 1]
                    dims = torch.exp(pr[:, 3:6])
                    r = torch.atan2(pr[:, 6], pr[:, 7])
                    dec = torch.stack([cx * vs[0] + pc[0], cy * vs[1] + pc[1], pr[:, 2], dims[:, 1], dims[:, 0],
                                       dims[:, 2], -(r + math.pi / 2)], 1)
                    iou_t = iou3d_pairs(dec, gtb)
                li = (gather('iou')[:, 0] - iou_t).abs().mean()
        parts['hm'] += float(lh) / B
        parts['box'] += float(lb) / B
        parts['iou'] += float(li) / B
        total = total + (w['cls_weight'] * lh + w['loc_weight'] * lb + w.get('iou_weight', 1.0) * li) / B
    return total, parts
