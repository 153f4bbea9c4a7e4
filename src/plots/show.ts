import { displayBundle, inNotebook } from './notebook';
import { renderSvg, titleOf } from './render';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './spec';

/**
 * JupyterLab renders `application/vnd.vegalite.v5+json` (its vega extension has no v6 MIME
 * type); our specs use nothing v6-only, so they go out under that type with the v5 schema.
 */
export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';
const V5_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** The display bundle for a plot: Vega-Lite JSON (interactive), SVG (static exports), text. */
export async function plotBundle(spec: VegaLiteSpec): Promise<Record<string, string | object>> {
  const svg = await renderSvg(spec);
  return {
    [VEGA_LITE_MIME]: { ...spec, $schema: spec.$schema === VEGA_LITE_SCHEMA ? V5_SCHEMA : spec.$schema },
    'image/svg+xml': svg,
    'text/plain': `<${titleOf(spec)}: Vega-Lite plot>`,
  };
}

/** Shows the plot in the tslab notebook as one MIME bundle. Outside a notebook, says how to save it. */
export async function show(spec: VegaLiteSpec): Promise<void> {
  if (!inNotebook()) {
    console.log(`(${titleOf(spec)}: not in a tslab notebook; save it with writePlot(spec, 'plot.svg' | '.png' | '.html'))`);
    return;
  }
  displayBundle(await plotBundle(spec));
}
