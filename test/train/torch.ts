// Runs PyTorch (Debian's /usr/bin/python3, python3-torch) as the oracle for train tests.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ORACLE = path.join(__dirname, 'fixtures', 'torch_oracle.py');

/** Answers a batch of cases in one Python process (importing torch costs ~2 s). */
export function askTorch<T = any>(cases: object[]): T[] {
  const r = spawnSync('/usr/bin/python3', [ORACLE], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`PyTorch oracle failed (is python3-torch installed?): ${r.stderr || r.error}`);
  return JSON.parse(r.stdout);
}
