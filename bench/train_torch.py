# PyTorch side of bench/train.bench.ts: the same networks as cellab's
# small-cnn (width 1) and resnet18 (default width 0.25), NCHW float32, Adam.
# A line protocol so the bench can alternate it with cellab in one run:
#   stdin  {"net": "tiny"|"resnet18", "mode": "train"|"forward"|"features", "steps": n, "warmup": k}
#   stdout {"img_s": ..., "seconds": ..., "steps": n}
# Usage: /usr/bin/python3 bench/train_torch.py THREADS [BATCH] [SIZE]
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

THREADS = int(sys.argv[1])
BATCH = int(sys.argv[2]) if len(sys.argv) > 2 else 32
SIZE = int(sys.argv[3]) if len(sys.argv) > 3 else 64
CLASSES = 6
torch.set_num_threads(THREADS)
torch.manual_seed(0)


class Tiny(nn.Module):
    """conv16-pool-conv32-pool-conv64-GAP-dense6 (3x3 'same' convs with bias, ReLU)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.c3 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64, CLASSES)

    def features(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return F.relu(self.c3(x)).mean((2, 3))

    def forward(self, x):
        return self.fc(self.features(x))


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ResNet18(nn.Module):
    """torchvision's resnet18 layout at width 0.25 (16-32-64-128), as cellab's resnet18 with width: 0.25."""

    def __init__(self, width=0.25):
        super().__init__()
        w = [int(64 * width * 2 ** s) for s in range(4)]
        self.stem = nn.Sequential(nn.Conv2d(1, w[0], 7, 2, 3, bias=False), nn.BatchNorm2d(w[0]), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        blocks, cin = [], w[0]
        for s, c in enumerate(w):
            for i in range(2):
                blocks.append(Basic(cin, c, 2 if i == 0 and s > 0 else 1))
                cin = c
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, CLASSES)

    def features(self, x):
        return self.blocks(self.stem(x)).mean((2, 3))

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
CHANNELS = {'resnet18_w1': 3, 'convnext_tiny': 3}
state = {}


def setup(net):
    if net not in state:
        model = NETS[net]()
        x = torch.randn(BATCH, CHANNELS.get(net, 1), SIZE, SIZE)
        y = torch.randint(0, CLASSES, (BATCH,))
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
            out = model(x) if mode == 'forward' else model.features(x)
            out.numpy()


for line in sys.stdin:
    cmd = json.loads(line)
    for _ in range(cmd.get('warmup', 0)):
        step(cmd['net'], cmd['mode'])
    t0 = time.perf_counter()
    for _ in range(cmd['steps']):
        step(cmd['net'], cmd['mode'])
    dt = time.perf_counter() - t0
    print(json.dumps({'img_s': cmd['steps'] * BATCH / dt, 'seconds': dt, 'steps': cmd['steps'], 'threads': torch.get_num_threads()}), flush=True)
