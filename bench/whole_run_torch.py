# PyTorch side of bench/whole-run.bench.ts: one trial of a cellab experiment,
# end to end, written the usual PyTorch way, from the same files on disk.
#
#   Usage: /usr/bin/python3 bench/whole_run_torch.py RECIPE.json
#
# RECIPE.json (written by the bench from cellab's resolved config and its split):
#   {"threads", "seed", "out", "classes", "size", "mask", "items": {"train"|"val"|"test": [[image, mask, class]]},
#    "backbone": "small-cnn"|"resnet18", "width", "dropout", "epochs", "batchSize", "optimizer": "adam"|"adamw",
#    "lr", "weightDecay", "schedule", "labelSmoothing", "classWeights": [..] | null, "augment": {...} | null,
#    "tta": "none"|"flips", "normalize": false | "train" | {"mean", "std"}}
# What it does, as cellab's trial does: decode each PNG and its mask (PIL), grey, zero
# outside the mask, fit inside a size x size square (centred, zero padding), normalise
# as the recipe's dataset.normalize says (false: pixels stay in 0..1, cellab's default;
# train: the training split's mean/std); train with the recipe's optimizer, warm-up +
# cosine schedule, class weights, label smoothing and augmentation; validation loss
# and accuracy every epoch; keep the best epoch (val accuracy, then loss); evaluate
# the test split (with TTA); write predictions.csv, metrics.json and the best
# checkpoint into `out`. Prints one JSON line: {"seconds": wall, "accuracy": ...}.
import json
import math
import os
import sys
import time

T0 = time.perf_counter()  # before `import torch`: its import is part of a PyTorch run

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms.functional as TF
from torchvision import transforms
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_torch import ResNet18, lr_at  # noqa: E402  (same nets and schedule as the other benches)


class SmallCnn(nn.Module):
    """cellab's small-cnn: conv(16w)-pool-conv(32w)-pool-conv(64w), 3x3 'same' + ReLU, GAP, dropout, dense.
    Initialised as cellab's (src/models/small-cnn.ts, Keras' defaults): Glorot-uniform weights, zero
    biases; not PyTorch's default kaiming_uniform(a=sqrt 5) + uniform biases, with which the
    quickstart's unnormalised pixels train to ~0.74 test accuracy instead of ~0.9."""

    def __init__(self, width, classes, dropout):
        super().__init__()
        c = [int(n * width) for n in (16, 32, 64)]
        self.c1 = nn.Conv2d(1, c[0], 3, padding=1)
        self.c2 = nn.Conv2d(c[0], c[1], 3, padding=1)
        self.c3 = nn.Conv2d(c[1], c[2], 3, padding=1)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(c[2], classes)
        for m in (self.c1, self.c2, self.c3, self.fc):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.fc(self.drop(F.relu(self.c3(x)).mean((2, 3))))


