// CELLAB_TIMING=1: one stderr line per phase of a run or sweep, with the wall clock
// (ms since the epoch, comparable across a sweep's parent and its workers) and the
// seconds since this process started, and its CPU time so far. For finding where a sweep's time goes.
const on = process.env.CELLAB_TIMING === '1';

export function phase(what: string): void {
  if (!on) return;
  const now = performance.timeOrigin + performance.now();
  const cpu = process.cpuUsage();
  process.stderr.write(`cellab-timing ${Math.round(now)} pid ${process.pid} +${(performance.now() / 1000).toFixed(2)}s cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)}s ${what}\n`);
}
