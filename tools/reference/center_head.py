"""CenterPoint heads: OpenPCDet CenterHead with IoU rectification (LION Waymo, lion.md §2.10) and the mmdet3d
CenterHead of FlatFormer (flatformer.md §7). Both share the top-K heatmap decoding."""
import torch
from torch import nn

from .box_ops import mmdet3d_rotate_nms, multi_class_nms


def topk_heatmap(heat, K):
    """heat (C, H, W) scores -> (scores, class, row, col) of the top K over all classes: top K per class,
    then top K over the C*K candidates (sorted descending)."""
    C, H, W = heat.shape
    K = min(K, H * W)
    s, idx = torch.topk(heat.reshape(C, -1), K)
    s2, idx2 = torch.topk(s.reshape(-1), K)
    cls = torch.div(idx2, K, rounding_mode='floor')
    cell = idx.reshape(-1)[idx2]
    return s2, cls, torch.div(cell, W, rounding_mode='floor'), cell % W


class SeparateHeadPcdet(nn.Module):
    def __init__(self, cin, sep_cfg, eps, use_bias):
        super().__init__()
        self.order = list(sep_cfg.keys())
        for name, c in sep_cfg.items():
            layers = []
            for _ in range(c['num_conv'] - 1):
                layers.append(nn.Sequential(nn.Conv2d(cin, cin, 3, padding=1, bias=use_bias),
                                            nn.BatchNorm2d(cin, eps=eps, momentum=0.01), nn.ReLU()))
            layers.append(nn.Conv2d(cin, c['out_channels'], 3, padding=1, bias=True))
            seq = nn.Sequential(*layers)
            if name == 'hm':
                nn.init.constant_(seq[-1].bias, -2.19)
            setattr(self, name, seq)

    def forward(self, x):
        return {name: getattr(self, name)(x) for name in self.order}


class CenterHead(nn.Module):
    """OpenPCDet CenterHead (keys dense_head.shared_conv.*, dense_head.heads_list.0.<name>.*)."""

    def __init__(self, model_cfg, input_channels, num_class, class_names, grid_size, point_cloud_range, voxel_size):
        super().__init__()
        c = model_cfg
        self.cfg = c
        self.class_names = class_names
        self.grid_size, self.pc_range, self.voxel_size = grid_size, point_cloud_range, voxel_size
        self.stride = c['TARGET_ASSIGNER_CONFIG']['FEATURE_MAP_STRIDE']
        eps = c.get('BN_EPS', 1e-5)
        ch = c['SHARED_CONV_CHANNEL']
        self.shared_conv = nn.Sequential(nn.Conv2d(input_channels, ch, 3, padding=1,
                                                   bias=c.get('USE_BIAS_BEFORE_NORM', False)),
                                         nn.BatchNorm2d(ch, eps=eps, momentum=0.01), nn.ReLU())
        sep = c['SEPARATE_HEAD_CFG']
        self.heads_list = nn.ModuleList()
        for names in c['CLASS_NAMES_EACH_HEAD']:
            hd = {k: dict(sep['HEAD_DICT'][k]) for k in sep['HEAD_ORDER']}
            hd['hm'] = {'out_channels': len(names), 'num_conv': c.get('NUM_HM_CONV', 2)}
            self.heads_list.append(SeparateHeadPcdet(ch, hd, eps, c.get('USE_BIAS_BEFORE_NORM', False)))

    def forward(self, x):
        x = self.shared_conv(x)
        return [h(x) for h in self.heads_list]

    def decode(self, preds, b):
        """Decodes sample b of head 0 (lion.md §2.10 CenterHead steps 1-5). Returns boxes (N, 7) OpenPCDet,
        scores, labels (0-based), before NMS."""
        post = self.cfg['POST_PROCESSING']
        p = {k: v[b] for k, v in preds[0].items()}
        hm = torch.sigmoid(p['hm'])
        scores, cls, ys, xs = topk_heatmap(hm, post['MAX_OBJ_PER_SAMPLE'])
        center = p['center'][:, ys, xs]
        vx, vy = self.voxel_size[0], self.voxel_size[1]
        x = (xs.float() + center[0]) * self.stride * vx + self.pc_range[0]
        y = (ys.float() + center[1]) * self.stride * vy + self.pc_range[1]
        z = p['center_z'][0, ys, xs]
        dims = torch.exp(p['dim'][:, ys, xs]).t()
        yaw = torch.atan2(p['rot'][1, ys, xs], p['rot'][0, ys, xs])
        boxes = torch.stack([x, y, z, dims[:, 0], dims[:, 1], dims[:, 2], yaw], dim=1)
        lim = post['POST_CENTER_LIMIT_RANGE']
        mask = (scores > post['SCORE_THRESH'])
        for i in range(3):
            mask &= (boxes[:, i] >= lim[i]) & (boxes[:, i] <= lim[i + 3])
        boxes, scores, cls = boxes[mask], scores[mask], cls[mask]
        if post.get('USE_IOU_TO_RECTIFY_SCORE', False) and 'iou' in p:
            iou = torch.clamp((p['iou'][0, ys, xs][mask] + 1) * 0.5, 0, 1)
            alpha = scores.new_tensor(post['IOU_RECTIFIER'])[cls]
            scores = torch.pow(scores, 1 - alpha) * torch.pow(iou, alpha)
        return boxes, scores, cls

    def post_process(self, preds, b):
        boxes, scores, cls = self.decode(preds, b)
        nms = self.cfg['POST_PROCESSING']['NMS_CONFIG']
        if nms['NMS_TYPE'] != 'multi_class_nms':
            raise ValueError(f"DENSE_HEAD.POST_PROCESSING.NMS_CONFIG.NMS_TYPE: {nms['NMS_TYPE']!r} not supported "
                             "by CenterHead (expected multi_class_nms)")
        keep = torch.from_numpy(multi_class_nms(boxes.detach().numpy(), scores.detach().numpy(), cls.numpy(),
                                                nms['NMS_THRESH'], nms['NMS_PRE_MAXSIZE'], nms['NMS_POST_MAXSIZE']))
        return {'pre_nms_boxes': boxes, 'pre_nms_scores': scores, 'pre_nms_labels': cls + 1,
                'boxes': boxes[keep], 'scores': scores[keep], 'labels': cls[keep] + 1}


