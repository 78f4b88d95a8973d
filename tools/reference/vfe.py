"""Dynamic voxel feature encoders: OpenPCDet DynamicVoxelVFE / DynamicPillarVFE (PFNLayerV2, keys
vfe.pfn_layers.*) and mmdet3d DynamicVFE (keys voxel_encoder.vfe_layers.*) as FlatFormer uses it."""
import warnings

import torch
from torch import nn

warnings.filterwarnings('ignore', message='scatter_reduce', category=UserWarning)


def scatter_max(x, inv, n):
    out = x.new_full((n, x.shape[1]), float('-inf'))
    return out.scatter_reduce(0, inv.unsqueeze(1).expand_as(x), x, reduce='amax', include_self=True)


def scatter_mean(x, inv, n):
    s = x.new_zeros(n, x.shape[1]).index_add(0, inv, x)
    c = x.new_zeros(n).index_add(0, inv, torch.ones_like(inv, dtype=x.dtype))
    return s / c.unsqueeze(1)


class PFNLayerV2(nn.Module):
    def __init__(self, in_channels, out_channels, last_layer, eps=1e-3):
        super().__init__()
        self.last_vfe = last_layer
        if not last_layer:
            out_channels = out_channels // 2
        self.linear = nn.Linear(in_channels, out_channels, bias=False)
        self.norm = nn.BatchNorm1d(out_channels, eps=eps, momentum=0.01)

    def forward(self, x, inv, n):
        y = torch.relu(self.norm(self.linear(x)))
        pooled = scatter_max(y, inv, n)
        if self.last_vfe:
            return pooled
        return torch.cat([y, pooled[inv]], dim=1)


def dynamic_voxelize(points, pc_range, voxel_size, grid, x_major=True, clamp=False):
    """points (N, 1+F) with column 0 = batch index. Returns (kept point mask, voxel coords per kept point
    (cx, cy, cz), unique voxel rows (b, z, y, x) in output order, unq_inv per kept point)."""
    lo = points.new_tensor(pc_range[:3])
    vs = points.new_tensor(voxel_size)
    coord = torch.floor((points[:, 1:4] - lo) / vs).long()
    g = torch.tensor(grid, device=points.device)
    if clamp:
        coord = torch.minimum(coord.clamp(min=0), g - 1)
        keep = torch.ones(len(points), dtype=torch.bool)
    else:
        keep = ((coord >= 0) & (coord < g)).all(1)
    coord = coord[keep]
    b = points[keep, 0].long()
    X, Y, Z = grid
    if x_major:  # OpenPCDet: ascending (b, x, y, z)
        key = b * (X * Y * Z) + coord[:, 0] * (Y * Z) + coord[:, 1] * Z + coord[:, 2]
    else:  # mmdet3d: ascending (b, z, y, x)
        key = b * (X * Y * Z) + coord[:, 2] * (Y * X) + coord[:, 1] * X + coord[:, 0]
    unq, inv = torch.unique(key, sorted=True, return_inverse=True)
    ub = unq // (X * Y * Z)
    r = unq % (X * Y * Z)
    if x_major:
        ux, uy, uz = r // (Y * Z), (r // Z) % Y, r % Z
    else:
        uz, uy, ux = r // (Y * X), (r // X) % Y, r % X
    return keep, coord, torch.stack([ub, uz, uy, ux], 1), inv


class DynamicVoxelVFE(nn.Module):
    """OpenPCDet DynamicVoxelVFE (lion.md §2.2): features [points[:,1:], xyz - voxel mean, xyz - voxel centre]."""

    def __init__(self, model_cfg, num_point_features, voxel_size, grid_size, point_cloud_range, pillar=False):
        super().__init__()
        self.voxel_size, self.grid, self.pc_range, self.pillar = voxel_size, grid_size, point_cloud_range, pillar
        filters = [num_point_features + 6] + list(model_cfg['NUM_FILTERS'])
        eps = model_cfg.get('BN_EPS', 1e-3)
        self.pfn_layers = nn.ModuleList([
            PFNLayerV2(filters[i], filters[i + 1], i >= len(filters) - 2, eps) for i in range(len(filters) - 1)])
        self.num_point_features = filters[-1]

    def forward(self, points):
        keep, coord, vcoords, inv = dynamic_voxelize(points, self.pc_range, self.voxel_size, self.grid)
        pts = points[keep]
        xyz = pts[:, 1:4]
        n = len(vcoords)
        f_cluster = xyz - scatter_mean(xyz, inv, n)[inv]
        vs = xyz.new_tensor(self.voxel_size)
        centre = coord.to(xyz.dtype) * vs + xyz.new_tensor(self.pc_range[:3]) + vs / 2
        f_center = xyz - centre
        feats = torch.cat([pts[:, 1:], f_cluster, f_center], dim=1)
        for layer in self.pfn_layers:
            feats = layer(feats, inv, n)
        return feats, vcoords


class DynamicPillarVFE(DynamicVoxelVFE):
    """OpenPCDet DynamicPillarVFE: the same PFN on pillars (grid Z = 1)."""

    def __init__(self, model_cfg, num_point_features, voxel_size, grid_size, point_cloud_range):
        super().__init__(model_cfg, num_point_features, voxel_size, grid_size, point_cloud_range, pillar=True)


class DynamicVFELayer(nn.Module):
    def __init__(self, in_channels, out_channels, eps=1e-3):
        super().__init__()
        self.linear = nn.Linear(in_channels, out_channels, bias=False)
        self.norm = nn.BatchNorm1d(out_channels, eps=eps, momentum=0.01)

    def forward(self, x):
        return torch.relu(self.norm(self.linear(x)))


class DynamicVFE(nn.Module):
    """mmdet3d DynamicVFE as configured by FlatFormer (flatformer.md §3): cluster and voxel-centre offsets,
    max pooling; layer i gets [own features | pillar max] of layer i-1."""

    def __init__(self, model_cfg, num_point_features, voxel_size, grid_size, point_cloud_range):
        super().__init__()
        self.voxel_size, self.grid, self.pc_range = voxel_size, grid_size, point_cloud_range
        self.clamp = model_cfg.get('CLAMP_COORDS', True)
        in_ch = num_point_features + 3 * int(model_cfg.get('WITH_CLUSTER_CENTER', True)) \
            + 3 * int(model_cfg.get('WITH_VOXEL_CENTER', True))
        feat = list(model_cfg['NUM_FILTERS'])
        eps = model_cfg.get('BN_EPS', 1e-3)
        layers = []
        for i, out in enumerate(feat):
            layers.append(DynamicVFELayer(in_ch if i == 0 else feat[i - 1] * 2, out, eps))
        self.vfe_layers = nn.ModuleList(layers)
        self.num_point_features = feat[-1]

    def forward(self, points):
        keep, coord, vcoords, inv = dynamic_voxelize(points, self.pc_range, self.voxel_size, self.grid,
                                                     x_major=False, clamp=self.clamp)
        pts = points[keep]
        xyz = pts[:, 1:4]
        n = len(vcoords)
        vs = xyz.new_tensor(self.voxel_size)
        centre = coord.to(xyz.dtype) * vs + (xyz.new_tensor(self.pc_range[:3]) + vs / 2)
        feats = torch.cat([pts[:, 1:], xyz - scatter_mean(xyz, inv, n)[inv], xyz - centre], dim=1)
        for i, layer in enumerate(self.vfe_layers):
            y = layer(feats)
            pooled = scatter_max(y, inv, n)
            if i == len(self.vfe_layers) - 1:
                return pooled, vcoords
            feats = torch.cat([y, pooled[inv]], dim=1)
