#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` / `npm run build`).
const { runCli, probeWebGpuEarly } = require('./launch');
// First, so that Dawn's adapter probe (a child Node, ~0.2 s) runs while the CLI's modules load.
probeWebGpuEarly();
runCli('run-experiment');
