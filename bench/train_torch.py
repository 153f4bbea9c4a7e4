# PyTorch side of the benches (Debian's python3-torch and python3-torchvision).
#
# Throughput (bench/train.bench.ts): the same networks as cellab's small-cnn
# (width 1) and resnet18 (default width 0.25), NCHW float32, Adam, behind a
# line protocol so the bench can alternate it with cellab in one run:
#   stdin  {"net": "tiny"|"resnet18", "mode": "train"|"forward"|"features"|"forward-layers", "steps": n, "warmup": k}
#   (forward-layers is cellab's unfolded forward; PyTorch runs its one forward for it)
#   stdout {"img_s": ..., "seconds": ..., "steps": n}
#   Usage: /usr/bin/python3 bench/train_torch.py THREADS [BATCH] [SIZE]
#   BENCH_TORCH_DEVICE=cuda runs on the GPU (bench/gpu.sh).
#
# Accuracy parity (bench/parity.bench.ts): one training run of a recipe on
# arrays cellab exported (its exact split and preprocessed pixels), so only
# the training differs; prints one JSON line with test accuracy and ACA.
#   Usage: /usr/bin/python3 bench/train_torch.py parity DIR SEED [THREADS]
#   DIR holds recipe.json and {train,val,test}_{x,y}.npy (x: N x H x W x C in 0..1).
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock

CLASSES = 6


