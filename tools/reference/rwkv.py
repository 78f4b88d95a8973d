"""Bidirectional RWKV-6 block (Vision-RWKV style, "Bi-WKV6") as used by LION (lion.md §3.2)."""
import torch
import torch.nn.functional as F
from torch import nn


def bi_wkv(r, k, v, w, u):
    """Bidirectional WKV. r, k, v, w: (B, L, H, N) with w the per-token decay log-log (e_t = exp(-exp(w_t)));
    u: (H, N). Returns y: (B, L, H, N):
      y_t[i] = sum_j r_t[j] (u[j] k_t[j] v_t[i] + sum_{tau<t} k v prod_{tau<s<t} e_s[j] + sum_{tau>t} ...).
    Computed as a forward and a reverse recurrence over states S[j, i]."""
    Bsz, L, H, N = r.shape
    e = torch.exp(-torch.exp(w))
    decay = e.unsqueeze(-1).unbind(1)  # unbind keeps the backward pass linear in L
    kv = (k.unsqueeze(-1) * v.unsqueeze(-2)).unbind(1)
    fwd = []
    state = r.new_zeros(Bsz, H, N, N)
    for t in range(L):  # S_t = sum_{tau<t}; S_{t+1} = e_t * S_t + k_t v_t^T
        fwd.append(state)
        state = decay[t] * state + kv[t]
    bwd = [None] * L
    state = r.new_zeros(Bsz, H, N, N)
    for t in range(L - 1, -1, -1):
        bwd[t] = state
        state = decay[t] * state + kv[t]
    S = torch.stack(fwd, 1) + torch.stack(bwd, 1)  # (B, L, H, N, N)
    S = S + (u.unsqueeze(-1) * k.unsqueeze(-1) * v.unsqueeze(-2))
    return torch.einsum('blhj,blhji->blhi', r, S)


def time_shift(x):
    """shift(a)_t = a_{t-1}, zero at t = 0. x: (B, L, C)."""
    return F.pad(x, (0, 0, 1, 0))[:, :-1]


class SpatialMix(nn.Module):
    def __init__(self, d, n_head, layer_id=0, n_layer=1):
        super().__init__()
        self.n_head, self.head_size = n_head, d // n_head
        ratio = 1.0 - layer_id / max(n_layer, 1)
        ramp = torch.arange(d, dtype=torch.float32) / d
        for name in ('x', 'w', 'k', 'v', 'r', 'g'):
            setattr(self, 'time_maa_' + name, nn.Parameter((1.0 - ramp ** ratio).view(1, 1, d)))
        self.time_maa_w1 = nn.Parameter(torch.zeros(d, 32 * 5).uniform_(-1e-4, 1e-4))
        self.time_maa_w2 = nn.Parameter(torch.zeros(5, 32, d).uniform_(-1e-4, 1e-4))
        self.time_decay = nn.Parameter((-6 + 5 * ramp ** 0.7).view(1, 1, d))
        self.time_decay_w1 = nn.Parameter(torch.zeros(d, 64).uniform_(-1e-4, 1e-4))
        self.time_decay_w2 = nn.Parameter(torch.zeros(64, d).uniform_(-1e-4, 1e-4))
        self.time_faaaa = nn.Parameter(torch.full((n_head, self.head_size), 0.5))
        self.receptance = nn.Linear(d, d, bias=False)
        self.key = nn.Linear(d, d, bias=False)
        self.value = nn.Linear(d, d, bias=False)
        self.gate = nn.Linear(d, d, bias=False)
        self.output = nn.Linear(d, d, bias=False)
        self.ln_x = nn.GroupNorm(n_head, d, eps=1e-5)

    def forward(self, a):
        Bsz, L, C = a.shape
        dx = time_shift(a) - a
        m = a + dx * self.time_maa_x
        t5 = torch.tanh(m @ self.time_maa_w1).view(Bsz * L, 5, 32).transpose(0, 1)
        mix = torch.bmm(t5, self.time_maa_w2).view(5, Bsz, L, C)
        mw, mk, mv, mr, mg = mix.unbind(0)
        xw = a + dx * (self.time_maa_w + mw)
        xk = a + dx * (self.time_maa_k + mk)
        xv = a + dx * (self.time_maa_v + mv)
        xr = a + dx * (self.time_maa_r + mr)
        xg = a + dx * (self.time_maa_g + mg)
        r, k, v = self.receptance(xr), self.key(xk), self.value(xv)
        g = F.silu(self.gate(xg))
        w = self.time_decay + torch.tanh(xw @ self.time_decay_w1) @ self.time_decay_w2
        H, N = self.n_head, self.head_size
        y = bi_wkv(*(t.reshape(Bsz, L, H, N) for t in (r, k, v, w)), self.time_faaaa)
        y = self.ln_x(y.reshape(Bsz * L, C)).view(Bsz, L, C)
        return self.output(y * g)


class ChannelMix(nn.Module):
    def __init__(self, d, hidden_rate=4, layer_id=0, n_layer=1):
        super().__init__()
        ratio = 1.0 - layer_id / max(n_layer, 1)
        ramp = torch.arange(d, dtype=torch.float32) / d
        self.spatial_mix_k = nn.Parameter((ramp ** ratio).view(1, 1, d))
        self.spatial_mix_r = nn.Parameter((ramp ** ratio).view(1, 1, d))
        self.key = nn.Linear(d, hidden_rate * d, bias=False)
        self.receptance = nn.Linear(d, d, bias=False)
        self.value = nn.Linear(hidden_rate * d, d, bias=False)

    def forward(self, f):
        dx = time_shift(f) - f  # the official code mixes with (shift - f), not with the shifted value
        xk = f * self.spatial_mix_k + dx * (1 - self.spatial_mix_k)
        xr = f * self.spatial_mix_r + dx * (1 - self.spatial_mix_r)
        return torch.sigmoid(self.receptance(xr)) * self.value(torch.relu(self.key(xk)) ** 2)


class RWKVBlock(nn.Module):
    """x <- x + gamma1 * Att(ln1(x)); x <- x + gamma2 * FFN(ln2(x)); block 0 of the network first applies ln0."""

    def __init__(self, d_model, n_head=4, hidden_rate=4, init_values=1e-5, layer_id=0, n_layer=1, **_unused):
        super().__init__()
        self.layer_id = layer_id
        if layer_id == 0:
            self.ln0 = nn.LayerNorm(d_model, eps=1e-5)
        self.ln1 = nn.LayerNorm(d_model, eps=1e-5)
        self.ln2 = nn.LayerNorm(d_model, eps=1e-5)
        self.att = SpatialMix(d_model, n_head, layer_id, n_layer)
        self.ffn = ChannelMix(d_model, hidden_rate, layer_id, n_layer)
        self.gamma1 = nn.Parameter(init_values * torch.ones(d_model))
        self.gamma2 = nn.Parameter(init_values * torch.ones(d_model))

    def forward(self, x):
        if self.layer_id == 0:
            x = self.ln0(x)
        x = x + self.gamma1 * self.att(self.ln1(x))
        return x + self.gamma2 * self.ffn(self.ln2(x))
