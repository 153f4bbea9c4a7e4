// Channel selection: the model sees grey, RGB, or one colour channel
// (e.g. only green for protein images, where green holds the protein).
import type { RawImage } from '../decode/index';

export type ChannelChoice = 'gray' | 'rgb' | 'red' | 'green' | 'blue';

export function channelCount(channels: ChannelChoice): 1 | 3 {
  return channels === 'rgb' ? 3 : 1;
}

/**
 * Pick the configured channels out of an interleaved image (alpha is dropped).
 * Grey from colour is ITU-R BT.601 luma (as PIL's convert('L'), bit-exact for
 * 8 bit); a grey source gives the same value for every choice.
 */
export function selectChannels(raw: RawImage, want: ChannelChoice): Uint8Array | Uint16Array {
  const { data, width, height, channels } = raw;
  const n = width * height;
  const outC = channelCount(want);
  const out = raw.bitDepth === 16 ? new Uint16Array(n * outC) : new Uint8Array(n * outC);
  const colour = channels >= 3;
  if (!colour && outC === 1 && channels === 1) {
    out.set(data);
    return out;
  }
  if (want === 'rgb') {
    for (let i = 0, p = 0; i < n; i++, p += channels) {
      out[i * 3] = data[p];
      out[i * 3 + 1] = colour ? data[p + 1] : data[p];
      out[i * 3 + 2] = colour ? data[p + 2] : data[p];
    }
  } else if (want === 'gray') {
    if (!colour) for (let i = 0, p = 0; i < n; i++, p += channels) out[i] = data[p];
    else if (raw.bitDepth === 8) {
      // PIL's fixed-point luma (bit-exact with convert('L')).
      for (let i = 0, p = 0; i < n; i++, p += channels) out[i] = (data[p] * 19595 + data[p + 1] * 38470 + data[p + 2] * 7471 + 0x8000) >> 16;
    } else {
      for (let i = 0, p = 0; i < n; i++, p += channels) out[i] = Math.round(0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2]);
    }
  } else {
    const c = colour ? (want === 'red' ? 0 : want === 'green' ? 1 : 2) : 0;
    for (let i = 0, p = c; i < n; i++, p += channels) out[i] = data[p];
  }
  return out;
}

/** Interleave single-channel planes (e.g. HPA's `_red`, `_green`, `_blue` files) into one RGB image. */
export function interleavePlanes(planes: (Uint8Array | Uint16Array)[], bitDepth: 8 | 16): Uint8Array | Uint16Array {
  const n = planes[0].length;
  const c = planes.length;
  const out = bitDepth === 16 ? new Uint16Array(n * c) : new Uint8Array(n * c);
  for (let k = 0; k < c; k++) {
    const p = planes[k];
    for (let i = 0; i < n; i++) out[i * c + k] = p[i];
  }
  return out;
}
