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
