// Exit codes (DESIGN.md conventions): 0 all completed; 2 a run or some trial
// diverged or failed; 1 bad config or input (nothing ran); 130 interrupted.
import { ConfigError } from '../engine/schema';
import { BackendUnavailableError } from '../engine/backend';
import { DataError } from '../data/bad-input';

export const EXIT = { ok: 0, badInput: 1, failed: 2, interrupted: 130 } as const;

/** Print an error the way a user can act on it, and return the exit code. */
export function reportError(err: unknown, o: { json?: boolean; debug?: boolean } = {}): number {
  const e = err as Error;
  const userError = e instanceof ConfigError || e instanceof DataError || e instanceof BackendUnavailableError;
  const code = userError ? EXIT.badInput : EXIT.failed;
  process.stderr.write(`error: ${e?.message ?? String(err)}\n`);
  if (!userError && (o.debug || process.env.CELLAB_DEBUG) && e?.stack) process.stderr.write(e.stack + '\n');
  if (o.json) process.stdout.write(JSON.stringify({ status: 'FAILED', outcome: 'error', error: e?.message ?? String(err) }) + '\n');
  return code;
}
