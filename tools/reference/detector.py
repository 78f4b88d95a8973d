"""Detectors built from a configs/*.yaml: LION (SECONDNet / CenterPoint, OpenPCDet keys) and FlatFormer
(DynamicCenterPoint, mmdet3d keys). forward() can record every stage's tensor for the parity fixtures."""
import torch
from torch import nn

from . import config as cfgmod
from .anchor_head import AnchorHeadSingle
from .bev import SECOND, SECONDFPN, BaseBEVBackbone, BaseBEVResBackbone
from .box_ops import boxes_mmdet3d_to_openpcdet
from .center_head import CenterHead, CenterHeadMMDet3D
from .flatformer import FlatFormer, PointPillarScatter
from .lion import HeightCompression, LION3DBackboneOneStride
from .vfe import DynamicPillarVFE, DynamicVFE, DynamicVoxelVFE

VFES = {'DynamicVoxelVFE': DynamicVoxelVFE, 'DynamicPillarVFE': DynamicPillarVFE, 'DynamicVFE': DynamicVFE}


def _num_point_features(cfg):
    return len(cfg.DATA_CONFIG.POINT_FEATURE_ENCODING['used_feature_list'])


def _set_frame(det, cfg):
    """What both detector families keep of the config: classes, point range, voxel size and grid."""
    det.cfg = cfg
    det.class_names = list(cfg.CLASS_NAMES)
    det.pc_range = [float(v) for v in cfg.DATA_CONFIG.POINT_CLOUD_RANGE]
    det.voxel_size = cfgmod.voxel_size(cfg)
    det.grid = cfgmod.grid_size(cfg)


def _make_vfe(det, cfg):
    """The config's VFE on the detector's grid (attribute name differs: OpenPCDet vfe, mmdet3d voxel_encoder)."""
    return VFES[cfg.MODEL.VFE.NAME](cfg.MODEL.VFE, _num_point_features(cfg), det.voxel_size, det.grid,
                                    det.pc_range)


class LionDetector(nn.Module):
    """vfe -> backbone_3d -> map_to_bev_module -> backbone_2d -> dense_head (OpenPCDet module topology)."""

    def __init__(self, cfg):
        super().__init__()
        m = cfg.MODEL
        _set_frame(self, cfg)
        self.vfe = _make_vfe(self, cfg)
        if m.BACKBONE_3D.NAME != 'LION3DBackboneOneStride':
            raise ValueError(f'MODEL.BACKBONE_3D.NAME: {m.BACKBONE_3D.NAME!r} (expected LION3DBackboneOneStride)')
        self.backbone_3d = LION3DBackboneOneStride(m.BACKBONE_3D, self.grid)
        self.map_to_bev_module = HeightCompression()
        bev_in = m.MAP_TO_BEV.NUM_BEV_FEATURES
        bb = {'BaseBEVBackbone': BaseBEVBackbone, 'BaseBEVResBackbone': BaseBEVResBackbone}[m.BACKBONE_2D.NAME]
        self.backbone_2d = bb(m.BACKBONE_2D, bev_in)
        nc = len(self.class_names)
        if m.DENSE_HEAD.NAME == 'AnchorHeadSingle':
            self.dense_head = AnchorHeadSingle(m.DENSE_HEAD, self.backbone_2d.num_bev_features, nc, self.class_names,
                                               self.grid, self.pc_range)
        elif m.DENSE_HEAD.NAME == 'CenterHead':
            self.dense_head = CenterHead(m.DENSE_HEAD, self.backbone_2d.num_bev_features, nc, self.class_names,
                                         self.grid, self.pc_range, self.voxel_size)
        else:
            raise ValueError(f'MODEL.DENSE_HEAD.NAME: {m.DENSE_HEAD.NAME!r} (expected AnchorHeadSingle or CenterHead)')
        self.register_buffer('global_step', torch.zeros(1, dtype=torch.long))

    def forward(self, points, batch_size, record=None):
        feats, coords = self.vfe(points)
        if record is not None:
            record['vfe.voxel_features'] = feats
            record['vfe.voxel_coords'] = coords
        x = self.backbone_3d(feats, coords, batch_size, record)
        bev = self.map_to_bev_module(x)
        if record is not None:
            record['map_to_bev'] = bev
        spatial = self.backbone_2d(bev, record)
        if record is not None:
            record['backbone_2d'] = spatial
        return self.dense_head(spatial)

    def post_process(self, preds, batch_size):
        """Per sample dicts with OpenPCDet boxes (x, y, z_centre, dx, dy, dz, yaw), scores, labels 1..C."""
        out = []
        if isinstance(self.dense_head, AnchorHeadSingle):
            boxes, cls = self.dense_head.decode(preds)
            for b in range(batch_size):
                out.append(self.dense_head.post_process(boxes[b], cls[b], self.cfg.MODEL.POST_PROCESSING))
        else:
            for b in range(batch_size):
                out.append(self.dense_head.post_process(preds, b))
        return out


