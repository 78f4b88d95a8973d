"""LION 3D backbone (LION3DBackboneOneStride): window-sorted equal-size groups run through a linear-RNN
operator, U-Net LIONBlocks, the 3D spatial feature descriptor with voxel generation, height compression.
Semantics from lion.md §2.3-§2.8; attribute names give the official state_dict keys (lion.md §4.2)."""
import math

import torch
from torch import nn

from .mamba import MambaBlock
from .rwkv import RWKVBlock
from .sparse import SparseTensor, SubMConv3d


def window_sort_keys(indices, spatial_shape, window, shift):
    """int64 sort keys for the 'x' and 'y' orders (lion.md §2.4). window and shift are (x, y, z)."""
    Z, Y, X = spatial_shape
    wx, wy, wz = window
    sx, sy, sz = (wx // 2, wy // 2, wz // 2) if shift else (0, 0, 0)
    nx, ny, nz = math.ceil(X / wx) + 1, math.ceil(Y / wy) + 1, math.ceil(Z / wz) + 1
    nwin, V = nx * ny * nz, wx * wy * wz
    b, z, y, x = indices.long().unbind(1)
    xs, ys, zs = x + sx, y + sy, z + sz
    Wx, Wy, Wz = xs // wx, ys // wy, zs // wz
    cx, cy, cz = xs % wx, ys % wy, zs % wz
    key_x = (b * nwin + Wx * ny * nz + Wy * nz + Wz) * V + cx * (wy * wz) + cy * wz + cz
    key_y = (b * nwin + Wy * nx * nz + Wx * nz + Wz) * V + cy * (wx * wz) + cx * wz + cz
    return {'x': key_x, 'y': key_y}


def group_padding_maps(batch_idx_sorted, batch_size, group):
    """flat2win (padded slot -> sorted position) and win2flat (sorted position -> padded slot) for
    equal-size groups of `group` tokens per sample (lion.md §2.4 step 5: single-group pads repeat the
    sample's tokens cyclically; multi-group pads copy the token one group earlier)."""
    counts = torch.bincount(batch_idx_sorted, minlength=batch_size).tolist()
    flat2win, win2flat = [], []
    start, pstart = 0, 0
    for n in counts:
        if n == 0:
            continue
        padded = int(math.ceil(n / group)) * group
        t = torch.arange(padded, device=batch_idx_sorted.device)
        if padded == group:
            src = t % n
        else:
            src = torch.where(t < n, t, t - group)
        flat2win.append(src + start)
        win2flat.append(torch.arange(n, device=batch_idx_sorted.device) + pstart)
        start += n
        pstart += padded
    return torch.cat(flat2win), torch.cat(win2flat)


class LIONLayer(nn.Module):
    """Two operator blocks: blocks.0 runs on the 'x' window order, then blocks.1 on the 'y' order."""

    def __init__(self, dim, window_shape, group_size, direction, shift, operator, layer_id=0, n_layer=1):
        super().__init__()
        self.window_shape, self.group_size, self.direction, self.shift = list(window_shape), group_size, direction, shift
        self.blocks = nn.ModuleList([make_operator(operator, dim, layer_id + i, n_layer) for i in range(len(direction))])

    def forward(self, x: SparseTensor):
        keys = window_sort_keys(x.indices, x.spatial_shape, self.window_shape, self.shift)
        feats = x.features
        C = feats.shape[1]
        for block, d in zip(self.blocks, self.direction):
            perm = torch.argsort(keys[d])
            flat2win, win2flat = group_padding_maps(x.indices[perm, 0], x.batch_size, self.group_size)
            seq = feats[perm][flat2win].view(-1, self.group_size, C)
            out = block(seq).reshape(-1, C)[win2flat]
            new = torch.empty_like(feats)
            new[perm] = out
            feats = new
        return x.replace_feature(feats)


def make_operator(operator, dim, layer_id, n_layer):
    name, cfg = operator['NAME'], dict(operator.get('CFG', {}))
    if name == 'Mamba':
        return MambaBlock(dim, d_state=cfg.get('d_state', 16), d_conv=cfg.get('d_conv', 4), expand=cfg.get('expand', 2))
    if name == 'RWKV':
        return RWKVBlock(dim, n_head=cfg.get('n_head', 4), hidden_rate=cfg.get('hidden_rate', 4),
                         init_values=cfg.get('init_values', 1e-5), layer_id=layer_id, n_layer=n_layer)
    raise ValueError(f'BACKBONE_3D.OPERATOR.NAME: unknown operator {name!r} (expected Mamba or RWKV)')


class PositionEmbeddingLearned(nn.Module):
    def __init__(self, input_channel, num_pos_feats):
        super().__init__()
        self.position_embedding_head = nn.Sequential(
            nn.Linear(input_channel, num_pos_feats), nn.BatchNorm1d(num_pos_feats, eps=1e-5), nn.ReLU(inplace=True),
            nn.Linear(num_pos_feats, num_pos_feats))

    def forward(self, x: SparseTensor):
        Z, Y, X = x.spatial_shape
        _, z, y, xx = x.indices.float().unbind(1)
        pos = torch.stack([(xx - X / 2) / X * 2 * 3.1415, (y - Y / 2) / Y * 2 * 3.1415,
                           (z - Z / 2) / Z * 2 * 3.1415], dim=1)  # literal 3.1415 as in the official code
        return self.position_embedding_head(pos)


def merge_voxels(indices, features, spatial_shape, batch_size, down_scale):
    """Merges children into parents (coords // down, x y z order of down_scale) by sum.
    Returns parent indices sorted by (b, x, y, z), summed features, new shape and unq_inv."""
    dx, dy, dz = down_scale
    Z, Y, X = spatial_shape
    Zn, Yn, Xn = Z // dz, Y // dy, X // dx  # radices use floor (every config keeps the shapes even)
    b, z, y, x = indices.long().unbind(1)
    nx, ny, nz = x // dx, y // dy, z // dz
    key = b * (Zn * Yn * Xn) + nx * (Yn * Zn) + ny * Zn + nz
    unq, inv = torch.unique(key, sorted=True, return_inverse=True)
    summed = features.new_zeros(len(unq), features.shape[1]).index_add(0, inv, features)
    ub = unq // (Zn * Yn * Xn)
    rem = unq % (Zn * Yn * Xn)
    ux, rem = rem // (Yn * Zn), rem % (Yn * Zn)
    uy, uz = rem // Zn, rem % Zn
    new_shape = [math.ceil(Z / dz), math.ceil(Y / dy), math.ceil(X / dx)]
    return torch.stack([ub, uz, uy, ux], 1), summed, new_shape, inv


class PatchMerging3D(nn.Module):
    """3D spatial feature descriptor (SubMConv3d -> LayerNorm -> GELU), optional voxel generation, then
    merging by sum and LayerNorm (lion.md §2.6-§2.7)."""

    def __init__(self, dim, down_scale, diffusion=False, diff_scale=0.2):
        super().__init__()
        self.sub_conv = nn.Sequential(SubMConv3d(dim, dim, 3, bias=False), nn.LayerNorm(dim, eps=1e-5), nn.GELU())
        self.norm = nn.LayerNorm(dim, eps=1e-5)
        self.down_scale, self.diffusion, self.diff_scale = list(down_scale), diffusion, diff_scale

    def descriptor(self, x: SparseTensor):
        x = self.sub_conv[0](x)
        return x.replace_feature(self.sub_conv[2](self.sub_conv[1](x.features)))

    def forward(self, x: SparseTensor):
        x = self.descriptor(x)
        indices, feats = x.indices, x.features
        if self.diffusion:
            indices, feats = self.generate_voxels(x)
        idx, summed, shape, inv = merge_voxels(indices, feats, x.spatial_shape, x.batch_size, self.down_scale)
        out = SparseTensor(self.norm(summed), idx, shape, x.batch_size)
        return out, inv[:x.features.shape[0]]

    def generate_voxels(self, x: SparseTensor):
        """Top diff_scale of each sample's voxels by channel-mean get 4 zero-feature diagonal neighbours."""
        Z, Y, X = x.spatial_shape
        importance = x.features.mean(1)
        new_idx, new_feat = [x.indices], [x.features]
        for b in range(x.batch_size):
            rows = torch.nonzero(x.indices[:, 0] == b).flatten()
            k = int(len(rows) * self.diff_scale)
            if k == 0:
                continue
            top = rows[torch.topk(importance[rows], k, largest=True, sorted=True).indices]
            base = x.indices[top]
            for ox, oy in ((-1, 1), (1, 1), (-1, -1), (1, -1)):
                nb = base.clone()
                nb[:, 3] = (nb[:, 3] + ox).clamp(0, X - 1)
                nb[:, 2] = (nb[:, 2] + oy).clamp(0, Y - 1)
                new_idx.append(nb)
                new_feat.append(x.features.new_zeros(k, x.features.shape[1]))
        return torch.cat(new_idx), torch.cat(new_feat)


class LIONBlock(nn.Module):
    """U-Net of depth len(down_scales): encoder LIONLayers with positional embeddings and PatchMerging3D,
    decoder LIONLayers with PatchExpanding (parent feature added to every child) and LayerNorm."""

    def __init__(self, dim, depth, down_scales, window_shape, group_size, direction, shift, operator,
                 layer_id=0, n_layer=1):
        super().__init__()
        self.depth = depth
        shifts = [False] + [shift] * (depth - 1)
        self.encoder = nn.ModuleList()
        self.downsample_list = nn.ModuleList()
        self.pos_emb_list = nn.ModuleList()
        for i in range(depth):
            self.encoder.append(LIONLayer(dim, window_shape, group_size, direction, shifts[i], operator,
                                          layer_id + 2 * i, n_layer))
            self.downsample_list.append(PatchMerging3D(dim, down_scales[i]))
            self.pos_emb_list.append(PositionEmbeddingLearned(3, dim))
        self.decoder = nn.ModuleList()
        self.decoder_norm = nn.ModuleList()
        for i in range(depth):
            self.decoder.append(LIONLayer(dim, window_shape, group_size, direction, shifts[i], operator,
                                          layer_id + 2 * (depth + i), n_layer))
            self.decoder_norm.append(nn.LayerNorm(dim, eps=1e-5))

    def forward(self, x: SparseTensor):
        skips, invs = [], []
        for i in range(self.depth):
            x = x.replace_feature(x.features + self.pos_emb_list[i](x))
            x = self.encoder[i](x)
            skips.append(x)
            x, inv = self.downsample_list[i](x)
            invs.append(inv)
        for i in range(self.depth):
            x = self.decoder[i](x)
            skip = skips[-1 - i]
            x = skip.replace_feature(self.decoder_norm[i](skip.features + x.features[invs[-1 - i]]))
        return x


class LION3DBackboneOneStride(nn.Module):
    def __init__(self, model_cfg, grid_size):
        super().__init__()
        c = model_cfg
        dim = c['FEATURE_DIM']
        n = c['NUM_LAYERS']
        self.sparse_shape = [grid_size[2], grid_size[1], grid_size[0]]  # (Z, Y, X)
        op = c['OPERATOR']
        per_block = 4 * c['DEPTHS'][0]  # operator blocks per LIONBlock (for RWKV layer ids)
        n_layer = n * per_block + 2
        for i in range(n):
            setattr(self, f'linear_{i + 1}', LIONBlock(
                dim, c['DEPTHS'][i], c['LAYER_DOWN_SCALES'][i], c['WINDOW_SHAPE'][i], c['GROUP_SIZE'][i],
                c['DIRECTION'], c['SHIFT'], op, layer_id=i * per_block, n_layer=n_layer))
            setattr(self, f'dow{i + 1}', PatchMerging3D(dim, [1, 1, 2], diffusion=c['DIFFUSION'],
                                                         diff_scale=c['DIFF_SCALE']))
        self.linear_out = LIONLayer(dim, c['OUT_WINDOW_SHAPE'], c['OUT_GROUP_SIZE'], c['DIRECTION'], c['SHIFT'], op,
                                    layer_id=n * per_block, n_layer=n_layer)
        self.num_layers = n
        self.num_point_features = dim

    def forward(self, voxel_features, voxel_coords, batch_size, record=None):
        x = SparseTensor(voxel_features, voxel_coords, self.sparse_shape, batch_size)
        for i in range(self.num_layers):
            x = getattr(self, f'linear_{i + 1}')(x)
            if record is not None:
                record[f'backbone_3d.linear_{i + 1}'] = x
            x, _ = getattr(self, f'dow{i + 1}')(x)
            if record is not None:
                record[f'backbone_3d.dow{i + 1}'] = x
        x = self.linear_out(x)
        if record is not None:
            record['backbone_3d.linear_out'] = x
        return x


class HeightCompression(nn.Module):
    """Dense (B, C, Z, Y, X) folded to (B, C*Z, Y, X); channel index c*Z + z."""

    def forward(self, x: SparseTensor):
        d = x.dense()
        B, C, Z, Y, X = d.shape
        return d.reshape(B, C * Z, Y, X)
