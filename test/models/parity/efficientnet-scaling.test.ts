// EfficientNet's compound scaling rule (B1..B7: channels make_divisible(c x w, 8),
// repeats ceil(n x d)): every variant has torchvision's parameter count and
// layer count. (B0 and B1 are checked weight for weight in parity.test.ts.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../../src/engine/backend';
import { createBackbone, parameterCount } from '../../../src/models/index';
import { torchPython, runPython, NO_TORCH } from '../torch-python';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

test('efficientnet-b2..b7 have torchvision\'s parameter counts and depths', (t) => {
  if (!torchPython()) { t.skip(NO_TORCH); return; }
  const ref = JSON.parse(runPython(`
import json, torchvision
out = {}
for v in range(2, 8):
    m = getattr(torchvision.models, f'efficientnet_b{v}')()
    out[v] = [sum(p.numel() for p in m.parameters()), sum(len(s) for s in m.features[1:8])]
print(json.dumps(out))`)) as Record<string, [number, number]>;
  for (const [v, [params, blocks]] of Object.entries(ref)) {
    const m = createBackbone(`efficientnet-b${v}`, { inputShape: [32, 32, 3], classes: 1000 });
    try {
      assert.equal(parameterCount(m), params, `efficientnet-b${v} parameters`);
      const ours = new Set(m.layers.map((l) => /^(stage\d+_block\d+)_/.exec(l.name)?.[1]).filter(Boolean)).size;
      assert.equal(ours, blocks, `efficientnet-b${v} MBConv blocks`);
    } finally {
      m.dispose();
    }
  }
});
