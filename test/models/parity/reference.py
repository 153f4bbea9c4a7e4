# The reference side of the weight-import parity tests: builds a published
# architecture in PyTorch (torchvision, or a re-implementation of a timm layout
# in timm_ref.py), gives it random but well-scaled weights (batch-norm
# statistics from a forward pass in training mode, then random affine and
# layer-scale values, so eps and every parameter matter), and writes
#   model.pth          torch.save(state_dict)
#   model.safetensors  written by hand: 8-byte header length + JSON + raw f32
#   input.npy          a fixed NCHW float32 input
#   logits.json        the eval-mode logits on it (and PyTorch's own float32
#                      error on them, against float64: the noise floor)
# usage: reference.py ARCH SIZE OUT [BATCH]
import json, os, struct, sys
import numpy as np
import torch
import torchvision

torch.set_num_threads(1)
arch, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 2
torch.manual_seed(0)

def build(name):
    if name.startswith('timm_'):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import timm_ref
        fn = getattr(timm_ref, name[5:])
        return fn(size) if name.startswith('timm_coatnet') else fn()
    kw = {}
    if name in ('googlenet', 'inception_v3'):
        kw = dict(aux_logits=True, init_weights=True, transform_input=False)
    if name == 'vit_b_16':
        kw = dict(image_size=size)
    return getattr(torchvision.models, name)(weights=None, **kw)

model = build(arch)
norms = (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)
with torch.no_grad():
    # Random affine and layer-scale values first, then the statistics: calibrated the
    # other way round, later layers' statistics would not fit and activations grow.
    for name, p in model.named_parameters():
        leaf = name.split('.')[-1]
        if leaf in ('layer_scale', 'gamma') or name.endswith('ls1.gamma') or name.endswith('ls2.gamma'):
            p.uniform_(0.1, 0.5)
        elif leaf in ('class_token', 'cls_token', 'pos_embedding', 'relative_position_bias_table'):
            p.normal_(0, 0.2)
    for m in model.modules():
        # Zero-initialised layers (torchvision's ViT head) would make the logits 0 and the test vacuous.
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)) and not m.weight.any():
            m.weight.normal_(0, m.weight[0].numel() ** -0.5)
        if isinstance(m, norms + (torch.nn.LayerNorm,)) or type(m).__name__ == 'LayerNorm2d':
            if getattr(m, 'weight', None) is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
        if isinstance(m, norms):
            m.reset_running_stats()
            m.momentum = None           # cumulative: the statistics of the calibration batch
    # Batch norms in training mode only: dropout / stochastic depth stay off, or the
    # statistics would be of a thinned net and eval-mode activations would blow up.
    model.eval()
    for m in model.modules():
        if isinstance(m, norms):
            m.train()
    # ... on the test input itself plus more of its kind, so eval-mode activations stay
    # well scaled through every block (a few values per channel in the last stages otherwise).
    x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(1))
    model(torch.cat([x, torch.randn(16 - batch, 3, size, size)]))
model.eval()
with torch.no_grad():
    logits = model(x)
sd = {k: v.clone() for k, v in model.state_dict().items()}
with torch.no_grad():
    # PyTorch's own float32 rounding error on this net (vs float64): the noise floor of the comparison.
    f32_error = (logits.double() - model.double()(x.double())).abs().max().item()
os.makedirs(out, exist_ok=True)
torch.save(sd, os.path.join(out, 'model.pth'))
codes = {torch.float32: 'F32', torch.int64: 'I64'}
header, blobs, off = {}, [], 0
for k, v in sd.items():
    b = v.contiguous().numpy().tobytes()
    header[k] = {'dtype': codes[v.dtype], 'shape': list(v.shape), 'data_offsets': [off, off + len(b)]}
    blobs.append(b)
    off += len(b)
h = json.dumps(header).encode()
with open(os.path.join(out, 'model.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', len(h)))
    f.write(h)
    f.write(b''.join(blobs))
np.save(os.path.join(out, 'input.npy'), x.numpy().astype(np.float32))
# Parameters of the net cellab builds: auxiliary classifiers (dropped at inference) not counted.
aux = ('aux1.', 'aux2.', 'AuxLogits.')
json.dump({'logits': logits.tolist(), 'f32_error': f32_error, 'params': sum(p.numel() for n, p in model.named_parameters() if not n.startswith(aux))}, open(os.path.join(out, 'logits.json'), 'w'))
