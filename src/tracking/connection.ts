// Whether the server answers, shared by every run of one Tracking: after an
// outage new runs go straight to the local spool store, the message about it
// is printed once, and the server is tried again now and then.
import { MlflowError, MlflowUnreachableError } from './errors';

const REPROBE_MS = 30_000;

/** An error that means "the server is not there right now" (as opposed to "it said no"). */
export function isOutage(e: unknown): boolean {
  return e instanceof MlflowUnreachableError || (e instanceof MlflowError && (e.status >= 500 || e.status === 429));
}

export class Connection {
  offline = false;
  private since = 0;
  private announced = false;

  constructor(
    readonly serverUri: string,
    readonly spoolDir: string,
    private readonly log: (line: string) => void,
  ) {}

  goOffline(reason: unknown): void {
    if (!this.offline) {
      this.offline = true;
      this.since = Date.now();
    }
    if (this.announced) return;
    this.announced = true;
    const why = reason instanceof Error ? reason.message : String(reason);
    this.log(
      `tracking: ${why}\n` +
        `tracking: runs carry on in the local store ${this.spoolDir}; nothing is lost. ` +
        `When the server is back: cellab push --from ${this.spoolDir} --to ${this.serverUri}`,
    );
  }

  goOnline(): void {
    if (this.offline) this.log(`tracking: the MLflow server at ${this.serverUri} answers again; new runs go to it`);
    this.offline = false;
  }

  /** While offline, worth trying the server again? */
  shouldReprobe(): boolean {
    return this.offline && Date.now() - this.since >= REPROBE_MS;
  }

  reprobed(): void {
    this.since = Date.now();
  }
}
