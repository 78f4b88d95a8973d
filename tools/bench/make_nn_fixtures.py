#!/usr/bin/env python3
"""Writes tests/nn/fixtures/nn_blocks.safetensors: seeded weights of one LION Mamba block, two LION
RWKV blocks (the first with ln0) and one FlatFormer attention layer, built from the PyTorch reference
modules in tools/reference, plus their inputs and outputs, so that the C++ modules (lib/nn) are
checked against an independent implementation.

  /usr/bin/python3 tools/bench/make_nn_fixtures.py

Keys: '<block>.<official state_dict key>' for weights, 'io.<block>.{input,pe,output}' for tensors
laid out as [groups * G, C] (group after group).
"""
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
from reference.flatformer import BasicLayer  # noqa: E402
from reference.mamba import MambaBlock  # noqa: E402
from reference.rwkv import RWKVBlock  # noqa: E402
from reference.safetensors_io import save_file  # noqa: E402

OUT = os.path.join(ROOT, 'tests', 'nn', 'fixtures', 'nn_blocks.safetensors')


def perturb(module, g):
    """Every parameter gets a distinct non-default value so that each one matters."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith(('A_log', 'A_b_log')):
                p.add_(0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() <= 1 or 'time_maa_' in name and p.dim() == 3 and p.shape[0] == 1:
                p.add_(0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith(('time_decay', 'spatial_mix_k', 'spatial_mix_r', 'gamma1', 'gamma2')):
                p.add_(0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / max(1, p[0].numel()) ** 0.5)
    module.eval()


def main():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(20261128)
    out = {}

    def run(name, module, groups, length, dim, with_pe=False):
        perturb(module, g)
        for k, v in module.state_dict().items():
            out[f'{name}.{k}'] = v.detach().float().contiguous()
        x = torch.randn(groups, length, dim, generator=g)
        with torch.no_grad():
            if with_pe:
                pe = torch.randn(groups, length, dim, generator=g)
                y = module(x, pe)
                out[f'io.{name}.pe'] = pe.reshape(-1, dim)
            else:
                y = module(x)
        out[f'io.{name}.input'] = x.reshape(-1, dim)
        out[f'io.{name}.output'] = y.reshape(-1, dim).contiguous()

    run('mamba', MambaBlock(16, d_state=16, d_conv=4, expand=2), 3, 7, 16)
    run('rwkv0', RWKVBlock(16, n_head=2, hidden_rate=4, layer_id=0), 2, 9, 16)
    run('rwkv1', RWKVBlock(16, n_head=4, hidden_rate=4, layer_id=1), 3, 5, 16)
    run('attn', BasicLayer(16, 4, 32), 3, 5, 16, with_pe=True)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file(out, OUT, metadata={'generator': 'tools/bench/make_nn_fixtures.py'})
    print(f'wrote {OUT} ({len(out)} tensors)')


if __name__ == '__main__':
    main()
