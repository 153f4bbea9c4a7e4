# PyTorch re-implementations of the timm layouts cellab loads (timm itself is
# not installed here): module names, parameter shapes and forward pass as
# timm builds them, so a state dict of these is laid out as timm's files.
import torch
from collections import OrderedDict
import torch.nn as nn
import torch.nn.functional as F


class LayerNorm2d(nn.LayerNorm):
    """timm.layers.LayerNorm2d: LayerNorm over channels of an NCHW map."""
    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class ConvMlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1, bias=True)
        self.norm = nn.Identity()
        self.act = nn.GELU()
        self.drop = nn.Dropout(0.0)
        self.fc2 = nn.Conv2d(hidden, dim, 1, bias=True)

    def forward(self, x):
        return self.fc2(self.drop(self.act(self.norm(self.fc1(x)))))


class ConvNeXtBlock(nn.Module):
    """timm ConvNeXtBlock with conv_mlp=True (convnext_atto .. nano)."""
    def __init__(self, dim, ls_init_value=1e-6):
        super().__init__()
        self.conv_dw = nn.Conv2d(dim, dim, 7, padding=3, groups=dim, bias=True)
        self.norm = LayerNorm2d(dim, eps=1e-6)
        self.mlp = ConvMlp(dim, 4 * dim)
        self.gamma = nn.Parameter(ls_init_value * torch.ones(dim))

    def forward(self, x):
        shortcut = x
        x = self.mlp(self.norm(self.conv_dw(x)))
        return x.mul(self.gamma.reshape(1, -1, 1, 1)) + shortcut


class ConvNeXtStage(nn.Module):
    def __init__(self, in_chs, out_chs, depth, stride):
        super().__init__()
        if in_chs != out_chs or stride > 1:
            self.downsample = nn.Sequential(LayerNorm2d(in_chs, eps=1e-6), nn.Conv2d(in_chs, out_chs, 2, stride=2, bias=True))
        else:
            self.downsample = nn.Identity()
        self.blocks = nn.Sequential(*[ConvNeXtBlock(out_chs) for _ in range(depth)])

    def forward(self, x):
        return self.blocks(self.downsample(x))


class NormMlpClassifierHead(nn.Module):
    def __init__(self, dim, classes):
        super().__init__()
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.norm = LayerNorm2d(dim, eps=1e-6)
        self.flatten = nn.Flatten(1)
        self.pre_logits = nn.Identity()
        self.drop = nn.Dropout(0.0)
        self.fc = nn.Linear(dim, classes)

    def forward(self, x):
        return self.fc(self.drop(self.pre_logits(self.flatten(self.norm(self.global_pool(x))))))


class ConvNeXt(nn.Module):
    def __init__(self, depths, dims, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, dims[0], 4, stride=4, bias=True), LayerNorm2d(dims[0], eps=1e-6))
        stages, prev = [], dims[0]
        for i, (d, c) in enumerate(zip(depths, dims)):
            stages.append(ConvNeXtStage(prev, c, d, 1 if i == 0 else 2))
            prev = c
        self.stages = nn.Sequential(*stages)
        self.norm_pre = nn.Identity()
        self.head = NormMlpClassifierHead(prev, classes)

    def forward(self, x):
        return self.head(self.norm_pre(self.stages(self.stem(x))))


def convnext_atto():
    return ConvNeXt((2, 2, 6, 2), (40, 80, 160, 320))


# ---- coatnet_0_rw_224 (timm MaxxVit with _rw_coat_cfg(conv_attn_early=True, transformer_shortcut_bias=False))

def make_divisible(v, divisor=8, min_value=None, round_limit=.9):
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


class BatchNormAct2d(nn.BatchNorm2d):
    def __init__(self, ch, act=True, eps=1e-5):
        super().__init__(ch, eps=eps)
        self.drop = nn.Identity()
        self.act = nn.SiLU() if act else nn.Identity()

    def forward(self, x):
        return self.act(self.drop(super().forward(x)))


class Downsample2d(nn.Module):
    def __init__(self, dim, dim_out, bias=True):
        super().__init__()
        self.pool = nn.AvgPool2d(2)
        self.expand = nn.Conv2d(dim, dim_out, 1, bias=bias) if dim != dim_out else nn.Identity()

    def forward(self, x):
        return self.expand(self.pool(x))


class SEModule(nn.Module):
    def __init__(self, ch, rd):
        super().__init__()
        self.fc1 = nn.Conv2d(ch, rd, 1, bias=True)
        self.bn = nn.Identity()
        self.act = nn.ReLU()
        self.fc2 = nn.Conv2d(rd, ch, 1, bias=True)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        s = self.fc2(self.act(self.bn(self.fc1(x.mean((2, 3), keepdim=True)))))
        return x * self.gate(s)


