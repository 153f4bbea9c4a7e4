// The `mlflow.*` tags MLflow's own client puts on every run: who ran it, from
// which entry point, at which git commit.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function readIf(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The git dir for `dir` (a `.git` folder, or the folder a `.git` file points to in worktrees). */
function findGitDir(dir: string): string | undefined {
  let d = path.resolve(dir);
  for (;;) {
    const dotGit = path.join(d, '.git');
    try {
      const st = fs.statSync(dotGit);
      if (st.isDirectory()) return dotGit;
      const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
      if (m) return path.resolve(d, m[1].trim());
    } catch {
      // not here; go up
    }
    const up = path.dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

/** HEAD's commit, read from the repository files (no `git` process needed). */
export function gitCommit(dir: string = process.cwd()): string | undefined {
  const gitDir = findGitDir(dir);
  if (!gitDir) return undefined;
  const head = readIf(path.join(gitDir, 'HEAD'))?.trim();
  if (!head) return undefined;
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const ref = /^ref:\s*(.+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  // Worktrees keep refs in the common dir.
  const common = readIf(path.join(gitDir, 'commondir'))?.trim();
  const dirs = [gitDir, ...(common ? [path.resolve(gitDir, common)] : [])];
  for (const g of dirs) {
    const loose = readIf(path.join(g, ref))?.trim();
    if (loose && /^[0-9a-f]{40}$/.test(loose)) return loose;
    const packed = readIf(path.join(g, 'packed-refs'));
    const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
    if (line) return line.split(' ')[0];
  }
  return undefined;
}

export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return os.userInfo().username;
  } catch {
    return env.USER ?? env.LOGNAME ?? env.USERNAME ?? 'unknown';
  }
}

/** What started this process: the script's file name (`run-experiment`, `cellab`, a notebook kernel). */
export function sourceName(argv: string[] = process.argv): string {
  const script = argv[1];
  return script ? path.basename(script) : path.basename(argv[0] ?? 'node');
}

export function sourceTags(o: { cwd?: string; env?: NodeJS.ProcessEnv; sourceName?: string } = {}): Record<string, string> {
  const tags: Record<string, string> = {
    'mlflow.user': currentUser(o.env),
    'mlflow.source.name': o.sourceName ?? sourceName(),
    'mlflow.source.type': 'LOCAL',
  };
  const commit = gitCommit(o.cwd);
  if (commit) tags['mlflow.source.git.commit'] = commit;
  return tags;
}
