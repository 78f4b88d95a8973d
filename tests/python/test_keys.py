"""State-dict key and shape tables of the official configurations, written out from the spec patterns
(lion.md §3.1, §3.2, §4.2; flatformer.md §4.7, §9) independently of the model code, then compared."""
import pytest

from reference.detector import build_detector

BN = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')


def bn(table, prefix, c):
    for s in BN:
        table[f'{prefix}.{s}'] = [] if s == 'num_batches_tracked' else [c]


def ln(table, prefix, c):
    table[prefix + '.weight'] = [c]
    table[prefix + '.bias'] = [c]


def mamba_op(table, p, d, n=16):
    di, r = 2 * d, -(-d // 16)
    for suf in ('', '_b'):
        table[f'{p}.mamba.A{suf}_log'] = [di, n]
        table[f'{p}.mamba.D{suf}'] = [di]
        table[f'{p}.mamba.conv1d{suf}.weight'] = [di, 1, 4]
        table[f'{p}.mamba.conv1d{suf}.bias'] = [di]
        table[f'{p}.mamba.x_proj{suf}.weight'] = [r + 2 * n, di]
        table[f'{p}.mamba.dt_proj{suf}.weight'] = [di, r]
        table[f'{p}.mamba.dt_proj{suf}.bias'] = [di]
    table[f'{p}.mamba.in_proj.weight'] = [2 * di, d]
    table[f'{p}.mamba.out_proj.weight'] = [d, di]
    ln(table, p + '.norm', d)


def rwkv_op(table, p, c, first, heads=4):
    if first:
        ln(table, p + '.ln0', c)
    ln(table, p + '.ln1', c)
    ln(table, p + '.ln2', c)
    table[p + '.gamma1'] = [c]
    table[p + '.gamma2'] = [c]
    for m in 'xwkvrg':
        table[f'{p}.att.time_maa_{m}'] = [1, 1, c]
    table[p + '.att.time_maa_w1'] = [c, 160]
    table[p + '.att.time_maa_w2'] = [5, 32, c]
    table[p + '.att.time_decay'] = [1, 1, c]
    table[p + '.att.time_decay_w1'] = [c, 64]
    table[p + '.att.time_decay_w2'] = [64, c]
    table[p + '.att.time_faaaa'] = [heads, c // heads]
    for m in ('key', 'value', 'receptance', 'gate', 'output'):
        table[f'{p}.att.{m}.weight'] = [c, c]
    ln(table, p + '.att.ln_x', c)
    table[p + '.ffn.spatial_mix_k'] = [1, 1, c]
    table[p + '.ffn.spatial_mix_r'] = [1, 1, c]
    table[p + '.ffn.key.weight'] = [4 * c, c]
    table[p + '.ffn.receptance.weight'] = [c, c]
    table[p + '.ffn.value.weight'] = [c, 4 * c]


def lion_table(vfe_in, op, head):
    t = {'global_step': [1]}
    t['vfe.pfn_layers.0.linear.weight'] = [32, vfe_in]
    bn(t, 'vfe.pfn_layers.0.norm', 32)
    t['vfe.pfn_layers.1.linear.weight'] = [64, 64]
    bn(t, 'vfe.pfn_layers.1.norm', 64)
    C = 64
    first = [True]

    def operator(p):
        if op == 'mamba':
            mamba_op(t, p, C)
        else:
            rwkv_op(t, p, C, first[0])
            first[0] = False

    for k in range(1, 5):
        L = f'backbone_3d.linear_{k}'
        # official order: encoder 0, encoder 1, then decoder 0, decoder 1
        for i in (0, 1):
            for j in (0, 1):
                operator(f'{L}.encoder.{i}.blocks.{j}')
        for i in (0, 1):
            for j in (0, 1):
                operator(f'{L}.decoder.{i}.blocks.{j}')
        for i in (0, 1):
            t[f'{L}.downsample_list.{i}.sub_conv.0.weight'] = [C, 3, 3, 3, C]
            ln(t, f'{L}.downsample_list.{i}.sub_conv.1', C)
            ln(t, f'{L}.downsample_list.{i}.norm', C)
            t[f'{L}.pos_emb_list.{i}.position_embedding_head.0.weight'] = [C, 3]
            t[f'{L}.pos_emb_list.{i}.position_embedding_head.0.bias'] = [C]
            bn(t, f'{L}.pos_emb_list.{i}.position_embedding_head.1', C)
            t[f'{L}.pos_emb_list.{i}.position_embedding_head.3.weight'] = [C, C]
            t[f'{L}.pos_emb_list.{i}.position_embedding_head.3.bias'] = [C]
            ln(t, f'{L}.decoder_norm.{i}', C)
        t[f'backbone_3d.dow{k}.sub_conv.0.weight'] = [C, 3, 3, 3, C]
        ln(t, f'backbone_3d.dow{k}.sub_conv.1', C)
        ln(t, f'backbone_3d.dow{k}.norm', C)
    for j in (0, 1):
        operator(f'backbone_3d.linear_out.blocks.{j}')
    if head == 'kitti':
        t['backbone_2d.blocks.0.1.weight'] = [128, 128, 3, 3]
        t['backbone_2d.blocks.1.1.weight'] = [256, 128, 3, 3]
        for lvl, c in ((0, 128), (1, 256)):
            for idx in (4, 7, 10, 13, 16):
                t[f'backbone_2d.blocks.{lvl}.{idx}.weight'] = [c, c, 3, 3]
            for idx in (2, 5, 8, 11, 14, 17):
                bn(t, f'backbone_2d.blocks.{lvl}.{idx}', c)
        t['backbone_2d.deblocks.0.0.weight'] = [128, 256, 1, 1]
        t['backbone_2d.deblocks.1.0.weight'] = [256, 256, 2, 2]
        bn(t, 'backbone_2d.deblocks.0.1', 256)
        bn(t, 'backbone_2d.deblocks.1.1', 256)
        for name, n in (('conv_cls', 18), ('conv_box', 42), ('conv_dir_cls', 12)):
            t[f'dense_head.{name}.weight'] = [n, 512, 1, 1]
            t[f'dense_head.{name}.bias'] = [n]
    else:
        def bb(p, cin, cout, ds):
            t[p + '.conv1.weight'] = [cout, cin, 3, 3]
            bn(t, p + '.bn1', cout)
            t[p + '.conv2.weight'] = [cout, cout, 3, 3]
            bn(t, p + '.bn2', cout)
            if ds:
                t[p + '.downsample_layer.0.weight'] = [cout, cin, 1, 1]
                bn(t, p + '.downsample_layer.1', cout)
        bb('backbone_2d.blocks.0.0', 128, 128, True)
        bb('backbone_2d.blocks.0.1', 128, 128, False)
        bb('backbone_2d.blocks.1.0', 128, 128, True)
        for i in (1, 2):
            bb(f'backbone_2d.blocks.1.{i}', 128, 128, False)
        bb('backbone_2d.blocks.2.0', 128, 256, True)
        for i in (1, 2):
            bb(f'backbone_2d.blocks.2.{i}', 256, 256, False)
        t['backbone_2d.deblocks.0.0.weight'] = [128, 128, 1, 1]
        t['backbone_2d.deblocks.1.0.weight'] = [128, 128, 2, 2]
        t['backbone_2d.deblocks.2.0.weight'] = [256, 128, 4, 4]
        for i in range(3):
            bn(t, f'backbone_2d.deblocks.{i}.1', 128)
        t['dense_head.shared_conv.0.weight'] = [64, 384, 3, 3]
        bn(t, 'dense_head.shared_conv.1', 64)
        for name, out in (('center', 2), ('center_z', 1), ('dim', 3), ('rot', 2), ('iou', 1), ('hm', 3)):
            p = f'dense_head.heads_list.0.{name}'
            t[p + '.0.0.weight'] = [64, 64, 3, 3]
            bn(t, p + '.0.1', 64)
            t[p + '.1.weight'] = [out, 64, 3, 3]
            t[p + '.1.bias'] = [out]
    return t


def flatformer_table():
    t = {}
    t['voxel_encoder.vfe_layers.0.linear.weight'] = [64, 11]
    bn(t, 'voxel_encoder.vfe_layers.0.norm', 64)
    t['voxel_encoder.vfe_layers.1.linear.weight'] = [128, 128]
    bn(t, 'voxel_encoder.vfe_layers.1.norm', 128)
    for i in (0, 1):
        for j in range(4):
            p = f'middle_encoder.block_list.{i}.block.{j}'
            t[p + '.attn.attn.in_proj_weight'] = [384, 128]
            t[p + '.attn.attn.in_proj_bias'] = [384]
            t[p + '.attn.attn.out_proj.weight'] = [128, 128]
            t[p + '.attn.attn.out_proj.bias'] = [128]
            t[p + '.fc1.weight'] = [256, 128]
            t[p + '.fc1.bias'] = [256]
            t[p + '.fc2.weight'] = [128, 256]
            t[p + '.fc2.bias'] = [128]
            ln(t, p + '.norm1', 128)
            ln(t, p + '.norm2', 128)
    t['backbone.blocks.0.0.0.weight'] = [64, 128, 3, 3]
    t['backbone.blocks.1.0.0.weight'] = [128, 64, 3, 3]
    for u in (1, 2, 3):
        t[f'backbone.blocks.0.{u}.0.weight'] = [64, 64, 3, 3]
        t[f'backbone.blocks.1.{u}.0.weight'] = [128, 128, 3, 3]
    for u in range(4):
        bn(t, f'backbone.blocks.0.{u}.1', 64)
        bn(t, f'backbone.blocks.1.{u}.1', 128)
    t['neck.deblocks.0.0.weight'] = [64, 128, 1, 1]
    t['neck.deblocks.1.0.weight'] = [128, 128, 2, 2]
    bn(t, 'neck.deblocks.0.1', 128)
    bn(t, 'neck.deblocks.1.1', 128)
    t['bbox_head.shared_conv.conv.weight'] = [64, 256, 3, 3]
    bn(t, 'bbox_head.shared_conv.bn', 64)
    for name, out in (('reg', 2), ('height', 1), ('dim', 3), ('rot', 2), ('vel', 2), ('iou', 1), ('heatmap', 3)):
        p = f'bbox_head.task_heads.0.{name}'
        t[p + '.0.conv.weight'] = [64, 64, 3, 3]
        bn(t, p + '.0.bn', 64)
        t[p + '.1.weight'] = [out, 64, 3, 3]
        t[p + '.1.bias'] = [out]
    return t


def n_params(table):
    total = 0
    for k, shape in table.items():
        if k.endswith(('running_mean', 'running_var', 'num_batches_tracked')) or k == 'global_step':
            continue
        p = 1
        for s in shape:
            p *= s
        total += p
    return total


CASES = {
    'lion_mamba_kitti': (lambda: lion_table(10, 'mamba', 'kitti'), 863, 7.23e6),
    'lion_rwkv_kitti': (lambda: lion_table(10, 'rwkv', 'kitti'), None, None),
    'lion_mamba_waymo': (lambda: lion_table(11, 'mamba', 'waymo'), 959, 8.61e6),
    'flatformer_waymo': (flatformer_table, 230, 2268110),
}


@pytest.mark.parametrize('name', sorted(CASES))
def test_official_keys_and_shapes(name):
    make, n_keys, n_par = CASES[name]
    expected = make()
    model = build_detector(name)
    got = {k: list(v.shape) for k, v in model.state_dict().items()}
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    assert not missing, f'missing keys: {missing[:10]}'
    assert not extra, f'unexpected keys: {extra[:10]}'
    wrong = [(k, expected[k], got[k]) for k in expected if expected[k] != got[k]]
    assert not wrong, f'shape mismatches: {wrong[:10]}'
    if n_keys is not None:  # the spec's own key and parameter counts (lion.md §4.3, flatformer.md §9)
        assert len(expected) == n_keys
        assert abs(n_params(expected) - n_par) <= (0.005 * n_par if n_par > 3e6 else 0)


def test_rwkv_backbone_parameter_count_matches_spec():
    # lion.md §4.3: the RWKV-64 backbone_3d has 4.331 M parameters, the Mamba one 2.756 M.
    rwkv = lion_table(10, 'rwkv', 'kitti')
    mamba = lion_table(10, 'mamba', 'kitti')
    bb = lambda t: n_params({k: v for k, v in t.items() if k.startswith('backbone_3d.')})
    assert abs(bb(rwkv) - 4.331e6) < 2e3
    assert abs(bb(mamba) - 2.756e6) < 2e3


def test_mamba_block_has_18_tensors_and_40832_parameters():
    t = {}
    mamba_op(t, 'b', 64)
    assert len(t) == 18
    assert n_params(t) == 40832
