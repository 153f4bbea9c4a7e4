// Where downloaded weights live: CELLAB_WEIGHTS_DIR, else ~/.cache/cellab/weights.
import * as os from 'node:os';
import * as path from 'node:path';

export function weightsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CELLAB_WEIGHTS_DIR ? path.resolve(env.CELLAB_WEIGHTS_DIR) : path.join(os.homedir(), '.cache', 'cellab', 'weights');
}
