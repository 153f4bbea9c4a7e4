// The bridge to the tslab kernel. tslab's kernel module (tslab/dist/jupyter.js) holds the
// current cell's display writer in `lastWriteDisplayData`; we find that module in
// require.cache (so requiring this file outside a kernel loads nothing) and send whole
// MIME bundles through it, which tslab's own `display` cannot (one MIME type per message).
import { randomBytes } from 'node:crypto';

type WriteDisplayData = (msg: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: { display_id?: string } }, update: boolean) => void;

function displayWriter(): WriteDisplayData | undefined {
  for (const key of Object.keys(require.cache)) {
    if (!key.replace(/\\/g, '/').endsWith('tslab/dist/jupyter.js')) continue;
    const write = require.cache[key]?.exports?.lastWriteDisplayData;
    if (typeof write === 'function') return write;
  }
  return undefined;
}

/** True inside a running tslab kernel (a cell has started executing). */
export function inNotebook(): boolean {
  return displayWriter() !== undefined;
}

/**
 * Sends one display_data message with every MIME type in `data` (the front end picks the
 * richest it can show). With a displayId and update=true it overwrites that output in place.
 * JSON MIME types (application/*+json) take objects; the rest take strings (images base64).
 * `metadata` per MIME type, e.g. {'image/png': {width, height}}: the size to show it at.
 */
export function displayBundle(data: Record<string, string | object>, o: { displayId?: string; update?: boolean; metadata?: Record<string, unknown> } = {}): void {
  const write = displayWriter();
  if (!write) {
    throw new Error('displayBundle: not inside a running tslab kernel (tslab/dist/jupyter.js is not loaded). Outside notebooks, save plots with writePlot(spec, "plot.svg").');
  }
  write({ data, metadata: o.metadata ?? {}, transient: o.displayId ? { display_id: o.displayId } : {} }, o.update ?? false);
}

/** An output that each update() overwrites in place (e.g. live training progress). */
export function newDisplayHandle(): { id: string; update(data: Record<string, string | object>): void } {
  const id = randomBytes(8).toString('hex');
  let shown = false;
  return {
    id,
    update(data) {
      displayBundle(data, { displayId: id, update: shown });
      shown = true;
    },
  };
}
