import { Random } from '../src/engine/random';
import { drawLabels } from '../src/data/synth/protein-labels';
const root = new Random(5).fork('plan');
const sets = Array.from({ length: 2000 }, (_, i) => { root.next(); return drawLabels(root); });
const n = sets.length; const f = (l: string) => sets.filter((s) => (s as string[]).includes(l)).length;
console.log(f('Nucleoplasm') / n, f('Cytosol') / n, sets.filter((s) => (s as string[]).includes('Nucleoplasm') && (s as string[]).includes('Cytosol')).length / n);
const c: Record<string, number> = {}; for (const s of sets) for (const l of s) c[l] = (c[l] ?? 0) + 1; console.log(Object.fromEntries(Object.entries(c).map(([k, v]) => [k, (v / n).toFixed(3)])));
