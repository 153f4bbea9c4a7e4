// While runs are active, SIGINT and SIGTERM end them properly: hooks first
// (the experiment layer tags `cellab.outcome=interrupted`), then every active
// run is flushed and ended as KILLED, then the process exits 130 / 143 —
// unless something else in the process handles that signal too (a notebook
// kernel: tslab interrupts the running cell on SIGINT), which then decides.
// A process that simply runs out of work ends its forgotten runs as KILLED,
// tagged `cellab.end_reason` and said on stderr: MLflow's Python client marks
// them FINISHED at exit, but nobody said the run was done, so it may be
// incomplete and must not pass for a finished one (`--resume` reruns it).

export interface ActiveRun {
  runId: string;
  setTag(key: string, value: string): void;
  end(status?: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void>;
}

/** Why a run was ended by the process rather than by its owner. */
export const END_REASON_TAG = 'cellab.end_reason';

type KillHook = (signal: 'SIGINT' | 'SIGTERM') => void | Promise<void>;

const active = new Set<ActiveRun>();
const hooks: KillHook[] = [];
let installed = false;
let stopping = false;
/** Where messages go during a signal (stderr by default). */
let say: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

const EXIT_CODE = { SIGINT: 130, SIGTERM: 143 } as const;
// A server that does not answer must not keep a killed process alive forever.
const SHUTDOWN_LIMIT_MS = 60_000;

async function shutdown(signal: 'SIGINT' | 'SIGTERM', listener: () => void): Promise<void> {
  const othersHandle = process.listeners(signal).some((l) => l !== listener);
  if (othersHandle) return endActive(signal, false);
  if (stopping) {
    say(`cellab: second ${signal}, exiting without waiting for runs to end`);
    process.exit(EXIT_CODE[signal]);
  }
  stopping = true;
  const guard = setTimeout(() => {
    say(`cellab: runs did not end within ${SHUTDOWN_LIMIT_MS / 1000} s of ${signal}; exiting`);
    process.exit(EXIT_CODE[signal]);
  }, SHUTDOWN_LIMIT_MS);
  guard.unref();
  await endActive(signal, true);
  process.exit(EXIT_CODE[signal]);
}

async function endActive(signal: 'SIGINT' | 'SIGTERM', exiting: boolean): Promise<void> {
  for (const h of [...hooks]) {
    try {
      await h(signal);
    } catch (e) {
      say(`cellab: a kill hook failed: ${(e as Error).message}`);
    }
  }
  const runs = [...active];
  if (runs.length) say(`cellab: ${signal}: ending ${runs.length} active run(s) as KILLED${exiting ? '' : ' (the process goes on)'}`);
  const results = await Promise.allSettled(runs.map((r) => r.end('KILLED')));
  for (const r of results) if (r.status === 'rejected') say(`cellab: could not end a run: ${(r.reason as Error)?.message ?? r.reason}`);
}

const onSigint = (): void => void shutdown('SIGINT', onSigint);
const onSigterm = (): void => void shutdown('SIGTERM', onSigterm);
const onBeforeExit = () => {
  if (active.size === 0 || stopping) return;
  // The event loop is empty; ending the runs schedules more work, then 'beforeExit' comes again.
  const runs = [...active];
  say(`cellab: the process is exiting with ${runs.length} run(s) never ended (${runs.map((r) => r.runId).join(', ')}): ending them as KILLED, tagged ${END_REASON_TAG}. Call run.end() when a run is done.`);
  for (const r of runs) {
    r.setTag(END_REASON_TAG, 'the process exited without ending the run');
    void r.end('KILLED').catch((e) => say(`cellab: could not end run ${r.runId}: ${(e as Error).message}`));
  }
};

function sync(): void {
  const want = active.size > 0;
  if (want && !installed) {
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
    process.on('beforeExit', onBeforeExit);
    installed = true;
  } else if (!want && installed) {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    process.off('beforeExit', onBeforeExit);
    installed = false;
  }
}

export function registerActiveRun(run: ActiveRun): void {
  active.add(run);
  sync();
}

export function unregisterActiveRun(run: ActiveRun): void {
  active.delete(run);
  sync();
}

/** Runs that have started and not ended in this process. */
export function activeRunIds(): string[] {
  return [...active].map((r) => r.runId);
}

/**
 * Run `fn` when SIGINT/SIGTERM arrives while runs are active, before they are
 * ended as KILLED (e.g. to tag `cellab.outcome=interrupted`). Returns a function that removes it.
 */
export function onBeforeKill(fn: KillHook): () => void {
  hooks.push(fn);
  return () => {
    const i = hooks.indexOf(fn);
    if (i >= 0) hooks.splice(i, 1);
  };
}

export function setSignalLog(fn: (line: string) => void): void {
  say = fn;
}
