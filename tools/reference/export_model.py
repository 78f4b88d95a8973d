"""Exports a training checkpoint for shipping: OpenPCDet-layout legacy .pth without the optimizer state, and
the same state dict as safetensors.

  cd tools && /usr/bin/python3 -m reference.export_model <checkpoint.pth> <out_dir> <name>
"""
import os
import sys

import torch

from .safetensors_io import save_file


def export(ckpt_path, out_dir, name):
    ck = torch.load(ckpt_path, map_location='cpu')
    sd = ck['model_state']
    os.makedirs(out_dir, exist_ok=True)
    slim = {'epoch': ck['epoch'], 'it': ck['it'], 'model_state': sd, 'optimizer_state': None,
            'version': ck.get('version', '')}
    pth = os.path.join(out_dir, name + '.pth')
    torch.save(slim, pth + '.tmp', _use_new_zipfile_serialization=False)
    os.replace(pth + '.tmp', pth)
    save_file(sd, os.path.join(out_dir, name + '.safetensors'), {'epoch': ck['epoch'], 'it': ck['it']})
    return pth


if __name__ == '__main__':
    print(export(*sys.argv[1:4]))
