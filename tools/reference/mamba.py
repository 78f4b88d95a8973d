"""Bidirectional Mamba block as vendored by LION (modified mamba_ssm 1.1.1): shared in/out projections,
separate forward and backward conv1d / x_proj / dt_proj / A_log / D, post-norm residual (lion.md §3.1)."""
import math

import torch
import torch.nn.functional as F
from torch import nn


def selective_scan(u, delta, A, Bm, Cm, D):
    """Forward selective scan over the sequence axis.
    u, delta: (B, L, Di); A: (Di, N); Bm, Cm: (B, L, N); D: (Di,). Returns y: (B, L, Di).
    The state is reset per sequence: s_t = exp(delta_t A) s_{t-1} + delta_t B_t u_t; y_t = C_t.s_t + D u_t.
    Vectorised over the batch and channels; one step per token (fixed order, deterministic)."""
    dA = torch.exp(delta.unsqueeze(-1) * A)  # (B, L, Di, N)
    dBu = (delta * u).unsqueeze(-1) * Bm.unsqueeze(2)  # (B, L, Di, N)
    state = u.new_zeros(u.shape[0], u.shape[2], A.shape[1])
    states = []
    # unbind (not dA[:, t]) so that autograd does not materialise a full-size gradient per step
    for a_t, b_t in zip(dA.unbind(1), dBu.unbind(1)):
        state = a_t * state + b_t
        states.append(state)
    hs = torch.stack(states, dim=1)  # (B, L, Di, N)
    y = (hs * Cm.unsqueeze(2)).sum(-1)
    return y + u * D


class Mamba(nn.Module):
    def __init__(self, d_model, d_state=16, d_conv=4, expand=2, **_unused):
        super().__init__()
        self.d_model, self.d_state, self.d_conv = d_model, d_state, d_conv
        self.d_inner = expand * d_model
        self.dt_rank = math.ceil(d_model / 16)
        di, n, r = self.d_inner, d_state, self.dt_rank
        a_init = torch.log(torch.arange(1, n + 1, dtype=torch.float32)).repeat(di, 1)
        self.A_log = nn.Parameter(a_init.clone())
        self.D = nn.Parameter(torch.ones(di))
        self.A_b_log = nn.Parameter(a_init.clone())
        self.D_b = nn.Parameter(torch.ones(di))
        self.in_proj = nn.Linear(d_model, 2 * di, bias=False)
        self.conv1d = nn.Conv1d(di, di, d_conv, groups=di, padding=d_conv - 1, bias=True)
        self.x_proj = nn.Linear(di, r + 2 * n, bias=False)
        self.dt_proj = nn.Linear(r, di, bias=True)
        self.conv1d_b = nn.Conv1d(di, di, d_conv, groups=di, padding=d_conv - 1, bias=True)
        self.x_proj_b = nn.Linear(di, r + 2 * n, bias=False)
        self.dt_proj_b = nn.Linear(r, di, bias=True)
        self.out_proj = nn.Linear(di, d_model, bias=False)
        self._init_dt(self.dt_proj)
        self._init_dt(self.dt_proj_b)

    def _init_dt(self, lin, dt_min=0.001, dt_max=0.1):
        std = self.dt_rank ** -0.5
        nn.init.uniform_(lin.weight, -std, std)
        dt = torch.exp(torch.rand(self.d_inner) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
        with torch.no_grad():
            lin.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # inverse softplus

    def _direction(self, x, z, conv, x_proj, dt_proj, A_log, D):
        L = x.shape[1]
        u = F.silu(conv(x.transpose(1, 2))[..., :L]).transpose(1, 2)  # causal depthwise conv
        dbc = x_proj(u)
        r, n = self.dt_rank, self.d_state
        delta = F.softplus(dt_proj(dbc[..., :r]))  # threshold 20 like the kernel
        Bm, Cm = dbc[..., r:r + n], dbc[..., r + n:]
        y = selective_scan(u, delta, -torch.exp(A_log.float()), Bm, Cm, D.float())
        return y * F.silu(z)

    def forward(self, h):
        """h: (num_groups, L, d_model) -> (num_groups, L, d_model)."""
        xz = self.in_proj(h)
        x, z = xz[..., :self.d_inner], xz[..., self.d_inner:]
        out_f = self._direction(x, z, self.conv1d, self.x_proj, self.dt_proj, self.A_log, self.D)
        out_b = self._direction(x.flip(1), z.flip(1), self.conv1d_b, self.x_proj_b, self.dt_proj_b,
                                self.A_b_log, self.D_b).flip(1)
        return self.out_proj(out_f + out_b)  # summed, no division by 2


class MambaBlock(nn.Module):
    """mamba_ssm.Block as LION uses it: h + LayerNorm(Mamba(h)) (post-norm; drop_path is identity at inference)."""

    def __init__(self, d_model, d_state=16, d_conv=4, expand=2, **_unused):
        super().__init__()
        self.mamba = Mamba(d_model, d_state=d_state, d_conv=d_conv, expand=expand)
        self.norm = nn.LayerNorm(d_model, eps=1e-5)

    def forward(self, h):
        return h + self.norm(self.mamba(h))
