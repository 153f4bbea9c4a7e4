// `--parallel N`: trials run in worker processes (each its own wasm instance
// and memory), re-launches of run-experiment. A worker is long-lived: it runs
// one trial after another, sent over an IPC channel, so that a short trial (a
// search's pruned ones: two epochs) does not pay for a new process, module
// loading, engine start and first-use compilation each time (measured: half
// the CPU time of eight 2-epoch trials). Workers are started before the sweep's
// parent run exists (the run ids come with each trial) and warm up while they
// wait: engine start and the data of the trial they will likely get first
// (`--warm-trial`), so a 2-trial sweep does not pay the parent's start-up and
// the workers' one after the other. A worker that dies takes only its current
// trial with it; the next trial starts a new one.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ErrorAnalysisOptions } from './error-analysis';

export interface WorkerResult {
  code: number;
  summary?: { run_id?: string; outcome?: string; status?: string; [k: string]: unknown };
  error?: string;
}

/** One trial for a worker: its index in the sweep, (tpe) the params the sweep chose, and the sweep's ids (else the worker's --parent-run-id / --sweep-id). */
export interface TrialRequest {
  trial: number;
  params?: Record<string, unknown>;
  parentRunId?: string;
  sweepId?: string;
}

/** The error analysis of a sweep's best run, asked of the worker that trained it (see best-run.ts AnalyseElsewhere). */
export interface AnalyseRequest {
  runIds: string[];
  options: ErrorAnalysisOptions & { cacheDir: string };
}

/** What the analysis wrote (or why it failed), with the lines it logged: the parent says them, a worker's stderr is not shown. */
export interface AnalyseReply {
  artifacts?: string[];
  error?: string;
  lines: string[];
}

type ToWorker = { type: 'trial'; request: TrialRequest } | { type: 'analyse'; request: AnalyseRequest } | { type: 'exit' };
type FromWorker = { type: 'result'; trial: number; summary?: WorkerResult['summary']; error?: string } | ({ type: 'analysed' } & AnalyseReply);

/** How to start run-experiment from here: compiled JS, or the TS source under tsx. */
export function cliLaunch(): { execArgv: string[]; script: string } {
  const ext = path.extname(__filename);
  const script = path.join(__dirname, '..', 'cli', `run-experiment${ext}`);
  return { execArgv: ext === '.ts' ? ['--import', 'tsx'] : [], script };
}

const timing = process.env.CELLAB_TIMING === '1';
const stderrTail = (text: string) => text.trim().split('\n').slice(-5).join('\n');

/**
 * A long-lived `run-experiment ... --worker` process. `run` sends it one trial and resolves
 * with the result; a worker runs one trial at a time. When the process dies, the trial it was
 * running resolves with an error (the stderr tail) and `alive` turns false.
 */
export class TrialWorker {
  private readonly child: ChildProcess;
  private pending?: { trial: number; resolve: (r: WorkerResult) => void; stderrFrom: number };
  private analysing?: (r: AnalyseReply | undefined) => void;
  private closing?: Promise<void>;
  private stderr = '';
  private exited = false;

