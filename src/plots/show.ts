import { displayBundle, inNotebook } from './notebook';
import { renderSvg, svgSize, svgToPng, titleOf } from './render';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './spec';

/**
 * JupyterLab renders `application/vnd.vegalite.v5+json` (its vega extension has no v6 MIME
 * type); our specs use nothing v6-only, so they go out under that type with the v5 schema.
 */
export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';
const V5_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/**
 * The display bundle for a plot: Vega-Lite JSON (JupyterLab draws it, interactive), a PNG
 * at twice its size shown at its size (static exports: nbconvert's HTML, GitHub), text.
 * PNG rather than SVG for the static picture: Debian's nbconvert (6.5) passes inline SVG
 * through its HTML sanitizer, which strips every SVG element and leaves only the labels.
 */
export async function plotBundle(spec: VegaLiteSpec): Promise<{ data: Record<string, string | object>; metadata: Record<string, unknown> }> {
  const svg = await renderSvg(spec);
  const png = await svgToPng(svg, titleOf(spec), 2);
  const size = svgSize(svg);
  return {
    data: {
      [VEGA_LITE_MIME]: { ...spec, $schema: spec.$schema === VEGA_LITE_SCHEMA ? V5_SCHEMA : spec.$schema },
      'image/png': png.toString('base64'),
      'text/plain': `<${titleOf(spec)}: Vega-Lite plot>`,
    },
    metadata: size ? { 'image/png': size } : {},
  };
}

/** Shows the plot in the tslab notebook as one MIME bundle. Outside a notebook, says how to save it. */
export async function show(spec: VegaLiteSpec): Promise<void> {
  if (!inNotebook()) {
    console.log(`(${titleOf(spec)}: not in a tslab notebook; save it with writePlot(spec, 'plot.svg' | '.png' | '.html'))`);
    return;
  }
  const { data, metadata } = await plotBundle(spec);
  displayBundle(data, { metadata });
}

/**
 * Shows a PNG (a contact sheet, a Grad-CAM overlay) in the notebook at its pixel size, with
 * `title` as its text form. Outside a notebook, prints the title and how to save the picture.
 */
export function showImage(png: Uint8Array, o: { title: string; width?: number; height?: number }): void {
  if (!inNotebook()) {
    console.log(`(${o.title}: not in a tslab notebook; write the PNG to a file to look at it)`);
    return;
  }
  const size = o.width && o.height ? { 'image/png': { width: o.width, height: o.height } } : {};
  displayBundle({ 'image/png': Buffer.from(png).toString('base64'), 'text/plain': `<${o.title}: image>` }, { metadata: size });
}
