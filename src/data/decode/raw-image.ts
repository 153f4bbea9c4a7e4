// A decoded image as the decoders hand it over: interleaved samples, 8 or 16 bit.

export interface RawImage {
  /** Interleaved samples, row-major; Uint16Array when bitDepth is 16. */
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: number;
  bitDepth: 8 | 16;
}

/** Largest sample value of a bit depth (255 or 65535). */
export function maxSample(bitDepth: 8 | 16): number {
  return bitDepth === 16 ? 65535 : 255;
}

/** An error about one file: the message names it and says what to do. */
export class DecodeError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DecodeError';
  }
}
