// Writes many small files without waiting for each: opening a file costs
// ~0.5-1 ms on a busy VM disk, as much as drawing a cell, so writes run on
// libuv's thread pool while the main thread draws the next cells.
import * as fs from 'node:fs';

export class FileWriter {
  private pending = 0;
  private failure: Error | undefined;
  private waiters: (() => void)[] = [];

  constructor(private readonly maxPending: number) {}

  /** Queue a write; resolves once there is room for another. Throws the first failed write. */
  async write(file: string, data: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.pending >= this.maxPending) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure;
    this.pending++;
    fs.writeFile(file, data, (err) => {
      this.pending--;
      if (err && !this.failure) this.failure = new Error(`writing ${file} failed: ${err.message}`);
      this.waiters.shift()?.();
    });
  }

  /** Wait for every queued write; throws the first failure. */
  async drain(): Promise<void> {
    while (this.pending > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure;
  }
}
