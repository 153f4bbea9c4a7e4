import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayBundle, inNotebook, newDisplayHandle } from '../../src/plots/notebook';
import { show, VEGA_LITE_MIME } from '../../src/plots/show';
import { confusionMatrixSpec } from '../../src/plots/confusion-matrix';

type Sent = { msg: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: { display_id?: string } }; update: boolean };

test('outside a kernel: inNotebook() is false and displayBundle says what to do instead', () => {
  assert.equal(inNotebook(), false);
  assert.throws(() => displayBundle({ 'text/plain': 'x' }), /not inside a running tslab kernel.*writePlot/);
});

test('inside tslab: one bundle per plot, and handles overwrite their output in place', async () => {
  // tslab's real kernel module; the kernel sets lastWriteDisplayData when a cell runs.
  const kernel = require('tslab/dist/jupyter.js');
  const sent: Sent[] = [];
  kernel.lastWriteDisplayData = (msg: Sent['msg'], update: boolean) => sent.push({ msg, update });
  try {
    assert.equal(inNotebook(), true);
    const spec = confusionMatrixSpec({ matrix: [[3, 1], [0, 4]], classNames: ['neg', 'pos'] });
    await show(spec);
    assert.equal(sent.length, 1, 'one display message');
    const data = sent[0].msg.data;
    assert.deepEqual(Object.keys(data).sort(), [VEGA_LITE_MIME, 'image/png', 'text/plain'].sort());
    assert.equal((data[VEGA_LITE_MIME] as { $schema: string }).$schema, 'https://vega.github.io/schema/vega-lite/v5.json');
    // A PNG drawn at twice the plot's size, shown at its size.
    const png = Buffer.from(data['image/png'] as string, 'base64');
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    const { width, height } = sent[0].msg.metadata['image/png'] as { width: number; height: number };
    assert.ok(width > 100 && height > 100, `shown at ${width}x${height}`);
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [2 * width, 2 * height]);
    assert.equal(data['text/plain'], '<Confusion matrix: Vega-Lite plot>');
    assert.equal(sent[0].update, false);

    const h = newDisplayHandle();
    h.update({ 'text/plain': 'epoch 1/3' });
    h.update({ 'text/plain': 'epoch 2/3' });
    assert.deepEqual(sent.slice(1).map((s) => [s.msg.transient.display_id, s.update, s.msg.data['text/plain']]), [
      [h.id, false, 'epoch 1/3'],
      [h.id, true, 'epoch 2/3'],
    ]);
  } finally {
    kernel.lastWriteDisplayData = null;
  }
});
