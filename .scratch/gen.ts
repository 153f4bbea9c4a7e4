import { generateProteinSynthetic } from '../src/data/synth/index';
(async () => {
  const s = await generateProteinSynthetic({ out: process.argv[2], n: Number(process.argv[3] ?? 60), seed: 1 });
  console.log(JSON.stringify(s, null, 1));
})();
