// A pack file holds the prepared pixels of many items: the samples one after
// another, then a JSON footer (one entry per item, keyed by file identity),
// its length (u32 LE) and a magic. One file per prepared item list reads in
// one go (a cached pass over 1,455 crops is one read, not 1,455 opens).
import * as fs from 'node:fs';

const MAGIC = 'CLP1';

export interface PackEntry {
  /** Item identity key (files + sizes + mtimes). */
  key: string;
  /** Byte offset of the samples from the start of the file. */
  offset: number;
  bytes: number;
  bitDepth: 8 | 16;
  mean: number;
  width: number;
  height: number;
}

interface Footer {
  version: 1;
  config: unknown;
  entries: PackEntry[];
}

/** Appends prepared images to a file, then writes the footer. Writes to `tmp`, renames on finish. */
export class PackWriter {
  private readonly fd: number;
  private offset = 0;
  readonly entries: PackEntry[] = [];

  constructor(readonly file: string, private readonly config: unknown, private readonly tmp = `${file}.tmp-${process.pid}-${Date.now()}`) {
    this.fd = fs.openSync(this.tmp, 'w');
  }

  append(key: string, img: { pixels: Uint8Array | Uint16Array; bitDepth: 8 | 16; mean: number; width: number; height: number }): PackEntry {
    // Keep 16-bit samples 2-byte aligned so they can be viewed in place.
    if (this.offset % 2) { fs.writeSync(this.fd, Buffer.alloc(1)); this.offset++; }
    const bytes = Buffer.from(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength);
    fs.writeSync(this.fd, bytes);
    const entry: PackEntry = { key, offset: this.offset, bytes: bytes.length, bitDepth: img.bitDepth, mean: img.mean, width: img.width, height: img.height };
    this.offset += bytes.length;
    this.entries.push(entry);
    return entry;
  }

  /** Write the footer and move the file into place (atomic: readers never see half a pack). */
  finish(): void {
    const footer = Buffer.from(JSON.stringify({ version: 1, config: this.config, entries: this.entries } satisfies Footer));
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(footer.length, 0);
    tail.write(MAGIC, 4, 'latin1');
    fs.writeSync(this.fd, footer);
    fs.writeSync(this.fd, tail);
    fs.closeSync(this.fd);
    fs.renameSync(this.tmp, this.file);
  }

  abort(): void {
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
    fs.rmSync(this.tmp, { force: true });
  }
}

/** An open pack: its entries by key, and random access to their samples. */
export class PackReader {
  readonly entries: Map<string, PackEntry>;
  private fd: number | undefined;
  private whole: Buffer | undefined;

  private constructor(readonly file: string, fd: number | undefined, entries: PackEntry[]) {
    this.fd = fd;
    this.entries = new Map(entries.map((e) => [e.key, e]));
  }

  /** A pack already read whole (prefetchPack); undefined when damaged or from another format version. */
  static fromBuffer(file: string, buf: Buffer): PackReader | undefined {
    try {
      if (buf.length < 8 || buf.toString('latin1', buf.length - 4) !== MAGIC) return undefined;
      const len = buf.readUInt32LE(buf.length - 8);
      if (len > buf.length - 8) return undefined;
      const parsed = JSON.parse(buf.toString('utf8', buf.length - 8 - len, buf.length - 8)) as Footer;
      if (parsed.version !== 1) return undefined;
      const r = new PackReader(file, undefined, parsed.entries);
      r.whole = buf;
      return r;
    } catch {
      return undefined;
    }
  }

  /** Open a pack; undefined when it is missing, damaged or from another format version. */
  static open(file: string): PackReader | undefined {
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      const size = fs.fstatSync(fd).size;
      if (size < 8) throw new Error('short');
      const tail = Buffer.alloc(8);
      fs.readSync(fd, tail, 0, 8, size - 8);
      if (tail.toString('latin1', 4, 8) !== MAGIC) throw new Error('magic');
      const len = tail.readUInt32LE(0);
      const footer = Buffer.alloc(len);
      fs.readSync(fd, footer, 0, len, size - 8 - len);
      const parsed = JSON.parse(footer.toString('utf8')) as Footer;
      if (parsed.version !== 1) throw new Error('version');
      return new PackReader(file, fd, parsed.entries);
    } catch {
      if (fd !== undefined) fs.closeSync(fd);
      return undefined;
    }
  }

  /** Read the whole file into memory once (the fast path for sets that fit). */
  loadAll(): void {
    if (this.whole || this.fd === undefined) return;
    const size = fs.fstatSync(this.fd).size;
    const buf = Buffer.allocUnsafe(size);
    fs.readSync(this.fd, buf, 0, size, 0);
    this.whole = buf;
  }

  /** The samples of one entry (a view when loaded in memory, else one read). */
  samples(e: PackEntry): Uint8Array | Uint16Array {
    let bytes: Uint8Array;
    if (this.whole) bytes = this.whole.subarray(e.offset, e.offset + e.bytes);
    else {
      if (this.fd === undefined) throw new Error(`cache pack ${this.file} is closed`);
      bytes = Buffer.allocUnsafe(e.bytes);
      fs.readSync(this.fd, bytes, 0, e.bytes, e.offset);
    }
    if (e.bitDepth === 8) return bytes;
    if (bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
    return new Uint16Array(Uint8Array.from(bytes).buffer);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.whole = undefined;
  }
}

/**
 * Start reading a whole pack on a libuv thread (one read call), so the main
 * thread can do other work meanwhile; resolves to its bytes, or undefined
 * when it cannot be read. Never rejects.
 */
export function prefetchPack(file: string): Promise<Buffer | undefined> {
  let fd: number;
  let buf: Buffer;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return Promise.resolve(undefined);
  }
  try {
    buf = Buffer.allocUnsafe(fs.fstatSync(fd).size);
  } catch {
    fs.closeSync(fd);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    fs.read(fd, buf, 0, buf.length, 0, (err, n) => {
      try {
        let got = err ? -1 : n;
        // A regular file is read whole by one call; finish here if it was not.
        while (got >= 0 && got < buf.length) {
          const more = fs.readSync(fd, buf, got, buf.length - got, got);
          got = more > 0 ? got + more : -1;
        }
        resolve(got === buf.length ? buf : undefined);
      } catch {
        resolve(undefined);
      } finally {
        fs.closeSync(fd);
      }
    });
  });
}
