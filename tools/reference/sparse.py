"""Sparse voxel tensors and submanifold 3D convolution with plain torch index operations (no spconv)."""
import torch
from torch import nn


class SparseTensor:
    """features (M, C); indices (M, 4) int64 rows (b, z, y, x); spatial_shape (Z, Y, X)."""

    def __init__(self, features, indices, spatial_shape, batch_size):
        self.features = features
        self.indices = indices.long()
        self.spatial_shape = [int(s) for s in spatial_shape]
        self.batch_size = int(batch_size)

    def replace_feature(self, features):
        return SparseTensor(features, self.indices, self.spatial_shape, self.batch_size)

    def dense(self):
        """(B, C, Z, Y, X) with zeros at empty sites."""
        Z, Y, X = self.spatial_shape
        C = self.features.shape[1]
        flat = self.features.new_zeros(self.batch_size * Z * Y * X, C)
        b, z, y, x = self.indices.unbind(1)
        lin = ((b * Z + z) * Y + y) * X + x
        flat = flat.index_copy(0, lin, self.features)
        return flat.view(self.batch_size, Z, Y, X, C).permute(0, 4, 1, 2, 3).contiguous()


def linear_keys(indices, spatial_shape):
    Z, Y, X = spatial_shape
    b, z, y, x = indices.long().unbind(1)
    return ((b * Z + z) * Y + y) * X + x


def neighbour_rows(indices, spatial_shape, kernel=3):
    """For each of the kernel**3 offsets (kz, ky, kx, in that nesting order) the input row at
    (z+kz-1, y+ky-1, x+kx-1) of each site, or -1 where that site is empty or outside the grid."""
    Z, Y, X = spatial_shape
    keys = linear_keys(indices, spatial_shape)
    sorted_keys, order = torch.sort(keys)
    half = kernel // 2
    out = []
    b, z, y, x = indices.long().unbind(1)
    for kz in range(kernel):
        for ky in range(kernel):
            for kx in range(kernel):
                nz, ny, nx = z + kz - half, y + ky - half, x + kx - half
                inside = (nz >= 0) & (nz < Z) & (ny >= 0) & (ny < Y) & (nx >= 0) & (nx < X)
                nkey = ((b * Z + nz) * Y + ny) * X + nx
                pos = torch.searchsorted(sorted_keys, nkey).clamp(max=len(keys) - 1)
                found = inside & (sorted_keys[pos] == nkey)
                out.append(torch.where(found, order[pos], torch.full_like(pos, -1)))
    return torch.stack(out)  # (K^3, M)


class SubMConv3d(nn.Module):
    """Submanifold conv (outputs only at input sites, zero padding), cross-correlation like Conv3d.
    weight is spconv-2 KRSC: (out, kz, ky, kx, in)."""

    def __init__(self, in_channels, out_channels, kernel_size=3, bias=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.weight = nn.Parameter(torch.empty(out_channels, kernel_size, kernel_size, kernel_size, in_channels))
        nn.init.kaiming_uniform_(self.weight.view(out_channels, -1), a=5 ** 0.5)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def forward(self, x: SparseTensor):
        nbr = neighbour_rows(x.indices, x.spatial_shape, self.kernel_size)
        feats = x.features
        padded = torch.cat([feats, feats.new_zeros(1, feats.shape[1])])  # row -1 -> zeros
        w = self.weight.reshape(self.weight.shape[0], -1, self.weight.shape[-1])  # (out, K^3, in)
        out = feats.new_zeros(feats.shape[0], self.weight.shape[0])
        for k in range(nbr.shape[0]):  # fixed offset order: deterministic summation
            rows = nbr[k]
            if bool((rows < 0).all()):
                continue
            out = out + padded[rows] @ w[:, k, :].t()
        if self.bias is not None:
            out = out + self.bias
        return x.replace_feature(out)
