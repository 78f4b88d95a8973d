"""The committed parity fixtures: readable in all three containers, consistent with each other, and
reproduced by the committed generator."""
import glob
import importlib.util
import json
import os
import struct

import pytest
import torch

from reference.safetensors_io import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PARITY = os.path.join(ROOT, 'tests', 'fixtures', 'parity')


def _generator():
    spec = importlib.util.spec_from_file_location('mpf', os.path.join(ROOT, 'tools', 'fixtures',
                                                                      'make_parity_fixtures.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_safetensors_layout_and_round_trip(tmp_path):
    t = {'b': torch.arange(6, dtype=torch.int64).view(2, 3), 'a': torch.tensor([1.5, -2.0])}
    p = str(tmp_path / 'x.safetensors')
    save_file(t, p, {'k': 'v'})
    raw = open(p, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    assert header['a'] == {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]}
    assert header['b']['dtype'] == 'I64' and header['b']['data_offsets'] == [8, 56]
    assert header['__metadata__'] == {'k': 'v'}
    assert struct.unpack('<2f', raw[8 + n:16 + n]) == (1.5, -2.0)
    back = load_file(p)
    assert torch.equal(back['a'], t['a']) and torch.equal(back['b'], t['b'])


def test_fixtures_total_size_under_5_mb():
    total = sum(os.path.getsize(f) for f in glob.glob(os.path.join(PARITY, '*')))
    assert total < 5 * 1024 * 1024


@pytest.mark.parametrize('name', ['lion_mamba_anchor', 'flatformer_center'])
def test_pth_containers_hold_the_safetensors_weights(name):
    st = load_file(os.path.join(PARITY, f'{name}.weights.safetensors'))
    for suffix in ('.pth', '.legacy.pth'):
        path = os.path.join(PARITY, name + suffix)
        with open(path, 'rb') as f:
            is_zip = f.read(2) == b'PK'
        assert is_zip == (suffix == '.pth')
        ck = torch.load(path, map_location='cpu')
        sd = ck['state_dict'] if 'state_dict' in ck else ck['model_state']
        assert set(sd) == set(st)
        assert all(torch.equal(sd[k], st[k]) for k in st)


def test_generator_reproduces_the_committed_tensors():
    gen = _generator()
    paths = gen.config_paths()
    i = [os.path.basename(p) for p in paths].index('lion_mamba_anchor.yaml')
    _, model, tensors, _, _ = gen.build_fixture(paths[i], i)
    committed = load_file(os.path.join(PARITY, 'lion_mamba_anchor.tensors.safetensors'))
    weights = load_file(os.path.join(PARITY, 'lion_mamba_anchor.weights.safetensors'))
    assert set(tensors) == set(committed)
    for k, v in model.state_dict().items():
        assert torch.equal(v, weights[k]), k
    for k, v in tensors.items():
        c = committed[k]
        assert v.shape == c.shape, k
        if v.dtype.is_floating_point:
            assert torch.allclose(v, c, rtol=1e-4, atol=1e-5), k
        else:
            assert torch.equal(v.to(c.dtype), c), k
