// The Vega-Lite spec type and the look shared by every cellab plot.

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A Vega-Lite spec as plain JSON (cellab builds them; vega-lite validates when rendering). */
export interface VegaLiteSpec {
  $schema: string;
  [key: string]: unknown;
}

/** Tableau-10: distinct, colour-blind-friendlier than category10, fine on white. */
export const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

/** DejaVu Sans (Debian's fonts-dejavu-core) so PNGs rasterised by sharp have the same metrics. */
export const CONFIG = {
  font: 'DejaVu Sans',
  background: 'white',
  padding: 8,
  title: { fontSize: 15, anchor: 'start', offset: 10, subtitleFontSize: 12, subtitleColor: '#555' },
  axis: { labelFlush: false, labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', labelLimit: 220, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', labelLimit: 320 },
  header: { labelFontSize: 13, titleFontSize: 13 },
  view: { stroke: '#bbb' },
} as const;

/** The common envelope: schema, title (with an optional subtitle) and the shared config. */
export function envelope(title: string, subtitle: string | undefined, body: Record<string, unknown>): VegaLiteSpec {
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: subtitle ? { text: title, subtitle } : title,
    ...body,
    config: CONFIG,
  };
}

/** Rounds for display in specs so golden files and tooltips are not full of float noise. */
export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
