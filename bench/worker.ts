// A long-lived bench worker answering one JSON line per JSON command line
// (bench/train-cellab.ts, bench/train_torch.py), shared by the benches that
// time cellab against PyTorch or one backend against another.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as os from 'node:os';

export type Row = Record<string, unknown>;
export interface Timing { img_s: number; seconds: number; steps: number; threads: number; backend?: string; device?: string }

export class Worker {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(readonly name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    // Each side sets its own thread count; an inherited OMP_NUM_THREADS would cap PyTorch's.
    const e = { ...process.env, ...env };
    delete e.OMP_NUM_THREADS;
    this.proc = spawn(cmd, args, { cwd: path.join(__dirname, '..'), env: e });
    this.proc.stderr.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    this.lines = readline.createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  async run(cmd: { net: string; mode: string; steps: number; warmup?: number }): Promise<Timing> {
    this.proc.stdin.write(JSON.stringify(cmd) + '\n');
    const next = await this.lines.next();
    if (next.done) throw new Error(`${this.name} exited (code ${this.proc.exitCode}): ${this.stderr}`);
    return JSON.parse(next.value) as Timing;
  }

  close(): void {
    this.proc.stdin.end();
  }

  kill(): void {
    this.proc.kill();
  }
}

/** The load line timing benches print first: their figures mean little on a busy machine. */
export function loadNote(cores: number): string {
  return `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cores} cores (figures are only meaningful on an idle machine)`;
}