class FlatFormerDetector(nn.Module):
    """voxel_encoder -> middle_encoder -> backbone -> neck -> bbox_head (mmdet3d DynamicCenterPoint)."""

    def __init__(self, cfg):
        super().__init__()
        m = cfg.MODEL
        _set_frame(self, cfg)
        self.voxel_encoder = _make_vfe(self, cfg)
        self.middle_encoder = FlatFormer(m.BACKBONE_3D)
        self.scatter = PointPillarScatter(self.grid[:2])
        self.backbone = SECOND(m.BACKBONE_2D, m.MAP_TO_BEV.NUM_BEV_FEATURES)
        self.neck = SECONDFPN(m.NECK)
        self.bbox_head = CenterHeadMMDet3D(m.DENSE_HEAD, self.neck.num_bev_features, len(self.class_names),
                                           self.class_names, self.grid, self.pc_range, self.voxel_size)

    def filter_points(self, points):
        """The strict range filter of the test pipeline (lo < v < hi), before voxelisation."""
        if self.cfg.DATA_CONFIG.get('FP16_POINTS', False):  # mmcv auto_fp16 casts the input points (flatformer.md §8)
            points = torch.cat([points[:, :1], points[:, 1:].half().float()], 1)
        lo = self.cfg.DATA_CONFIG.get('POINT_RANGE_FILTER')
        if lo is None:
            return points
        xyz = points[:, 1:4]
        return points[((xyz > points.new_tensor(lo[:3])) & (xyz < points.new_tensor(lo[3:]))).all(1)]

    def forward(self, points, batch_size, record=None):
        points = self.filter_points(points)
        feats, coords = self.voxel_encoder(points)
        if record is not None:
            record['voxel_encoder.voxel_features'] = feats
            record['voxel_encoder.voxel_coords'] = coords
        feats = self.middle_encoder(feats, coords, batch_size, record)
        bev = self.scatter(feats, coords, batch_size)
        if record is not None:
            record['map_to_bev'] = bev
        x = self.neck(self.backbone(bev, record))
        if record is not None:
            record['neck'] = x
        return self.bbox_head(x)

    def post_process(self, preds, batch_size):
        out = []
        for b in range(batch_size):
            r = self.bbox_head.post_process(preds, b, self.cfg.MODEL.POST_PROCESSING)
            r['boxes_mmdet3d'] = r['boxes']
            r['boxes'] = boxes_mmdet3d_to_openpcdet(r['boxes'])
            r['pre_nms_boxes_mmdet3d'] = r['pre_nms_boxes']
            r['pre_nms_boxes'] = boxes_mmdet3d_to_openpcdet(r['pre_nms_boxes'])
            out.append(r)
        return out


def build_detector(cfg):
    if isinstance(cfg, str):
        cfg = cfgmod.load_config(cfg)
    if cfg.MODEL.get('KEY_STYLE', 'openpcdet') == 'mmdet3d':
        return FlatFormerDetector(cfg)
    return LionDetector(cfg)
