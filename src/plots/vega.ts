// Loads vega and vega-lite (ESM-only, top-level await) through a real CommonJS helper:
// TypeScript compiling to CommonJS would turn `import()` into `require()`, which fails.
import { existsSync } from 'node:fs';
import path from 'node:path';

// The same relative path works from src/plots (tsx) and dist/plots (compiled).
const esmImport: (specifier: string) => Promise<any> = require(path.join(__dirname, '..', '..', 'lib', 'esm-import.cjs'));

let loaded: Promise<{ vega: any; vegaLite: any }> | undefined;

export function loadVega(): Promise<{ vega: any; vegaLite: any }> {
  loaded ??= Promise.all([esmImport('vega'), esmImport('vega-lite')]).then(
    ([vega, vegaLite]) => ({ vega, vegaLite }),
    (err: Error) => {
      loaded = undefined;
      throw new Error(`could not load vega/vega-lite (npm dependencies of cellab): ${err.message}`);
    },
  );
  return loaded;
}

/**
 * Directory of an installed package (for inlining its browser build into HTML). Searched
 * along Node's module paths: vega's `exports` map hides package.json from require.resolve.
 */
export function packageDir(name: string): string {
  for (const dir of require.resolve.paths(name) ?? []) {
    if (existsSync(path.join(dir, name, 'package.json'))) return path.join(dir, name);
  }
  throw new Error(`package \`${name}\` is not installed (looked in node_modules above ${__dirname}); run npm install.`);
}
