// Synthetic HEp-2 data: ICPR-2012-like staining patterns and A.I.D.A.-like
// positive/negative intensity sets, deterministic per seed.
export { generateSynthetic, DEFAULT_N, DEFAULT_SEED, DEFAULT_ANOMALY_FRACTION } from './generate';
export type { GenerateOptions } from './generate';
export type { SynthSummary, SynthKind } from './summary';
export { PATTERNS, ICPR2012_COUNTS } from './patterns';
export type { Pattern } from './patterns';
export { ANOMALIES } from './specimen';
export type { Anomaly, Intensity } from './specimen';
export { SYNTH_CSV_HEADER, SYNTH_OUTPUT_ENTRIES } from './manifests';
export { generateLymphocytosis, annotationCsv, DEFAULT_PATIENTS } from './lymphocytosis';
export type { LymphocytosisOptions, LymphocytosisSummary } from './lymphocytosis';
export { planPatients, DLMI_REFERENCE_YEAR, MALIGNANT_SHARE } from './lymph-plan';
export type { PatientPlan, LymphSubtype } from './lymph-plan';
