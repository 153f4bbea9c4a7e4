// Top-k neighbours of a few query images among a run's logged embeddings
// (embeddings/embeddings.npy + embeddings/index.csv), as the histology study
// shows them: each query, then its k most cosine-similar images of the same
// split. In a notebook: a table of thumbnails (data: URLs, so static exports
// keep them), a neighbour framed green when it shares the query's class.
import sharp from 'sharp';
import { Random } from '../engine/random';
import { decodeNpy, topKNeighbours } from '../eval/index';
import { parseCsv } from '../data/csv';
import { displayBundle, inNotebook } from '../plots/index';

export interface EmbeddingTable {
  ids: string[];
  paths: string[];
  labels: string[];
  splits: string[];
  /** Row-major [n, dim]. */
  data: Float32Array;
  dim: number;
}

/** The run's embeddings artifact read back: index.csv rows and the .npy matrix, checked against each other. */
export function readEmbeddingTable(npy: Uint8Array, indexCsv: string): EmbeddingTable {
  const { data, shape } = decodeNpy(npy);
  const table = parseCsv(indexCsv, 'embeddings/index.csv', { separator: ',' });
  for (const name of ['id', 'path', 'label', 'split']) {
    if (!table.header.includes(name)) throw new Error(`embeddings/index.csv has no \`${name}\` column (columns: ${table.header.join(', ')})`);
  }
  const body = table.rows.map((r) => r.values);
  if (shape.length !== 2 || shape[0] !== body.length) throw new Error(`embeddings.npy is [${shape.join(', ')}] but index.csv lists ${body.length} images: they must be one row per image`);
  return { ids: body.map((r) => r.id), paths: body.map((r) => r.path), labels: body.map((r) => r.label), splits: body.map((r) => r.split), data: Float32Array.from(data), dim: shape[1] };
}

export interface NeighbourRow {
  query: string;
  label: string;
  neighbours: { id: string; label: string; similarity: number }[];
  /** Share of the k neighbours with the query's label. */
  precision: number;
}

export interface NeighbourOptions {
  /** Query images (default 6), drawn one class after another (seeded). */
  queries?: number;
  /** Neighbours per query (default 10, the study's rank-10). */
  k?: number;
  /** Split searched and queried (default test). */
  split?: string;
  seed?: number;
}

export function queryNeighbours(t: EmbeddingTable, o: NeighbourOptions = {}): NeighbourRow[] {
  const split = o.split ?? 'test';
  const members = t.splits.flatMap((s, i) => (s === split ? [i] : []));
  if (members.length < 2) throw new Error(`the embeddings hold ${members.length} image(s) of split '${split}'; splits: ${[...new Set(t.splits)].join(', ')}`);
  const rng = new Random(o.seed ?? 0);
  const byClass = new Map<string, number[]>();
  for (const i of rng.shuffle([...members])) byClass.set(t.labels[i], [...(byClass.get(t.labels[i]) ?? []), i]);
  const classes = [...byClass.keys()].sort();
  const wanted = Math.min(o.queries ?? 6, members.length);
  const queries: number[] = [];
  for (let round = 0; queries.length < wanted; round++) {
    for (const c of classes) if (queries.length < wanted && byClass.get(c)![round] !== undefined) queries.push(byClass.get(c)![round]);
  }
  const row = (i: number) => Array.from(t.data.subarray(i * t.dim, (i + 1) * t.dim));
  const gallery = members.map(row);
  const k = Math.min(o.k ?? 10, members.length - 1);
  const pos = new Map(members.map((m, j) => [m, j]));
  // The query itself is in the gallery: ask for one more and drop it.
  const found = topKNeighbours(gallery, k + 1, { queries: queries.map(row) });
  return queries.map((q, qi) => {
    const ns = found[qi].filter((n) => n.index !== pos.get(q)).slice(0, k).map((n) => ({ id: t.ids[members[n.index]], label: t.labels[members[n.index]], similarity: n.similarity }));
    return { query: t.ids[q], label: t.labels[q], neighbours: ns, precision: ns.filter((n) => n.label === t.labels[q]).length / Math.max(1, ns.length) };
  });
}

async function thumbnail(file: string, size: number): Promise<string> {
  try {
    const png = await sharp(file).greyscale().resize(size, size, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 1 } }).png().toBuffer();
    return `data:image/png;base64,${png.toString('base64')}`;
  } catch {
    return '';   // a moved file: the cell keeps its caption
  }
}

/** Thumbnails of each query and its neighbours in a notebook; a text table elsewhere. */
export async function showNeighbours(t: EmbeddingTable, rows: NeighbourRow[], o: { size?: number; title?: string } = {}): Promise<void> {
  const size = o.size ?? 56;
  const pathOf = new Map(t.ids.map((id, i) => [id, t.paths[i]]));
  const text = rows.map((r) => `${r.query} (${r.label}): ${r.neighbours.map((n) => `${n.id} ${n.label} ${n.similarity.toFixed(3)}`).join(', ')}`);
  if (!inNotebook()) {
    console.log([o.title ?? 'Top-k neighbours', ...text].join('\n'));
    return;
  }
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const cell = async (id: string, caption: string, border: string) => {
    const src = await thumbnail(pathOf.get(id) ?? '', size);
    return `<td style="padding:2px;text-align:center;font-size:10px;color:#333;background:#fff"><img src="${src}" width="${size}" height="${size}" title="${esc(id)}" style="border:3px solid ${border}"/><br/>${esc(caption)}</td>`;
  };
  const trs: string[] = [];
  for (const r of rows) {
    const cells = [await cell(r.query, `${r.label}`, '#222'), '<td style="width:10px;background:#fff"></td>'];
    for (const n of r.neighbours) cells.push(await cell(n.id, n.similarity.toFixed(3), n.label === r.label ? '#54a24b' : '#e45756'));
    trs.push(`<tr>${cells.join('')}</tr>`);
  }
  const k = rows[0]?.neighbours.length ?? 0;
  const head = `<tr><th style="font-size:11px;background:#fff">query</th><th style="background:#fff"></th><th colspan="${k}" style="font-size:11px;text-align:left;background:#fff">top-${k} by cosine similarity (green: same class, red: another class)</th></tr>`;
  const title = o.title ? `<div style="font-family:sans-serif;font-size:13px;font-weight:bold;margin:4px 0">${esc(o.title)}</div>` : '';
  displayBundle({ 'text/html': `${title}<table style="border-collapse:collapse;font-family:sans-serif;background:#fff">${head}${trs.join('')}</table>`, 'text/plain': text.join('\n') });
}
