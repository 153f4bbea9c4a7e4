// Counts (and can hang) the WebGPU adapter probe's child processes: a preload in
// NODE_OPTIONS that acts only in a process started as the probe is (`node -e ... <webgpu>`,
// see src/engine/adapter-probe.ts), whichever process of a run or sweep started it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-probe-'));
const preload = path.join(dir, 'probe-preload.cjs');
fs.writeFileSync(preload, `
if (process.argv.length === 2 && /[\\\\/]webgpu[\\\\/]/.test(process.argv[1]) && process.env.CELLAB_TEST_PROBE_LOG) {
  require('node:fs').appendFileSync(process.env.CELLAB_TEST_PROBE_LOG, process.pid + '\\n');
  // Blocks before the probe's code runs: no answer ever (SIGTERM still ends it).
  if (process.env.CELLAB_TEST_PROBE_HANG === '1') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
`);
let n = 0;

/** Environment that logs each probe child's pid (`hang`: and makes it never answer), and the pids logged so far. */
export function probeCounter(o: { hang?: boolean } = {}): { env: NodeJS.ProcessEnv; pids(): number[] } {
  const log = path.join(dir, `probes-${n++}.log`);
  return {
    env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}`, CELLAB_TEST_PROBE_LOG: log, ...(o.hang ? { CELLAB_TEST_PROBE_HANG: '1' } : {}) },
    pids: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map(Number) : []),
  };
}

/** Whether the optional WebGPU packages are installed (without them no probe child runs). */
export function webgpuInstalled(): boolean {
  try {
    require.resolve('webgpu');
    require.resolve('@tensorflow/tfjs-backend-webgpu');
    return true;
  } catch {
    return false;
  }
}
