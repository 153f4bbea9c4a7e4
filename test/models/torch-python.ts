// Debian's PyTorch as the test oracle: the python that imports torch and
// torchvision (CELLAB_TORCH_PYTHON, then /usr/bin/python3, then python3 on
// PATH; README's install line adds python3-torchvision). Tests that need it
// skip with a printed reason when none does.
import { spawnSync } from 'node:child_process';

let found: string | null | undefined;

export function torchPython(): string | null {
  if (found !== undefined) return found;
  for (const py of [process.env.CELLAB_TORCH_PYTHON, '/usr/bin/python3', 'python3']) {
    if (!py) continue;
    const r = spawnSync(py, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
    if (r.status === 0) return (found = py);
  }
  return (found = null);
}

export const NO_TORCH = 'no python with torch + torchvision (apt-get install python3-torchvision, or set CELLAB_TORCH_PYTHON)';

/** Runs a python script (text) with args; throws with its stderr on failure. */
export function runPython(script: string, args: string[] = [], timeoutMs = 300_000): string {
  const py = torchPython();
  if (!py) throw new Error(NO_TORCH);
  const r = spawnSync(py, ['-c', script, ...args], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`python failed (${r.status ?? r.signal}): ${r.stderr.slice(-3000)}`);
  return r.stdout;
}
