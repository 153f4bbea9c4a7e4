// Public API of src/plots: pure Vega-Lite spec builders and renderers (imports nothing of ours).
export { VEGA_LITE_SCHEMA, PALETTE } from './spec';
export type { VegaLiteSpec } from './spec';
export { confusionMatrixSpec } from './confusion-matrix';
export type { ConfusionMatrixSpecOptions } from './confusion-matrix';
export { rocSpec, prSpec } from './curves';
export type { RocSpecOptions, RocCurveInput, PrSpecOptions, PrCurveInput } from './curves';
export { pcaSpec } from './pca';
export type { PcaSpecOptions } from './pca';
export { trainingCurvesSpec } from './training-curves';
export type { HistoryRow } from './training-curves';
export { sweepSpec } from './sweep';
export type { TrialRow, SweepSpecOptions } from './sweep';
export { renderSvg, renderPng, renderHtml, writePlot } from './render';
export { show, plotBundle, VEGA_LITE_MIME } from './show';
export { inNotebook, displayBundle, newDisplayHandle } from './notebook';
export { showTable, tableHtml, tableText, frameRows } from './table';
export type { TableRow, FrameLike } from './table';
