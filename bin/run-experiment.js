#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` / `npm run build`).
const { runCli } = require('./launch');
runCli('run-experiment');
