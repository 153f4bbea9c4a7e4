// `--parallel N`: each trial runs in its own process (its own wasm instance
// and memory), a re-launch of run-experiment with `--trial K`. The result is
// the JSON summary the worker prints on its last line.
import { spawn } from 'node:child_process';
import * as path from 'node:path';

export interface WorkerResult {
  code: number;
  summary?: { run_id?: string; outcome?: string; status?: string; [k: string]: unknown };
  error?: string;
}

/** How to start run-experiment from here: compiled JS, or the TS source under tsx. */
export function cliLaunch(): { execArgv: string[]; script: string } {
  const ext = path.extname(__filename);
  const script = path.join(__dirname, '..', 'cli', `run-experiment${ext}`);
  return { execArgv: ext === '.ts' ? ['--import', 'tsx'] : [], script };
}

export function runTrialInWorker(o: { args: string[]; env: NodeJS.ProcessEnv; cwd: string }): Promise<WorkerResult> {
  const { execArgv, script } = cliLaunch();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...execArgv, script, ...o.args, '--json'], { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err = (err + d).slice(-20000); });
    child.on('error', (e) => resolve({ code: 1, error: `could not start a worker: ${e.message}` }));
    child.on('close', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      let summary: WorkerResult['summary'];
      try { summary = JSON.parse(last); } catch { /* no JSON: the worker died */ }
      const tail = err.trim().split('\n').slice(-5).join('\n');
      resolve({ code: code ?? (signal ? 128 : 1), summary, error: summary?.run_id ? undefined : (summary?.error as string | undefined) ?? (tail || `worker exited with ${code ?? signal}`) });
    });
  });
}
