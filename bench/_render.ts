import * as fs from 'node:fs';
import { renderPng } from '../src/plots/render';
(async () => { const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')); fs.writeFileSync(process.argv[3], await renderPng(spec)); })();
