"""FlatFormer encoder (flatformer.md §4): window-major snake sort orders, equal-size groups of G tokens,
post-norm attention layers with absolute sinusoidal PE on Q and K. Keys middle_encoder.block_list.*."""
import math

import torch
import torch.nn.functional as F
from torch import nn


def _sgn(v):
    return 1 - 2 * (v % 2)


def flat_sort_keys(coords, sparse_shape, window, shift):
    """key_x / key_y of flatformer.md §4.4. coords (M, 4) = (b, z, y, x); sparse_shape and window are (x, y, z)."""
    X, Y = sparse_shape[0], sparse_shape[1]
    w = window[0]
    if window[1] != w:
        raise ValueError('BACKBONE_3D.WINDOW_SHAPE: FlatFormer sort keys need a square window in x and y')
    b, y, x = coords[:, 0].long(), coords[:, 2].long(), coords[:, 3].long()
    if shift:
        x, y = x + w // 2, y + w // 2
    x1, y1, x2, y2 = x // w, y // w, x % w, y % w
    n1 = 2 * (math.ceil(max(X, Y) / w) + 1)
    n2 = 2 * w
    bstride = X * Y * 10
    key_x = (n1 * y1 + _sgn(y1) * x1) * n2 * n2 + _sgn(y1) * (n2 * x2 + _sgn(x2) * y2) + b * bstride
    key_y = (n1 * x1 + _sgn(x1) * y1) * n2 * n2 + _sgn(x1) * (n2 * y2 + _sgn(y2) * x2) + b * bstride
    return key_x, key_y


def flat_padding_maps(batch_sorted, batch_size, group):
    """flat2win / win2flat of flatformer.md §4.5. A sample with fewer than G tokens (undefined in the
    reference) repeats its own tokens cyclically, like LION's single-group rule."""
    counts = torch.bincount(batch_sorted, minlength=batch_size).tolist()
    f2w, w2f = [], []
    s, p = 0, 0
    for n in counts:
        if n == 0:
            continue
        padded = math.ceil(n / group) * group
        t = torch.arange(padded, device=batch_sorted.device)
        src = t % n if n < group else torch.where(t < n, t, t - group)
        f2w.append(src + s)
        w2f.append(torch.arange(n, device=batch_sorted.device) + p)
        s += n
        p += padded
    return torch.cat(f2w), torch.cat(w2f)


def sinusoidal_pe(coords, channels, temperature=10000.0):
    """pe[2j] = sin(x w_j), pe[2j+1] = cos(x w_j) on channels [0, C/2), the same with y on [C/2, C);
    w_j = T^(-2j/(C/2)); integer grid indices, no normalisation."""
    half = channels // 2
    i = torch.arange(half, dtype=torch.float32, device=coords.device)
    dim_t = temperature ** (2 * torch.div(i, 2, rounding_mode='floor') / half)
    out = []
    for col in (3, 2):  # x then y
        v = coords[:, col].float().unsqueeze(1) / dim_t
        out.append(torch.stack([v[:, 0::2].sin(), v[:, 1::2].cos()], dim=2).flatten(1))
    return torch.cat(out, dim=1)


class _AttnHolder(nn.Module):
    """Gives the key prefix attn.attn.* of nn.MultiheadAttention packing."""

    def __init__(self, dim, heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)


class BasicLayer(nn.Module):
    def __init__(self, dim, heads, ffn_dim):
        super().__init__()
        self.heads = heads
        self.attn = _AttnHolder(dim, heads)
        self.fc1 = nn.Linear(dim, ffn_dim)
        self.fc2 = nn.Linear(ffn_dim, dim)
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)

    def forward(self, x, pe):
        """x, pe: (groups, G, C). Plain multi-head attention, no mask, scale 1/sqrt(head dim)."""
        mha = self.attn.attn
        C = x.shape[-1]
        w, b = mha.in_proj_weight, mha.in_proj_bias
        q = F.linear(x + pe, w[:C], b[:C])
        k = F.linear(x + pe, w[C:2 * C], b[C:2 * C])
        v = F.linear(x, w[2 * C:], b[2 * C:])
        g, L, _ = x.shape
        hd = C // self.heads
        q, k, v = (t.view(g, L, self.heads, hd).transpose(1, 2) for t in (q, k, v))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), dim=-1)
        o = (a @ v).transpose(1, 2).reshape(g, L, C)
        y = self.norm1(x + mha.out_proj(o))
        return self.norm2(y + self.fc2(F.gelu(self.fc1(y))))


class FlatBlock(nn.Module):
    def __init__(self, dim, heads, ffn_dim, layers):
        super().__init__()
        self.block = nn.ModuleList([BasicLayer(dim, heads, ffn_dim) for _ in range(layers)])


class FlatFormer(nn.Module):
    def __init__(self, model_cfg):
        super().__init__()
        c = model_cfg
        dim = c['IN_CHANNELS']
        self.group = c['GROUP_SIZE']
        self.window = c['WINDOW_SHAPE']
        self.sparse_shape = c['SPARSE_SHAPE']
        self.orders = c['ORDERS']
        self.temperature = float(c.get('POS_TEMPERATURE', 10000))
        self.block_list = nn.ModuleList([FlatBlock(dim, c['NUM_HEADS'], c['FFN_DIM'], c['LAYERS_PER_BLOCK'])
                                         for _ in range(c['NUM_BLOCKS'])])

    def mappings(self, coords, batch_size):
        maps = {}
        for shift in (False, True):
            kx, ky = flat_sort_keys(coords, self.sparse_shape, self.window, shift)
            suffix = '_shift' if shift else ''
            for name, key in (('x', kx), ('y', ky)):
                perm = torch.argsort(key)
                f2w, w2f = flat_padding_maps(coords[perm, 0].long(), batch_size, self.group)
                maps[name + suffix] = (perm, f2w, w2f)
        return maps

    def forward(self, feats, coords, batch_size, record=None):
        pe = sinusoidal_pe(coords, feats.shape[1], self.temperature)
        maps = self.mappings(coords, batch_size)
        C = feats.shape[1]
        for bi, blk in enumerate(self.block_list):
            for li, layer in enumerate(blk.block):
                perm, f2w, w2f = maps[self.orders[li % len(self.orders)]]
                gather = perm[f2w]
                out = layer(feats[gather].view(-1, self.group, C), pe[gather].view(-1, self.group, C))
                new = torch.empty_like(feats)
                new[perm] = out.reshape(-1, C)[w2f]
                feats = new
            if record is not None:
                record[f'middle_encoder.block_list.{bi}'] = feats
        return feats


class PointPillarScatter(nn.Module):
    """Tokens to a dense (B, C, Y, X) canvas, zeros where empty."""

    def __init__(self, grid_xy):
        super().__init__()
        self.nx, self.ny = grid_xy

    def forward(self, feats, coords, batch_size):
        C = feats.shape[1]
        canvas = feats.new_zeros(batch_size * self.ny * self.nx, C)
        lin = (coords[:, 0].long() * self.ny + coords[:, 2].long()) * self.nx + coords[:, 3].long()
        canvas = canvas.index_copy(0, lin, feats)
        return canvas.view(batch_size, self.ny, self.nx, C).permute(0, 3, 1, 2).contiguous()