class MbConvBlock(nn.Module):
    def __init__(self, in_chs, out_chs, stride):
        super().__init__()
        mid = make_divisible(in_chs * 4.0)
        self.shortcut = Downsample2d(in_chs, out_chs, bias=False) if stride == 2 else nn.Identity()
        self.pre_norm = BatchNormAct2d(in_chs, act=True)
        self.down = Downsample2d(in_chs, in_chs) if stride == 2 else nn.Identity()
        self.conv1_1x1 = nn.Conv2d(in_chs, mid, 1, bias=False)
        self.norm1 = BatchNormAct2d(mid)
        self.conv2_kxk = nn.Conv2d(mid, mid, 3, padding=1, groups=mid, bias=False)
        self.se_early = SEModule(mid, int(0.25 * mid))
        self.norm2 = BatchNormAct2d(mid)
        self.conv3_1x1 = nn.Conv2d(mid, out_chs, 1, bias=False)

    def forward(self, x):
        shortcut = self.shortcut(x)
        x = self.down(self.pre_norm(x))
        x = self.norm1(self.conv1_1x1(x))
        x = self.norm2(self.se_early(self.conv2_kxk(x)))
        return self.conv3_1x1(x) + shortcut


def rel_pos_index(h, w):
    coords = torch.stack(torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
    rel[:, :, 0] += h - 1
    rel[:, :, 1] += w - 1
    rel[:, :, 0] *= 2 * w - 1
    return rel.sum(-1)


class RelPosBias(nn.Module):
    def __init__(self, window_size, num_heads):
        super().__init__()
        self.window_area = window_size[0] * window_size[1]
        self.bias_shape = (self.window_area,) * 2 + (num_heads,)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window_size[0] - 1) * (2 * window_size[1] - 1), num_heads))
        self.register_buffer('relative_position_index', rel_pos_index(*window_size).view(-1), persistent=False)

    def forward(self, attn):
        bias = self.relative_position_bias_table[self.relative_position_index].view(self.bias_shape).permute(2, 0, 1)
        return attn + bias.unsqueeze(0)


class Attention2d(nn.Module):
    """expand_first=False, head_first=True, non-fused path."""
    def __init__(self, dim, dim_out, window_size, dim_head=32):
        super().__init__()
        dim_attn = dim
        self.num_heads = dim_attn // dim_head
        self.dim_head = dim_head
        self.scale = dim_head ** -0.5
        self.qkv = nn.Conv2d(dim, dim_attn * 3, 1, bias=True)
        self.rel_pos = RelPosBias(window_size, self.num_heads)
        self.attn_drop = nn.Dropout(0.0)
        self.proj = nn.Conv2d(dim_attn, dim_out, 1, bias=True)
        self.proj_drop = nn.Dropout(0.0)

    def forward(self, x):
        B, C, H, W = x.shape
        q, k, v = self.qkv(x).view(B, self.num_heads, self.dim_head * 3, -1).chunk(3, dim=2)
        q = q * self.scale
        attn = self.rel_pos(q.transpose(-2, -1) @ k).softmax(dim=-1)
        x = (v @ attn.transpose(-2, -1)).view(B, -1, H, W)
        return self.proj(x)


class TransformerBlock2d(nn.Module):
    def __init__(self, dim, dim_out, stride, window_size):
        super().__init__()
        if stride == 2:
            self.shortcut = Downsample2d(dim, dim_out, bias=False)
            self.norm1 = nn.Sequential(OrderedDict([('norm', LayerNorm2d(dim, eps=1e-6)), ('down', Downsample2d(dim, dim))]))
        else:
            self.shortcut = nn.Identity()
            self.norm1 = LayerNorm2d(dim, eps=1e-6)
        self.attn = Attention2d(dim, dim_out, window_size)
        self.ls1 = nn.Identity()
        self.norm2 = LayerNorm2d(dim_out, eps=1e-6)
        self.mlp = ConvMlp(dim_out, 4 * dim_out)
        self.ls2 = nn.Identity()

    def forward(self, x):
        x = self.shortcut(x) + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class MaxxVitStage(nn.Module):
    def __init__(self, in_chs, out_chs, depth, kind, feat_size):
        super().__init__()
        blocks = []
        for i in range(depth):
            stride = 2 if i == 0 else 1
            blocks.append(MbConvBlock(in_chs, out_chs, stride) if kind == 'C' else TransformerBlock2d(in_chs, out_chs, stride, feat_size))
            in_chs = out_chs
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(x)


class CoatStem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False)
        self.norm1 = BatchNormAct2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)

    def forward(self, x):
        return self.conv2(self.norm1(self.conv1(x)))


class ClassifierHead(nn.Module):
    def __init__(self, dim, classes):
        super().__init__()
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(0.0)
        self.fc = nn.Linear(dim, classes)
        self.flatten = nn.Flatten(1)

    def forward(self, x):
        return self.flatten(self.fc(self.drop(self.global_pool(x).flatten(1))))


class CoAtNet(nn.Module):
    def __init__(self, img_size, classes=1000, depths=(2, 3, 7, 2), dims=(96, 192, 384, 768)):
        super().__init__()
        self.stem = CoatStem()
        feat = img_size // 2
        stages, in_chs = [], 64
        for i, (d, c) in enumerate(zip(depths, dims)):
            feat = (feat - 1) // 2 + 1
            stages.append(MaxxVitStage(in_chs, c, d, 'C' if i < 2 else 'T', (feat, feat)))
            in_chs = c
        self.stages = nn.Sequential(*stages)
        self.norm = LayerNorm2d(in_chs, eps=1e-6)
        self.head = ClassifierHead(in_chs, classes)

    def forward(self, x):
        return self.head(self.norm(self.stages(self.stem(x))))


def coatnet_0_rw_224(img_size=224):
    return CoAtNet(img_size)
