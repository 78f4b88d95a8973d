"""safetensors writer and reader (format: 8-byte little-endian header length, JSON header, raw little-endian
tensor bytes), written here so that no extra package is needed."""
import json
import struct

import numpy as np
import torch

_DTYPES = {torch.float32: ('F32', np.float32), torch.float64: ('F64', np.float64), torch.int64: ('I64', np.int64),
           torch.int32: ('I32', np.int32), torch.uint8: ('U8', np.uint8), torch.bool: ('BOOL', np.bool_),
           torch.float16: ('F16', np.float16)}
_BY_NAME = {v[0]: v[1] for v in _DTYPES.values()}


def save_file(tensors, path, metadata=None):
    """tensors: name -> torch tensor, written in sorted name order (deterministic bytes)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        code, npt = _DTYPES[t.dtype]
        data = t.numpy().astype(npt, copy=False).astype(np.dtype(npt).newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': code, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(',', ':'), sort_keys=True).encode('utf-8')
    raw += b' ' * ((8 - len(raw) % 8) % 8)  # keep the data 8-byte aligned
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    import os
    os.replace(tmp, path)


def load_file(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n).decode('utf-8'))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        a, b = info['data_offsets']
        arr = np.frombuffer(data[a:b], dtype=np.dtype(_BY_NAME[info['dtype']]).newbyteorder('<'))
        out[name] = torch.from_numpy(arr.astype(_BY_NAME[info['dtype']]).reshape(info['shape']).copy())
    return out
