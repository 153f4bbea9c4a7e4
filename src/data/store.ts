// Prepared pixels of a list of items, in memory or read from a cache pack on
// demand (streaming: a large set never sits in memory whole).
import type { PackEntry, PackReader } from './cache/pack';

type Slot =
  | { pixels: Uint8Array | Uint16Array; bitDepth: 8 | 16; mean: number }
  | { reader: PackReader; entry: PackEntry };

export class PixelStore {
  private readonly slots: Slot[] = [];
  private readonly readers = new Set<PackReader>();
  private onClose: (() => void)[] = [];

  constructor(
    /** size x size x channels of every item. */
    readonly shape: [number, number, number],
    /** true: samples are read from the cache file per batch. */
    readonly streaming: boolean,
  ) {}

  get count(): number {
    return this.slots.length;
  }

  get samplesPerItem(): number {
    return this.shape[0] * this.shape[1] * this.shape[2];
  }

  addPixels(pixels: Uint8Array | Uint16Array, bitDepth: 8 | 16, mean: number): number {
    this.check(pixels.length);
    this.slots.push({ pixels, bitDepth, mean });
    return this.slots.length - 1;
  }

  addPacked(reader: PackReader, entry: PackEntry): number {
    this.check(entry.bytes / (entry.bitDepth === 16 ? 2 : 1));
    this.readers.add(reader);
    this.slots.push({ reader, entry });
    return this.slots.length - 1;
  }

  /** Take over `other`'s items in the given order (and its files: closing this store closes them). */
  adoptFrom(other: PixelStore, order: number[]): void {
    for (const i of order) this.slots.push(other.slots[i]);
    for (const r of other.readers) this.readers.add(r);
    this.onClose.push(...other.onClose);
    other.readers.clear();
    other.onClose = [];
  }

  /** Run `fn` when the store is closed (e.g. remove a temporary pack). */
  whenClosed(fn: () => void): void {
    this.onClose.push(fn);
  }

  private check(samples: number): void {
    if (samples !== this.samplesPerItem) {
      throw new Error(`prepared image has ${samples} samples, expected ${this.samplesPerItem} (${this.shape.join('x')}); clear the cache folder if this persists`);
    }
  }

  /** Mean intensity inside the mask (0..1, full resolution) of item `i`. */
  mean(i: number): number {
    const s = this.slots[i];
    return 'pixels' in s ? s.mean : s.entry.mean;
  }

  /** Raw samples and bit depth of item `i`. */
  samples(i: number): { pixels: Uint8Array | Uint16Array; bitDepth: 8 | 16 } {
    const s = this.slots[i];
    if ('pixels' in s) return s;
    return { pixels: s.reader.samples(s.entry), bitDepth: s.entry.bitDepth };
  }

  /** Item `i` as 0..1 floats written into `into` from `offset`. */
  read(i: number, into: Float32Array, offset: number): void {
    const { pixels, bitDepth } = this.samples(i);
    const k = bitDepth === 16 ? 1 / 65535 : 1 / 255;
    for (let j = 0; j < pixels.length; j++) into[offset + j] = pixels[j] * k;
  }

  /** Bytes held in memory by this store (streamed items count 0). */
  get memoryBytes(): number {
    let n = 0;
    for (const s of this.slots) if ('pixels' in s) n += s.pixels.byteLength;
    return n;
  }

  close(): void {
    for (const r of this.readers) r.close();
    this.readers.clear();
    const fns = this.onClose;
    this.onClose = [];
    for (const fn of fns) fn();
  }
}
