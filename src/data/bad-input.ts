// Bad input is collected while loading, then either fails the run with one
// message listing every offender, or (onBadInput: skip) is skipped and reported.

export interface BadInput {
  /** File or `file:line` that is at fault. */
  where: string;
  problem: string;
  itemId?: string;
}

export class DataError extends Error {
  constructor(message: string, readonly problems: BadInput[] = []) {
    super(message);
    this.name = 'DataError';
  }
}

export class BadInputCollector {
  readonly problems: BadInput[] = [];

  add(where: string, problem: string, itemId?: string): void {
    this.problems.push({ where, problem, itemId });
  }

  get size(): number {
    return this.problems.length;
  }

  /** One message: the first `limit` offenders, the count, and what to do. */
  static format(problems: BadInput[], limit = 20): string {
    const lines = problems.slice(0, limit).map((p) => `  - ${p.where}: ${p.problem}`);
    if (problems.length > limit) lines.push(`  ... and ${problems.length - limit} more`);
    return lines.join('\n');
  }

  /** Throw when there is bad input and the policy is `fail`. */
  check(policy: 'fail' | 'skip', what: string): void {
    if (this.problems.length === 0 || policy === 'skip') return;
    throw new DataError(
      `${this.problems.length} bad input(s) in ${what}:\n${BadInputCollector.format(this.problems)}\n` +
        'Fix or remove these files/rows, or set `dataset.onBadInput: skip` to leave them out (they are then counted and listed in the run).',
      this.problems,
    );
  }
}
