// The self-supervised views' colour and blur steps match torchvision's
// functional ops (Debian's python3-torchvision is the oracle), and a gray
// image passes the RGB-only steps unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { adjustHue, adjustSaturation, solarize, toGrayscale } from '../../../src/data/augment/colour';
import { gaussianBlur } from '../../../src/data/augment/blur';
import { makeAugmenter } from '../../../src/data/augment/pipeline';
import { resolveDatasetConfig } from '../../../src/data/load';
import { Random } from '../../../src/engine/random';
import type { AugmentConfig } from '../../../src/data/schema';

const h = 7, w = 9;
const rgb = Float32Array.from({ length: h * w * 3 }, (_, i) => ((i * 37) % 101) / 100);
const img = { data: rgb, h, w, c: 3 };

const ORACLE = `
import json, sys, torch
import torchvision.transforms.functional as F
q = json.load(sys.stdin)
x = torch.tensor(q['x'], dtype=torch.float32).reshape(q['h'], q['w'], 3).permute(2, 0, 1)
out = {
  'gray': F.rgb_to_grayscale(x, 3),
  'sat': F.adjust_saturation(x, 0.4),
  'sat2': F.adjust_saturation(x, 1.7),
  'hue': F.adjust_hue(x, 0.13),
  'hue_neg': F.adjust_hue(x, -0.31),
  'sol': F.solarize(x, 0.5),
  'blur': F.gaussian_blur(x, [7, 7], [0.7, 0.7]),
  'blur_wide': F.gaussian_blur(x, [11, 11], [1.6, 1.6]),
}
print(json.dumps({k: v.permute(1, 2, 0).reshape(-1).tolist() for k, v in out.items()}))
`;

function torchvision(): Record<string, number[]> {
  const r = spawnSync('/usr/bin/python3', ['-c', ORACLE], { input: JSON.stringify({ x: Array.from(rgb), h, w }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torchvision oracle failed (is python3-torchvision installed?): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function close(got: Float32Array, want: number[], what: string, tol = 1e-5): void {
  assert.equal(got.length, want.length, what);
  let worst = 0;
  got.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - want[i])); });
  assert.ok(worst < tol, `${what}: max difference ${worst}`);
}

test('grayscale, saturation, hue, solarize and Gaussian blur match torchvision', () => {
  const t = torchvision();
  close(toGrayscale(img), t.gray, 'grayscale');
  close(adjustSaturation(img, 0.4), t.sat, 'saturation 0.4');
  close(adjustSaturation(img, 1.7), t.sat2, 'saturation 1.7');
  close(adjustHue(img, 0.13), t.hue, 'hue +0.13', 1e-4);
  close(adjustHue(img, -0.31), t.hue_neg, 'hue -0.31', 1e-4);
  close(solarize(rgb, 0.5), t.sol, 'solarize');
  // Kernel radius ceil(3 sigma): 0.7 -> 7x7, 1.6 -> 11x11 (wider than the 9x7 image: reflected twice).
  close(gaussianBlur(img, 0.7), t.blur, 'blur sigma 0.7');
  close(gaussianBlur(img, 1.6), t.blur_wide, 'blur sigma 1.6');
});

test('a gray image passes saturation, hue and grayscale unchanged; blur keeps its mean', () => {
  const gray = { data: Float32Array.from({ length: 25 }, (_, i) => (i % 5) / 4), h: 5, w: 5, c: 1 };
  assert.deepEqual(adjustSaturation(gray, 0), gray.data);
  assert.deepEqual(adjustHue(gray, 0.4), gray.data);
  assert.deepEqual(toGrayscale(gray), gray.data);
  const blurred = gaussianBlur(gray, 1);
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(blurred) - mean(gray.data)) < 0.05);
  assert.ok(blurred[0] > 0 && blurred[4] < 1, 'edges smoothed');
});

test('a config without the new steps draws the same random numbers as before they existed', () => {
  const cfg = (a: Record<string, unknown>) => resolveDatasetConfig({ augment: a }).augment as AugmentConfig;
  const run = (c: AugmentConfig) => {
    const x = Float32Array.from(rgb);
    makeAugmenter(c)({ x, y: new Float32Array(2), labels: Int32Array.from([0]), n: 1, shape: [h, w, 3], numClasses: 2 }, new Random(5));
    return x;
  };
  // Brightness then contrast, one draw each (jitterP 1 draws nothing): the order of the original pipeline.
  const rng = new Random(5);
  const b = rng.uniform(0.7, 1.3), c = rng.uniform(0.8, 1.2);
  const expect = Float32Array.from(rgb, (v) => Math.min(1, v * b));
  const m = expect.reduce((s, v) => s + v, 0) / expect.length;
  close(run(cfg({ brightness: 0.3, contrast: 0.2 })), Array.from(expect, (v) => Math.min(1, Math.max(0, m + (v - m) * c))), 'brightness + contrast');
  // With every new step on, the image changes and stays in 0..1.
  const all = run(cfg({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, jitterP: 0.99, grayscale: 0.5, blur: { p: 1 }, solarize: { p: 1 } }));
  assert.ok(all.some((v, i) => Math.abs(v - rgb[i]) > 1e-3));
  assert.ok(all.every((v) => v >= 0 && v <= 1));
});
