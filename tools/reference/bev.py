"""Dense 2D BEV networks: OpenPCDet BaseBEVBackbone / BaseBEVResBackbone (lion.md §2.9) and FlatFormer's
residual SECOND with SECONDFPN (flatformer.md §6)."""
import torch
from torch import nn


def _deblock(cin, cout, stride, eps):
    if stride >= 1:
        s = int(round(stride))
        conv = nn.ConvTranspose2d(cin, cout, s, stride=s, bias=False)
    else:
        s = int(round(1 / stride))
        conv = nn.Conv2d(cin, cout, s, stride=s, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(cout, eps=eps, momentum=0.01), nn.ReLU())


class _LevelsWithDeblocks(nn.Module):
    """The frame both OpenPCDet BEV backbones share: level i runs blocks[i] (stride LAYER_STRIDES[i]) on the
    previous level's output, deblocks[i] brings it to the common resolution, and the results are concatenated.
    Subclasses say how a level's block is built."""

    def __init__(self, model_cfg, input_channels):
        super().__init__()
        c = model_cfg
        eps = c.get('BN_EPS', 1e-3)
        nums, strides, filters = c['LAYER_NUMS'], c['LAYER_STRIDES'], c['NUM_FILTERS']
        ups, upf = c['UPSAMPLE_STRIDES'], c['NUM_UPSAMPLE_FILTERS']
        cin = [input_channels] + filters[:-1]
        self.blocks, self.deblocks = nn.ModuleList(), nn.ModuleList()
        for i in range(len(nums)):
            self.blocks.append(self.make_block(cin[i], filters[i], strides[i], nums[i], eps))
            self.deblocks.append(_deblock(filters[i], upf[i], ups[i], eps))
        self.num_bev_features = sum(upf)

    def forward(self, x, record=None):
        ups = []
        for i, (blk, de) in enumerate(zip(self.blocks, self.deblocks)):
            x = blk(x)
            if record is not None:
                record[f'backbone_2d.blocks.{i}'] = x
            ups.append(de(x))
        return torch.cat(ups, dim=1)


class BaseBEVBackbone(_LevelsWithDeblocks):
    @staticmethod
    def make_block(cin, cout, stride, num, eps):
        layers = [nn.ZeroPad2d(1), nn.Conv2d(cin, cout, 3, stride=stride, padding=0, bias=False),
                  nn.BatchNorm2d(cout, eps=eps, momentum=0.01), nn.ReLU()]
        for _ in range(num):
            layers += [nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                       nn.BatchNorm2d(cout, eps=eps, momentum=0.01), nn.ReLU()]
        return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1, downsample=False, eps=1e-3):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=eps, momentum=0.01)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=eps, momentum=0.01)
        self.relu2 = nn.ReLU()
        self.downsample = downsample
        if downsample:
            self.downsample_layer = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                                  nn.BatchNorm2d(cout, eps=eps, momentum=0.01))

    def forward(self, x):
        identity = self.downsample_layer(x) if self.downsample else x
        out = self.relu1(self.bn1(self.conv1(x)))
        return self.relu2(self.bn2(self.conv2(out)) + identity)


class BaseBEVResBackbone(_LevelsWithDeblocks):
    @staticmethod
    def make_block(cin, cout, stride, num, eps):
        layers = [BasicBlock(cin, cout, stride, True, eps)]  # the first block always has the branch
        layers += [BasicBlock(cout, cout, 1, False, eps) for _ in range(num)]
        return nn.Sequential(*layers)


class SECOND(nn.Module):
    """FlatFormer's SECOND: unit u = ReLU(BN(conv(x))); units with equal in/out shape add x after the ReLU."""

    def __init__(self, model_cfg, input_channels):
        super().__init__()
        c = model_cfg
        eps = c.get('BN_EPS', 1e-3)
        outs, nums, strides = c['OUT_CHANNELS'], c['LAYER_NUMS'], c['LAYER_STRIDES']
        self.residual = c.get('RESIDUAL', True)
        cin = [input_channels] + outs[:-1]
        self.blocks = nn.ModuleList()
        for i in range(len(outs)):
            units = [nn.Sequential(nn.Conv2d(cin[i], outs[i], 3, stride=strides[i], padding=1, bias=False),
                                   nn.BatchNorm2d(outs[i], eps=eps, momentum=0.01), nn.ReLU())]
            units += [nn.Sequential(nn.Conv2d(outs[i], outs[i], 3, padding=1, bias=False),
                                    nn.BatchNorm2d(outs[i], eps=eps, momentum=0.01), nn.ReLU())
                      for _ in range(nums[i])]
            self.blocks.append(nn.Sequential(*units))

    def forward(self, x, record=None):
        outs = []
        for i, blk in enumerate(self.blocks):
            for unit in blk:
                y = unit(x)
                x = y + x if (self.residual and y.shape == x.shape) else y
            if record is not None:
                record[f'backbone.blocks.{i}'] = x
            outs.append(x)
        return outs


class SECONDFPN(nn.Module):
    def __init__(self, model_cfg):
        super().__init__()
        c = model_cfg
        eps = c.get('BN_EPS', 1e-3)
        self.deblocks = nn.ModuleList([_deblock(ci, co, s, eps) for ci, co, s in
                                       zip(c['IN_CHANNELS'], c['OUT_CHANNELS'], c['UPSAMPLE_STRIDES'])])
        self.num_bev_features = sum(c['OUT_CHANNELS'])

    def forward(self, xs):
        return torch.cat([d(x) for d, x in zip(self.deblocks, xs)], dim=1)
