"""OpenPCDet AnchorHeadSingle with its anchor generator, decoding and post-processing (lion.md §2.10)."""
import math

import torch
from torch import nn

from .box_ops import ResidualCoder, limit_period, nms_gpu


def generate_anchors(anchor_cfgs, point_cloud_range, grid_size):
    """Anchors (H, W, A, 7) in OpenPCDet order: per cell [class][size][rotation]. grid_size (X, Y, Z)."""
    per_class = []
    for cfg in anchor_cfgs:
        stride = cfg.get('feature_map_stride', 1)
        W, H = grid_size[0] // stride, grid_size[1] // stride
        x0, y0, x1, y1 = point_cloud_range[0], point_cloud_range[1], point_cloud_range[3], point_cloud_range[4]
        if cfg.get('align_center', False):
            xs = (x1 - x0) / W
            ys = (y1 - y0) / H
            xc = x0 + xs / 2 + torch.arange(W, dtype=torch.float32) * xs
            yc = y0 + ys / 2 + torch.arange(H, dtype=torch.float32) * ys
        else:
            xs = (x1 - x0) / (W - 1)
            ys = (y1 - y0) / (H - 1)
            xc = x0 + torch.arange(W, dtype=torch.float32) * xs
            yc = y0 + torch.arange(H, dtype=torch.float32) * ys
        sizes = cfg['anchor_sizes']
        rots = cfg['anchor_rotations']
        heights = cfg['anchor_bottom_heights']
        cells = []
        for zb in heights:
            for size in sizes:
                for r in rots:
                    a = torch.zeros(H, W, 7)
                    a[..., 0] = xc.view(1, W)
                    a[..., 1] = yc.view(H, 1)
                    a[..., 2] = zb + size[2] / 2
                    a[..., 3:6] = torch.tensor(size, dtype=torch.float32)
                    a[..., 6] = r
                    cells.append(a)
        per_class.append(torch.stack(cells, dim=2))
    return torch.cat(per_class, dim=2)  # (H, W, A, 7)


class AnchorHeadSingle(nn.Module):
    def __init__(self, model_cfg, input_channels, num_class, class_names, grid_size, point_cloud_range):
        super().__init__()
        self.cfg = model_cfg
        self.num_class = num_class
        self.anchor_cfgs = model_cfg['ANCHOR_GENERATOR_CONFIG']
        anchors = generate_anchors(self.anchor_cfgs, point_cloud_range, grid_size)
        self.register_buffer('anchors', anchors, persistent=False)
        self.num_anchors_per_location = anchors.shape[2]
        self.num_dir_bins = model_cfg.get('NUM_DIR_BINS', 2)
        self.conv_cls = nn.Conv2d(input_channels, self.num_anchors_per_location * num_class, 1)
        self.conv_box = nn.Conv2d(input_channels, self.num_anchors_per_location * 7, 1)
        self.conv_dir_cls = nn.Conv2d(input_channels, self.num_anchors_per_location * self.num_dir_bins, 1)
        nn.init.constant_(self.conv_cls.bias, -math.log((1 - 0.01) / 0.01))
        nn.init.normal_(self.conv_box.weight, mean=0, std=0.001)

    def forward(self, x):
        """Returns cls (B, H*W*A, num_class), box codes (B, H*W*A, 7), dir logits (B, H*W*A, bins)."""
        B = x.shape[0]
        cls = self.conv_cls(x).permute(0, 2, 3, 1).reshape(B, -1, self.num_class)
        box = self.conv_box(x).permute(0, 2, 3, 1).reshape(B, -1, 7)
        dr = self.conv_dir_cls(x).permute(0, 2, 3, 1).reshape(B, -1, self.num_dir_bins)
        return {'cls_preds': cls, 'box_preds': box, 'dir_cls_preds': dr}

    def decode(self, preds):
        anchors = self.anchors.to(preds['box_preds'].device).reshape(1, -1, 7).expand(preds['box_preds'].shape[0], -1, -1)
        boxes = ResidualCoder.decode(preds['box_preds'], anchors)
        off, lim = self.cfg.get('DIR_OFFSET', 0.78539), self.cfg.get('DIR_LIMIT_OFFSET', 0.0)
        period = 2 * math.pi / self.num_dir_bins
        bins = torch.argmax(preds['dir_cls_preds'], dim=-1)
        rot = limit_period(boxes[..., 6] - off, lim, period)
        boxes = torch.cat([boxes[..., :6], (rot + off + period * bins.to(boxes.dtype)).unsqueeze(-1)], dim=-1)
        return boxes, preds['cls_preds']

    def post_process(self, boxes, cls_logits, post_cfg):
        """Class-agnostic path of Detector3DTemplate.post_processing for one sample. Returns a dict with the
        boxes before NMS (after the score threshold) and after."""
        nms = post_cfg['NMS_CONFIG']
        scores_all = torch.sigmoid(cls_logits)
        scores, labels = scores_all.max(dim=-1)
        mask = scores >= post_cfg['SCORE_THRESH']
        b, s, l = boxes[mask], scores[mask], labels[mask]
        keep = nms_gpu(b.detach().numpy(), s.detach().numpy(), nms['NMS_THRESH'], nms['NMS_PRE_MAXSIZE'],
                       nms['NMS_POST_MAXSIZE'])
        keep = torch.from_numpy(keep).long()
        return {'pre_nms_boxes': b, 'pre_nms_scores': s, 'pre_nms_labels': l + 1,
                'boxes': b[keep], 'scores': s[keep], 'labels': l[keep] + 1}