class ResNetHead(nn.Module):
    def __init__(self, width, classes, dropout):
        super().__init__()
        self.net = ResNet18(width=width, classes=classes, in_ch=1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        x = n.layer4(n.layer3(n.layer2(n.layer1(x))))
        return n.fc(self.drop(x.mean((2, 3))))


def load_item(image, mask, size, use_mask):
    """Grey, masked, padded to a square: cellab's dataset.image {resize: pad, channels: gray, mask}."""
    img = Image.open(image).convert('L')
    if use_mask and mask:
        m = np.asarray(Image.open(mask).convert('L')) > 127
        img = Image.fromarray(np.where(m, np.asarray(img), 0).astype(np.uint8))
    w, h = img.size
    s = size / max(w, h)
    fw, fh = max(1, round(w * s)), max(1, round(h * s))
    img = img.resize((fw, fh), Image.BILINEAR)
    out = Image.new('L', (size, size))
    out.paste(img, ((size - fw) // 2, (size - fh) // 2))
    return np.asarray(out, dtype=np.float32) / 255


def load_split(items, r):
    x = np.stack([load_item(i, m, r['size'], r['mask']) for i, m, _ in items]) if items else np.zeros((0, r['size'], r['size']), np.float32)
    return torch.from_numpy(x)[:, None], torch.tensor([c for _, _, c in items], dtype=torch.int64)


def normalization(cfg, tx):
    """(mean, std) of dataset.normalize: false = none (0..1 pixels), train = the training split's, or given."""
    if cfg is False:
        return torch.tensor(0.0), torch.tensor(1.0)
    if cfg == 'train':
        std = tx.std(unbiased=False)
        return tx.mean(), std if std > 0 else torch.tensor(1.0)
    if isinstance(cfg, dict):
        first = lambda v: float(v[0] if isinstance(v, list) else v)  # noqa: E731  (grey: one channel)
        return torch.tensor(first(cfg['mean'])), torch.tensor(first(cfg['std']))
    raise SystemExit(f"dataset.normalize {cfg!r}: the PyTorch side has false, train and {{mean, std}}")


def augment(x, a, gen):
    """torchvision's order, as cellab's pipeline: flips, quarter turns, resized crop, brightness, contrast, erasing."""
    if not a:
        return x
    out = torch.empty_like(x)
    n, _, h, w = x.shape
    rnd = lambda: float(torch.rand((), generator=gen))  # noqa: E731
    erase = transforms.RandomErasing(p=1.0, scale=tuple(a['erasing'].get('scale', (0.02, 0.33))), ratio=tuple(a['erasing'].get('ratio', (0.3, 3.3)))) if a.get('erasing') else None
    for k in range(n):
        img = x[k]
        if a.get('hflip', 0) > 0 and rnd() < a['hflip']:
            img = img.flip(2)
        if a.get('vflip', 0) > 0 and rnd() < a['vflip']:
            img = img.flip(1)
        if a.get('rotate90'):
            img = torch.rot90(img, int(torch.randint(0, 4, (), generator=gen)), (1, 2))
        if a.get('crop') and rnd() < a['crop'].get('p', 1):
            i, j, ch, cw = transforms.RandomResizedCrop.get_params(img, tuple(a['crop']['scale']), tuple(a['crop'].get('ratio', (3 / 4, 4 / 3))))
            img = TF.resized_crop(img, i, j, ch, cw, [h, w], antialias=False)
        if a.get('brightness'):
            img = TF.adjust_brightness(img, 1 + (2 * rnd() - 1) * a['brightness'])
        if a.get('contrast'):
            img = TF.adjust_contrast(img, 1 + (2 * rnd() - 1) * a['contrast'])
        if erase is not None and rnd() < a['erasing']['p']:
            img = erase(img)
        out[k] = img
    return out


VIEWS = {
    'none': [lambda x: x],
    'flips': [lambda x: x, lambda x: x.flip(3), lambda x: x.flip(2), lambda x: x.flip(2).flip(3)],
}


def scores(model, x, norm, tta='none', batch=64):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = (x[i:i + batch] - norm[0]) / norm[1]
            out.append(torch.stack([F.softmax(model(v(xb)), 1) for v in VIEWS[tta]]).mean(0))
    return torch.cat(out) if out else torch.zeros((0, 1))


def metrics(p, y, k):
    pred = p.argmax(1)
    recalls = [(pred[y == c] == c).float().mean().item() for c in range(k) if (y == c).any()]
    f1s = []
    for c in range(k):
        tp = ((pred == c) & (y == c)).sum().item()
        fp = ((pred == c) & (y != c)).sum().item()
        fn = ((pred != c) & (y == c)).sum().item()
        f1s.append(2 * tp / max(1, 2 * tp + fp + fn))
    return {'accuracy': (pred == y).float().mean().item(), 'average_class_accuracy': sum(recalls) / max(1, len(recalls)),
            'macro_f1': sum(f1s) / k, 'loss': F.nll_loss(p.clamp_min(1e-7).log(), y).item() if len(y) else float('nan')}


def main(path):
    r = json.load(open(path))
    torch.set_num_threads(r['threads'])
    torch.manual_seed(r['seed'])
    gen = torch.Generator().manual_seed(r['seed'])
    k = len(r['classes'])
    t_load = time.perf_counter()
    (tx, ty), (vx, vy), (ex, ey) = (load_split(r['items'][s], r) for s in ('train', 'val', 'test'))
    norm = normalization(r['normalize'], tx)
    t_train = time.perf_counter()
    if r['backbone'] == 'small-cnn':
        model = SmallCnn(r['width'], k, r['dropout'])
    elif r['backbone'] == 'resnet18':
        model = ResNetHead(r['width'], k, r['dropout'])
    else:
        raise SystemExit(f"backbone {r['backbone']}: the PyTorch side has small-cnn and resnet18")
    Opt = torch.optim.AdamW if r['optimizer'] == 'adamw' else torch.optim.Adam
    if r['optimizer'] not in ('adam', 'adamw'):
        raise SystemExit(f"optimizer {r['optimizer']}: the PyTorch side has adam and adamw")
    opt = Opt(model.parameters(), lr=r['lr'], weight_decay=r['weightDecay'] or 0)
    weight = torch.tensor(r['classWeights'], dtype=torch.float32) if r['classWeights'] else None
    batch, steps_per_epoch = r['batchSize'], math.ceil(len(tx) / r['batchSize'])
    best, best_state, history, step = None, None, [], 0
    os.makedirs(r['out'], exist_ok=True)
    for epoch in range(1, r['epochs'] + 1):
        model.train()
        order = torch.randperm(len(tx), generator=gen)
        total = 0.0
        for i in range(0, len(tx), batch):
            idx = order[i:i + batch]
            xb = (augment(tx[idx], r['augment'], gen) - norm[0]) / norm[1]
            for g in opt.param_groups:
                g['lr'] = lr_at(step, r, steps_per_epoch)
            step += 1
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), ty[idx], weight=weight, label_smoothing=r['labelSmoothing'] or 0)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        v = metrics(scores(model, vx, norm), vy, k)
        row = {'epoch': epoch, 'train/loss': total / len(tx), 'val/loss': v['loss'], 'val/accuracy': v['accuracy']}
        history.append(row)
        if best is None or v['accuracy'] > best['val/accuracy'] or (v['accuracy'] == best['val/accuracy'] and v['loss'] < best['val/loss']):
            best, best_state = row, {n: t.clone() for n, t in model.state_dict().items()}
    model.load_state_dict(best_state)
    torch.save(best_state, os.path.join(r['out'], 'checkpoint.pt'))
    t_eval = time.perf_counter()
    p = scores(model, ex, norm, r['tta'])
    m = metrics(p, ey, k)
    with open(os.path.join(r['out'], 'predictions.csv'), 'w') as f:
        f.write('index,label,' + ','.join(r['classes']) + '\n')
        for i in range(len(ey)):
            f.write(f"{i},{r['classes'][ey[i]]}," + ','.join(f'{v:.6f}' for v in p[i].tolist()) + '\n')
    result = {'test': m, 'history': history, 'best_epoch': best['epoch']}
    json.dump(result, open(os.path.join(r['out'], 'metrics.json'), 'w'))
    end = time.perf_counter()
    print(json.dumps({'seconds': end - T0, 'load_s': t_train - t_load, 'train_s': t_eval - t_train, 'eval_s': end - t_eval,
                      'accuracy': m['accuracy'], 'average_class_accuracy': m['average_class_accuracy'], 'best_epoch': best['epoch'], 'val_accuracy': best['val/accuracy'],
                      'threads': torch.get_num_threads()}), flush=True)


if __name__ == '__main__':
    main(sys.argv[1])