class ConvModule(nn.Module):
    """mmcv ConvModule (conv -> bn -> relu) giving keys .conv.* and .bn.*."""

    def __init__(self, cin, cout, eps):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=eps, momentum=0.01)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class SeparateHeadMM(nn.Module):
    def __init__(self, cin, heads, eps, final_kernel, init_bias):
        super().__init__()
        self.order = list(heads.keys())
        for name, c in heads.items():
            layers = [ConvModule(cin, cin, eps) for _ in range(c['num_conv'] - 1)]
            layers.append(nn.Conv2d(cin, c['out_channels'], final_kernel, padding=final_kernel // 2, bias=True))
            seq = nn.Sequential(*layers)
            if name == 'heatmap':
                nn.init.constant_(seq[-1].bias, init_bias)
            setattr(self, name, seq)

    def forward(self, x):
        return {name: getattr(self, name)(x) for name in self.order}


class CenterHeadMMDet3D(nn.Module):
    """mmdet3d CenterHead as FlatFormer configures it (keys bbox_head.shared_conv.*, bbox_head.task_heads.0.*).
    Boxes are mmdet3d-0.x: (x, y, z_bottom, d0, d1, d2, r, vx, vy)."""

    def __init__(self, model_cfg, input_channels, num_class, class_names, grid_size, point_cloud_range, voxel_size):
        super().__init__()
        c = model_cfg
        self.cfg = c
        ch = c['SHARED_CONV_CHANNEL']
        self.shared_conv = ConvModule(input_channels, ch, c.get('SHARED_BN_EPS', 1e-3))
        heads = {k: dict(c['COMMON_HEADS'][k]) for k in c['HEAD_ORDER']}
        self.task_heads = nn.ModuleList()
        for names in c['TASKS']:
            hd = dict(heads)
            hd['heatmap'] = {'out_channels': len(names), 'num_conv': 2}
            self.task_heads.append(SeparateHeadMM(ch, hd, c.get('SEPARATE_BN_EPS', 1e-5), c.get('FINAL_KERNEL', 3),
                                                  c.get('INIT_BIAS', -2.19)))

    def forward(self, x):
        x = self.shared_conv(x)
        return [h(x) for h in self.task_heads]

    def decode(self, preds, b):
        coder = self.cfg['BBOX_CODER']
        p = {k: v[b] for k, v in preds[0].items()}
        heat = torch.sigmoid(p['heatmap'])
        if 'iou' in p:
            heat = heat * torch.clamp(p['iou'], 0, 1) ** coder.get('IOU_POW', 2.0)
        scores, cls, ys, xs = topk_heatmap(heat, coder['MAX_NUM'])
        f = coder['OUT_SIZE_FACTOR']
        vs, pc = coder['VOXEL_SIZE'], coder['PC_RANGE']
        reg = p['reg'][:, ys, xs]
        x = (xs.float() + reg[0]) * f * vs[0] + pc[0]
        y = (ys.float() + reg[1]) * f * vs[1] + pc[1]
        z = p['height'][0, ys, xs]
        dim = p['dim'][:, ys, xs].t()
        if self.cfg.get('NORM_BBOX', True):
            dim = torch.exp(dim)
        r = torch.atan2(p['rot'][0, ys, xs], p['rot'][1, ys, xs])
        vel = p['vel'][:, ys, xs].t() if 'vel' in p else scores.new_zeros(len(scores), 2)
        boxes = torch.cat([torch.stack([x, y, z], 1), dim, r.unsqueeze(1), vel], dim=1)
        lim = coder['POST_CENTER_RANGE']
        mask = scores > coder['SCORE_THRESHOLD']
        for i in range(3):
            mask &= (boxes[:, i] >= lim[i]) & (boxes[:, i] <= lim[i + 3])
        return boxes[mask], scores[mask], cls[mask]

    def post_process(self, preds, b, post_cfg):
        boxes, scores, cls = self.decode(preds, b)
        nms = post_cfg['NMS_CONFIG']
        keep = torch.from_numpy(mmdet3d_rotate_nms(boxes.detach().numpy(), scores.detach().numpy(), cls.numpy(),
                                                   nms['NMS_THRESH'], nms['NMS_PRE_MAXSIZE'],
                                                   nms['NMS_POST_MAXSIZE']))
        out = boxes[keep].clone()
        lim = post_cfg['POST_CENTER_LIMIT_RANGE']
        m = torch.ones(len(out), dtype=torch.bool)
        for i in range(3):
            m &= (out[:, i] >= lim[i]) & (out[:, i] <= lim[i + 3])
        out, sc, lb = out[m], scores[keep][m], cls[keep][m]
        out[:, 2] = out[:, 2] - out[:, 5] / 2  # centre z -> bottom z
        pre = boxes.clone()
        pre[:, 2] = pre[:, 2] - pre[:, 5] / 2
        return {'pre_nms_boxes': pre, 'pre_nms_scores': scores, 'pre_nms_labels': cls + 1,
                'boxes': out, 'scores': sc, 'labels': lb + 1}
