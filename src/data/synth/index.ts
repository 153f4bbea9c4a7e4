// Synthetic data, deterministic per seed: ICPR-2012-like HEp-2 staining
// patterns, A.I.D.A.-like positive/negative intensity sets, and HPA-2021-like
// multi-label protein localisation fields.
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
export { generateProteinSynthetic, PROTEIN_DEFAULT_N, PROTEIN_DEFAULT_ANOMALIES } from './protein';
export type { ProteinOptions, ProteinSummary } from './protein';
export { LOCALISATIONS, HPA_ID } from './protein-labels';
export type { Localisation } from './protein-labels';
export { PROTEIN_ANOMALIES } from './protein-field';
