#!/usr/bin/env node
const { runCli } = require('./launch');
runCli('cellab');
