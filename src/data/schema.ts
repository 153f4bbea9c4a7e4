// The `dataset` section of an experiment file (keys fixed in DESIGN.md).
import type { SchemaNode } from '../engine/schema';

export const SPLIT_KINDS = ['predefined', 'stratified', 'kfold', 'stratified-kfold', 'group-kfold', 'stratified-group-kfold'] as const;
export type SplitKind = (typeof SPLIT_KINDS)[number];

export interface ImageConfig {
  size: number;
  resize: 'pad' | 'stretch';
  channels: 'gray' | 'rgb' | 'red' | 'green' | 'blue';
  mask: boolean;
}

export interface SplitConfig {
  kind: SplitKind;
  folds: number;
  valFraction: number;
  testFraction: number;
  groupBy?: string;
  seed: number;
}

export interface DatasetConfig {
  format: 'icpr2012' | 'folder' | 'csv';
  root: string;
  manifest?: string;
  columns: { id?: string; path?: string; label?: string; group?: string; split?: string; intensity?: string; mask?: string };
  image: ImageConfig;
  mask: { column?: string; pattern?: string; dir?: string };
  split: SplitConfig;
  anomalyFilter: { std: number } | false;
  classWeights: 'none' | 'inverse' | 'one-minus-frequency' | Record<string, number>;
  onBadInput: 'fail' | 'skip';
  /** Generate the synthetic HEp-2 set into `root` when `root` does not exist. */
  synthetic?: { kind: 'patterns' | 'intensity'; n: number; seed: number; anomalies?: number };
}

const str: SchemaNode = { type: 'string' };

export const datasetSchema: SchemaNode = {
  type: 'object',
  description: 'Where the images are and how to prepare them.',
  properties: {
    format: { type: 'string', enum: ['icpr2012', 'folder', 'csv'], default: 'icpr2012' },
    root: { type: 'path' },
    manifest: { type: 'path' },
    columns: {
      type: 'object',
      properties: { id: str, path: str, label: str, group: str, split: str, intensity: str, mask: str },
    },
    image: {
      type: 'object',
      properties: {
        size: { type: 'number', integer: true, min: 8, max: 1024, default: 64 },
        resize: { type: 'string', enum: ['pad', 'stretch'], default: 'pad' },
        channels: { type: 'string', enum: ['gray', 'rgb', 'red', 'green', 'blue'], default: 'gray' },
        mask: { type: 'boolean', default: false },
      },
    },
    mask: { type: 'object', properties: { column: str, pattern: str, dir: { type: 'path' } } },
    split: {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: SPLIT_KINDS, default: 'predefined' },
        folds: { type: 'number', integer: true, min: 2, default: 5 },
        valFraction: { type: 'number', min: 0, max: 0.9, default: 0.15 },
        testFraction: { type: 'number', min: 0, max: 0.9, default: 0.2 },
        groupBy: str,
        seed: { type: 'number', integer: true, default: 0 },
      },
    },
    anomalyFilter: {
      type: 'oneOf',
      default: false,
      options: [
        { type: 'literal', value: false },
        { type: 'object', properties: { std: { type: 'number', min: 0, default: 3 } } },
      ],
    },
    classWeights: {
      type: 'oneOf',
      default: 'none',
      options: [
        { type: 'string', enum: ['none', 'inverse', 'one-minus-frequency'] },
        { type: 'object', values: { type: 'number', min: 0 } },
      ],
    },
    onBadInput: { type: 'string', enum: ['fail', 'skip'], default: 'fail' },
    synthetic: {
      type: 'object',
      optional: true,
      description: 'Generate the synthetic HEp-2 set into `root` if it does not exist.',
      properties: {
        kind: { type: 'string', enum: ['patterns', 'intensity'], default: 'patterns' },
        n: { type: 'number', integer: true, min: 12, default: 1455 },
        seed: { type: 'number', integer: true, default: 1 },
        anomalies: { type: 'number', min: 0, max: 0.5 },
      },
    },
  },
};
