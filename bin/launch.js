// Shared by the bin scripts: load the compiled CLI, or say how to build it.
const path = require('node:path');
const fs = require('node:fs');

exports.runCli = function runCli(name) {
  const file = path.join(__dirname, '..', 'dist', 'cli', `${name}.js`);
  if (!fs.existsSync(file)) {
    process.stderr.write(`error: ${file} is missing: run \`npm install\` (or \`npm run build\`) in ${path.dirname(__dirname)} first\n`);
    process.exit(1);
  }
  require(file).main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err) => {
      process.stderr.write(`error: ${err && err.message ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
};

// Start the WebGPU adapter probe in the background when the engine will want it (see
// src/engine/adapter-probe.ts probeEarly). Quiet on any failure: initEngine probes again and says why.
exports.probeWebGpuEarly = function probeWebGpuEarly() {
  try {
    require(path.join(__dirname, '..', 'dist', 'engine', 'adapter-probe.js')).probeEarly(process.argv.slice(2));
  } catch {
    // dist missing (runCli says so) or broken: nothing started.
  }
};
