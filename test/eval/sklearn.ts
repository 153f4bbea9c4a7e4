// Runs scikit-learn (Debian's /usr/bin/python3, python3-sklearn) as the oracle for eval tests.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Random } from '../../src/engine/random';

const ORACLE = path.join(__dirname, 'fixtures', 'sklearn_oracle.py');

/** Answers a batch of cases in one Python process (importing sklearn costs ~1 s). */
export function askSklearn<T = any>(cases: object[]): T[] {
  const r = spawnSync('/usr/bin/python3', [ORACLE], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`scikit-learn oracle failed (is python3-sklearn installed?): ${r.stderr || r.error}`);
  return JSON.parse(r.stdout);
}

/** A seeded generator so the random cases are the same on every run. */
export function rng(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}

export function assertClose(actual: number, expected: number, what: string, tol = 1e-9): void {
  if (!(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)))) {
    throw new Error(`${what}: got ${actual}, scikit-learn says ${expected}`);
  }
}

export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-9): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, scikit-learn's ${expected.length}`);
  for (let i = 0; i < actual.length; i++) assertClose(actual[i], expected[i], `${what}[${i}]`, tol);
}
