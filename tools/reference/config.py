"""Loading of the YAML model configurations in configs/."""
import os

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Cfg(dict):
    """A dict whose keys are also attributes (OpenPCDet's EasyDict style), recursively."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def get_path(self, path, default=None):
        node = self
        for part in path.split('.'):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node


def _wrap(node):
    if isinstance(node, dict):
        return Cfg({k: _wrap(v) for k, v in node.items()})
    if isinstance(node, list):
        return [_wrap(v) for v in node]
    return node


def load_config(path):
    """Reads a model configuration; a bare name resolves to configs/<name>.yaml."""
    if not os.path.exists(path) and not path.endswith('.yaml'):
        path = os.path.join(REPO_ROOT, 'configs', path + '.yaml')
    with open(path, 'r', encoding='utf-8') as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict) or 'MODEL' not in data:
        raise ValueError(f'{path}: expected a mapping with a MODEL section')
    return _wrap(data)


def grid_size(cfg):
    """Voxel grid (X, Y, Z) from POINT_CLOUD_RANGE and the voxel size of the DATA_PROCESSOR."""
    pc_range = cfg.DATA_CONFIG.POINT_CLOUD_RANGE
    voxel = voxel_size(cfg)
    return [int(round((pc_range[i + 3] - pc_range[i]) / voxel[i])) for i in range(3)]


def voxel_size(cfg):
    for proc in cfg.DATA_CONFIG.DATA_PROCESSOR:
        if 'VOXEL_SIZE' in proc:
            return [float(v) for v in proc['VOXEL_SIZE']]
    raise ValueError('DATA_CONFIG.DATA_PROCESSOR: no entry with VOXEL_SIZE')