  constructor(o: { args: string[]; env: NodeJS.ProcessEnv; cwd: string }) {
    const { execArgv, script } = cliLaunch();
    this.child = spawn(process.execPath, [...execArgv, script, ...o.args, '--worker'], { cwd: o.cwd, env: o.env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child.stderr!.on('data', (d) => {
      // CELLAB_TIMING=1: the worker's phase lines go on to the sweep's stderr, to be read with the parent's.
      if (timing) for (const l of String(d).split('\n')) if (l.startsWith('cellab-timing ')) process.stderr.write(l + '\n');
      this.stderr += d;
      // Keep what the running trial said (for its error), bounded.
      if (this.stderr.length > 40000) {
        const cut = this.stderr.length - 20000;
        this.stderr = this.stderr.slice(cut);
        if (this.pending) this.pending.stderrFrom = Math.max(0, this.pending.stderrFrom - cut);
      }
    });
    this.child.on('message', (m: FromWorker) => {
      if (m?.type === 'analysed') {
        const done = this.analysing;
        this.analysing = undefined;
        done?.({ artifacts: m.artifacts, error: m.error, lines: m.lines ?? [] });
        return;
      }
      if (m?.type !== 'result' || !this.pending || m.trial !== this.pending.trial) return;
      const p = this.pending;
      this.pending = undefined;
      const said = stderrTail(this.stderr.slice(p.stderrFrom));
      p.resolve(m.summary?.run_id ? { code: 0, summary: m.summary } : { code: 1, summary: m.summary, error: m.error ?? (said || 'the worker reported no result') });
    });
    const died = (why: string) => {
      this.exited = true;
      const p = this.pending;
      this.pending = undefined;
      p?.resolve({ code: 1, error: stderrTail(this.stderr.slice(p.stderrFrom)) || why });
      const a = this.analysing;
      this.analysing = undefined;
      a?.(undefined);
    };
    this.child.on('error', (e) => died(`could not start a worker: ${e.message}`));
    this.child.on('exit', (code, signal) => died(`worker exited with ${code ?? signal}`));
  }

  get alive(): boolean {
    return !this.exited;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(request: TrialRequest): Promise<WorkerResult> {
    if (this.pending) throw new Error('TrialWorker.run: the worker is busy (a bug: please report it)');
    if (this.exited) return Promise.resolve({ code: 1, error: 'the worker has exited' });
    return new Promise((resolve) => {
      this.pending = { trial: request.trial, resolve, stderrFrom: this.stderr.length };
      this.child.send({ type: 'trial', request } satisfies ToWorker, (err) => {
        if (err && this.pending?.trial === request.trial) {
          this.pending = undefined;
          resolve({ code: 1, error: `could not reach the worker: ${err.message}` });
        }
      });
    });
  }

  /**
   * Ask the worker for the error analysis of a sweep's best run (after its trials). Resolves with
   * its reply, or undefined when the worker is gone or dies before answering (the caller then
   * runs the analysis itself).
   */
  analyse(request: AnalyseRequest): Promise<AnalyseReply | undefined> {
    if (this.pending || this.analysing) throw new Error('TrialWorker.analyse: the worker is busy (a bug: please report it)');
    if (this.exited || !this.child.connected) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.analysing = resolve;
      this.child.send({ type: 'analyse', request } satisfies ToWorker, (err) => {
        if (err && this.analysing === resolve) {
          this.analysing = undefined;
          resolve(undefined);
        }
      });
    });
  }

  /** Ask the worker to exit once idle, and wait for it. */
  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    // Once: a second call must not kill a worker that is finishing what it was doing.
    this.closing ??= new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      if (this.child.connected) this.child.send({ type: 'exit' } satisfies ToWorker, () => undefined);
      else this.child.kill();
    });
    return this.closing;
  }
}

/**
 * The worker side (`run-experiment ... --worker`): run each trial the parent sends, one at a
 * time, and answer with its summary (or the error); the same for an error analysis (`analyse`
 * returns the artifacts written and reports its log lines through `say`). Returns when the
 * parent says exit or goes away.
 */
export function serveTrials(runOne: (r: TrialRequest) => Promise<WorkerResult['summary']>,
  analyse?: (r: AnalyseRequest, say: (line: string) => void) => Promise<string[]>): Promise<void> {
  if (!process.send) return Promise.reject(new Error('--worker: no IPC channel; this mode is started by a sweep with --parallel'));
  return new Promise((resolve) => {
    let queue = Promise.resolve();
    let leaving = false;
    const leave = () => {
      if (leaving) return;
      leaving = true;
      // After the trial in progress (its run must end properly).
      void queue.then(() => {
        process.off('message', onMessage);
        if (process.connected) process.disconnect();
        resolve();
      });
    };
    const onMessage = (m: ToWorker) => {
      if (m?.type === 'exit') return leave();
      if (m?.type === 'analyse') {
        const request = m.request;
        queue = queue.then(async () => {
          const lines: string[] = [];
          let reply: FromWorker;
          try {
            if (!analyse) throw new Error('this worker does not run error analyses (a bug: please report it)');
            reply = { type: 'analysed', artifacts: await analyse(request, (l) => lines.push(l)), lines };
          } catch (err) {
            reply = { type: 'analysed', error: (err as Error)?.message ?? String(err), lines };
          }
          if (process.connected) process.send!(reply);
        });
        return;
      }
      if (m?.type !== 'trial') return;
      queue = queue.then(async () => {
        let reply: FromWorker;
        try {
          reply = { type: 'result', trial: m.request.trial, summary: await runOne(m.request) };
        } catch (err) {
          process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
          reply = { type: 'result', trial: m.request.trial, error: (err as Error)?.message ?? String(err) };
        }
        if (process.connected) process.send!(reply);
      });
    };
    process.on('message', onMessage);
    process.once('disconnect', leave);
  });
}