class Tiny(nn.Module):
    """conv16-pool-conv32-pool-conv64-GAP-dense6 (3x3 'same' convs with bias, ReLU)."""

    def __init__(self, classes=CLASSES, in_ch=1):
        super().__init__()
        self.c1 = nn.Conv2d(in_ch, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.c3 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64, classes)

    def features(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return F.relu(self.c3(x)).mean((2, 3))

    def forward(self, x):
        return self.fc(self.features(x))


class ResNet18(nn.Module):
    """torchvision's ResNet (its BasicBlock, stem, init and classifier) with a width
    multiplier and any input channel count: width 1 and 3 channels is
    torchvision.models.resnet18; cellab's default is width 0.25 (16-32-64-128)."""

    def __init__(self, width=0.25, classes=CLASSES, in_ch=1):
        super().__init__()
        w = [int(64 * width * 2 ** s) for s in range(4)]
        self.inplanes = w[0]
        self.conv1 = nn.Conv2d(in_ch, w[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(w[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._layer(w[0], 1)
        self.layer2 = self._layer(w[1], 2)
        self.layer3 = self._layer(w[2], 2)
        self.layer4 = self._layer(w[3], 2)
        self.fc = nn.Linear(w[3], classes)
        # torchvision.models.resnet.ResNet.__init__'s init (zero_init_residual=False);
        # the Linear keeps PyTorch's default.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _layer(self, planes, stride):
        down = None
        if stride != 1 or self.inplanes != planes:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        blocks = [BasicBlock(self.inplanes, planes, stride, down), BasicBlock(planes, planes)]
        self.inplanes = planes
        return nn.Sequential(*blocks)

    def features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x)))).mean((2, 3))

    def forward(self, x):
        return self.fc(self.features(x))


class Published(nn.Module):
    """A torchvision net at width 1 on RGB input (bench/published.bench.ts)."""

    def __init__(self, name):
        super().__init__()
        import torchvision
        self.net = getattr(torchvision.models, name)(weights=None, num_classes=CLASSES)
        self.head = self.net.fc if name.startswith('resnet') else self.net.classifier[2]

    def features(self, x):
        h = self.head
        out = {}
        hook = h.register_forward_hook(lambda m, i, o: out.setdefault('f', i[0]))
        self.net(x)
        hook.remove()
        return out['f']

    def forward(self, x):
        return self.net(x)


NETS = {'tiny': Tiny, 'resnet18': ResNet18, 'resnet18_w1': lambda: Published('resnet18'), 'convnext_tiny': lambda: Published('convnext_tiny')}
CHANNELS = {'resnet18_w1': 3, 'convnext_tiny': 3}   # the published nets take RGB (bench/published.bench.ts)


# ---------------------------------------------------------------- throughput

def throughput_main(argv):
    threads = int(argv[0])
    batch = int(argv[1]) if len(argv) > 1 else 32
    size = int(argv[2]) if len(argv) > 2 else 64
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    device = torch.device(os.environ.get('BENCH_TORCH_DEVICE', 'cpu'))
    state = {}

    def setup(net):
        if net not in state:
            model = NETS[net]().to(device)
            x = torch.randn(batch, CHANNELS.get(net, 1), size, size, device=device)
            y = torch.randint(0, CLASSES, (batch,), device=device)
            state[net] = (model, torch.optim.Adam(model.parameters(), lr=1e-3), x, y)
        return state[net]

    def step(net, mode):
        model, opt, x, y = setup(net)
        if mode == 'train':
            model.train()
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
        else:
            model.eval()
            with torch.no_grad():
                out = model(x) if mode.startswith('forward') else model.features(x)
                out.cpu().numpy()

    for line in sys.stdin:
        cmd = json.loads(line)
        for _ in range(cmd.get('warmup', 0)):
            step(cmd['net'], cmd['mode'])
        t0 = time.perf_counter()
        for _ in range(cmd['steps']):
            step(cmd['net'], cmd['mode'])
        dt = time.perf_counter() - t0
        print(json.dumps({'img_s': cmd['steps'] * batch / dt, 'seconds': dt, 'steps': cmd['steps'], 'threads': torch.get_num_threads()}), flush=True)


# ---------------------------------------------------------------- parity

def augment_batch(x, aug, gen):
    """The order of cellab's pipeline (src/data/augment/pipeline.ts): translate,
    hflip, vflip, quarter turns; each image drawn independently. x: N x C x H x W."""
    if not aug:
        return x
    out = x.clone()
    n, _, h, w = x.shape
    tr = aug.get('translate')
    for i in range(n):
        img = out[i]
        if tr and torch.rand((), generator=gen) < tr['p']:
            # torchvision's RandomCrop(size, padding=k, padding_mode='reflect'|'constant').
            k = tr['pixels']
            mode = 'reflect' if tr['padding'] == 'reflect' else 'constant'
            padded = F.pad(img[None], (k, k, k, k), mode=mode)[0]
            oy, ox = (int(v) for v in torch.randint(0, 2 * k + 1, (2,), generator=gen))
            img = padded[:, oy:oy + h, ox:ox + w]
        if aug.get('hflip', 0) > 0 and torch.rand((), generator=gen) < aug['hflip']:
            img = img.flip(2)
        if aug.get('vflip', 0) > 0 and torch.rand((), generator=gen) < aug['vflip']:
            img = img.flip(1)
        if aug.get('rotate90') and h == w:
            img = torch.rot90(img, int(torch.randint(0, 4, (), generator=gen)), (1, 2))
        out[i] = img
    return out


def normalize_batch(x, norm):
    if norm is None:
        return x
    if norm == 'image':
        # As cellab's normalize: image (TF's per_image_standardization).
        per = x[0].numel()
        flat = x.reshape(x.shape[0], -1)
        mean = flat.mean(1, keepdim=True)
        std = flat.std(1, unbiased=False, keepdim=True).clamp_min(1 / math.sqrt(per))
        return ((flat - mean) / std).reshape(x.shape)
    mean = torch.tensor(norm['mean'], dtype=x.dtype).reshape(1, -1, 1, 1)
    std = torch.tensor(norm['std'], dtype=x.dtype).reshape(1, -1, 1, 1)
    return (x - mean) / std


def lr_at(step, r, steps_per_epoch):
    """cellab's per-step schedule (src/train/schedules.ts): linear warm-up, then cosine or constant."""
    s = r['schedule']
    warmup = round(s.get('warmupEpochs', 0) * steps_per_epoch)
    if step < warmup:
        return r['lr'] * (step + 1) / warmup
    if s['kind'] == 'constant':
        return r['lr']
    if s['kind'] != 'cosine':
        raise SystemExit(f"schedule {s['kind']} is not implemented on the PyTorch side (cosine, constant)")
    total = r['epochs'] * steps_per_epoch
    progress = min(1, (step - warmup) / max(1, total - warmup))
    return s.get('minLr', 0) + (r['lr'] - s.get('minLr', 0)) * 0.5 * (1 + math.cos(math.pi * progress))


def evaluate(model, x, y, norm, batch=64):
    model.eval()
    logits = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits.append(model(normalize_batch(x[i:i + batch], norm)))
    logits = torch.cat(logits)
    loss = F.cross_entropy(logits, y).item()
    pred = logits.argmax(1)
    acc = (pred == y).float().mean().item()
    recalls = [(pred[y == c] == c).float().mean().item() for c in torch.unique(y)]
    return {'loss': loss, 'accuracy': acc, 'aca': sum(recalls) / len(recalls)}


def load_split(d, name):
    x = torch.from_numpy(np.load(os.path.join(d, f'{name}_x.npy'))).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(np.load(os.path.join(d, f'{name}_y.npy')).astype(np.int64))
    return x, y


def parity_main(argv):
    d, seed = argv[0], int(argv[1])
    torch.set_num_threads(int(argv[2]) if len(argv) > 2 else 1)
    r = json.load(open(os.path.join(d, 'recipe.json')))
    if r['optimizer'] != 'adam' or r.get('weightDecay') or r.get('labelSmoothing'):
        raise SystemExit('the PyTorch side implements Adam without weight decay or label smoothing only')
    (tx, ty), (vx, vy), (ex, ey) = (load_split(d, s) for s in ('train', 'val', 'test'))
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = ResNet18(width=r['width'], classes=len(r['classes']), in_ch=tx.shape[1])
    opt = torch.optim.Adam(model.parameters(), lr=r['lr'], betas=tuple(r['betas']), eps=r['eps'])
    batch = r['batchSize']
    steps_per_epoch = math.ceil(len(tx) / batch)
    norm = r['normalize']
    best, best_state, history, step = None, None, [], 0
    t0 = time.perf_counter()
    for epoch in range(1, r['epochs'] + 1):
        model.train()
        order = torch.randperm(len(tx), generator=gen)
        loss_sum = 0.0
        for i in range(0, len(tx), batch):
            idx = order[i:i + batch]
            xb = normalize_batch(augment_batch(tx[idx], r['augment'], gen), norm)
            for g in opt.param_groups:
                g['lr'] = lr_at(step, r, steps_per_epoch)
            step += 1
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), ty[idx])
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
        row = {'epoch': epoch, 'train_loss': loss_sum / len(tx)}
        if len(vx):
            v = evaluate(model, vx, vy, norm)
            row.update(val_loss=v['loss'], val_accuracy=v['accuracy'])
            # cellab's restoreBest: highest validation accuracy, ties to the lower loss.
            if r['restoreBest'] and (best is None or v['accuracy'] > best['val_accuracy']
                                     or (v['accuracy'] == best['val_accuracy'] and v['loss'] < best['val_loss'])):
                best, best_state = row, copy.deepcopy(model.state_dict())
        history.append(row)
        print(json.dumps({'progress': row}), file=sys.stderr, flush=True)
    if best_state is not None:
        model.load_state_dict(best_state)
    t = evaluate(model, ex, ey, norm)
    print(json.dumps({'seed': seed, 'accuracy': t['accuracy'], 'average_class_accuracy': t['aca'],
                      'best_epoch': best['epoch'] if best else len(history), 'history': history,
                      'seconds': time.perf_counter() - t0}), flush=True)


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == 'parity':
        parity_main(sys.argv[2:])
    else:
        throughput_main(sys.argv[1:])
