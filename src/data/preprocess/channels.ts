// Channel selection: the model sees grey, RGB, one colour channel (e.g. only
// green for protein images, where green holds the protein), or a list of
// stains in the order given (HPA: [green, red, blue, yellow]). In one file the
// stains are its channels in the order red, green, blue, yellow (a 4-channel
// TIFF); per-stain files (dataset.channelFiles) hold one each.
import type { RawImage } from '../decode/index';

export type Stain = 'red' | 'green' | 'blue' | 'yellow';
/** Stains in the order they are a file's channels. */
export const STAINS: readonly Stain[] = ['red', 'green', 'blue', 'yellow'];
export type ChannelChoice = 'gray' | 'rgb' | Stain | Stain[];

export function channelCount(channels: ChannelChoice): number {
  return Array.isArray(channels) ? channels.length : channels === 'rgb' ? 3 : 1;
}

/** The stains a choice reads, in tensor channel order (undefined: grey/luma). */
export function stainList(channels: ChannelChoice): Stain[] | undefined {
  if (Array.isArray(channels)) return channels;
  if (channels === 'rgb') return ['red', 'green', 'blue'];
  return channels === 'gray' ? undefined : [channels];
}

/** How a choice is written in messages: `[green, red, blue, yellow]`, `rgb`. */
export function describeChannels(channels: ChannelChoice): string {
  return Array.isArray(channels) ? `[${channels.join(', ')}]` : channels;
}

/**
 * Why a decoded file cannot give the stains asked for (undefined when it can). A grey file
 * holds one stain (any single stain reads its grey values); colour files hold red, green,
 * blue and, with 4 channels, yellow.
 */
export function channelProblem(raw: Pick<RawImage, 'channels'>, want: ChannelChoice): string | undefined {
  const stains = stainList(want);
  if (!stains || !Array.isArray(want)) {
    if (want === 'yellow' && raw.channels < 4) return `has ${raw.channels} channel(s); yellow is the 4th channel of a file: give per-stain files (dataset.channelFiles.yellow)`;
    return undefined;
  }
  if (raw.channels < 3) {
    return new Set(stains).size > 1 ? `is a one-channel (grey) image but image.channels lists ${describeChannels(want)}: one file holds several stains only as its colour channels; give one file per stain with dataset.channelFiles` : undefined;
  }
  if (stains.includes('yellow') && raw.channels < 4) {
    return `has ${raw.channels} channels (red, green, blue) but image.channels lists yellow (the 4th): give per-stain files with dataset.channelFiles, or drop yellow`;
  }
  return undefined;
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
  if (Array.isArray(want)) {
    // Stains by their channel in the file (a grey file gives its one channel for each).
    const src = want.map((s) => (colour ? STAINS.indexOf(s) : 0));
    for (let i = 0, p = 0; i < n; i++, p += channels) for (let k = 0; k < outC; k++) out[i * outC + k] = data[p + src[k]];
    return out;
  }
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
    const c = colour ? STAINS.indexOf(want) : 0;
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
