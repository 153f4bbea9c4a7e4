// Golden specs of the patient-level plots: the gate per patient and a bag's
// gallery (test/plots/golden/<name>.vl.json; regenerate with
// CELLAB_UPDATE_GOLDEN=1 node test/run.cjs test/plots/bags.test.ts and review the diff).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import path from 'node:path';
import { gateSpec, type GateRow } from '../../src/plots/gate';
import { bagGallerySpec } from '../../src/plots/bag-gallery';
import { renderPng, renderSvg } from '../../src/plots/render';
import type { VegaLiteSpec } from '../../src/plots/spec';

const patients: GateRow[] = [
  { bag: 'P1', label: 'malignant', pi: 0.91, score: 0.97, yImage: 0.99, yMeta: 0.6, correct: true },
  { bag: 'P2', label: 'reactive', pi: 0.12, score: 0.2, yImage: 0.7, yMeta: 0.12, correct: true },
  { bag: 'P3', label: 'malignant', pi: 0.35, score: 0.41, yImage: 0.2, yMeta: 0.52, correct: false },
  { bag: 'P4', label: 'reactive', pi: 0.66666, score: 0.3, correct: true },
];
// A 2x2 red/white PNG as a data URI: the spec carries its images.
const PIXEL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAF0lEQVR4nGM4ISf3//9/hv///5+QkwMAOXAIA5fJekUAAAAASUVORK5CYII=';
const cells = [0.4, 0.25, 0.2, 0.1, 0.05].map((weight, i) => ({ id: `P1/00000${i}`, url: PIXEL, weight }));

const cases: Record<string, () => VegaLiteSpec> = {
  gate: () => gateSpec(patients, { title: 'Gate weight per patient (test)' }),
  'bag-gallery': () => bagGallerySpec(cells, { title: 'Patient P1: the 5 most-attended cells', subtitle: 'label malignant', columns: 3, size: 48, weightName: 'a' }),
};
const golden = (name: string) => path.join(__dirname, 'golden', `${name}.vl.json`);

for (const [name, build] of Object.entries(cases)) {
  test(`${name} spec matches its golden file and renders`, async () => {
    const spec = JSON.parse(JSON.stringify(build()));
    if (process.env.CELLAB_UPDATE_GOLDEN) writeFileSync(golden(name), JSON.stringify(spec, null, 2) + '\n');
    assert.deepEqual(spec, JSON.parse(readFileSync(golden(name), 'utf8')));
    assert.match(await renderSvg(spec), /^<svg/);
  });
}

test('the gate plot sorts patients by pi, marks the misclassified and says what pi is', async () => {
  const spec = gateSpec(patients) as unknown as { data: { values: { bag: string; outcome: string }[] } };
  assert.deepEqual(spec.data.values.map((v) => v.bag), ['P1', 'P4', 'P3', 'P2']);
  assert.equal(spec.data.values.find((v) => v.bag === 'P3')!.outcome, 'misclassified');
  const svg = await renderSvg(gateSpec(patients));
  assert.ok(svg.includes('pi = weight of the image expert (1 - pi: clinical data); 4 patients, mean pi 0.51'));
  assert.ok(svg.includes('>misclassified</text>'));
  assert.throws(() => gateSpec([{ bag: 'P9', label: 'x', pi: 1.2 }]), /patient P9 has pi 1\.2; a gate weight lies in 0\.\.1/);
  assert.throws(() => gateSpec([]), /no patients/);
});

test('the gallery embeds its images and captions them by rank and weight; its PNG shows them', async () => {
  const svg = await renderSvg(cases['bag-gallery']());
  assert.equal(svg.match(/<image /g)?.length, 5);
  assert.ok(svg.includes('>#1 a=0.4</text>') && svg.includes('>#5 a=0.05</text>'));
  // The cells are drawn in the PNG: red pixels (200, 30, 30) where the images are.
  const { data, info } = await sharp(await renderPng(cases['bag-gallery']())).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let red = 0;
  for (let i = 0; i < data.length; i += info.channels) if (data[i] > 150 && data[i + 1] < 80 && data[i + 2] < 80) red++;
  assert.ok(red > 5 * 100, `${red} red pixels`);
  assert.throws(() => bagGallerySpec([]), /no images/);
});
