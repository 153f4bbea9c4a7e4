// The `dataset` section of an experiment file. Keys fixed in DESIGN.md's
// conventions: format, root, manifest, columns, image, mask, split,
// anomalyFilter, classWeights, onBadInput. Added where the conventions are
// silent: classes, multiLabel, pathPattern, channelFiles, normalize, augment,
// cache, stream, workers, synthetic; bags and metadata (patient-level learning).
import type { SchemaNode } from '../engine/schema';
import type { ChannelChoice, Stain } from './preprocess/channels';

export const SPLIT_KINDS = ['predefined', 'stratified', 'kfold', 'stratified-kfold', 'group-kfold', 'stratified-group-kfold'] as const;
export type SplitKind = (typeof SPLIT_KINDS)[number];

export interface ImageConfig {
  size: number;
  resize: 'pad' | 'stretch';
  /** grey, rgb, one stain, or a list of stains in tensor order ([green, red, blue, yellow]). */
  channels: ChannelChoice;
  mask: boolean;
}

export interface SplitConfig {
  kind: SplitKind;
  folds: number;
  valFraction: number;
  testFraction: number;
  /** Item field or manifest column that names the group (default: the `group` column). */
  groupBy?: string;
  seed: number;
}

export interface AnomalyFilterConfig {
  /** Drop items more than `std` standard deviations from the class mean. */
  std: number;
  /**
   * `class`: mean intensity against its class's mean and std (the protein study's rule).
   * `specimen`: log mean intensity relative to the median of the other cells of its
   * specimen (group) in the same class, against the class's robust std (median
   * absolute deviation) — slides differ in exposure, so this finds bad cells that a
   * class-wide rule misses. Specimens with fewer than 3 cells of a class are kept.
   */
  method: 'class' | 'specimen';
}

export type ClassWeightsConfig = 'none' | 'inverse' | 'one-minus-frequency' | Record<string, number>;

/**
 * false: pixels in 0..1; `train`: per-channel mean/std of the training split;
 * `image`: each image by its own mean and std (TF's per_image_standardization);
 * or given values.
 */
export type NormalizeConfig = false | 'train' | 'image' | { mean: number | number[]; std: number | number[] };

export interface AugmentConfig {
  /** Probability of a horizontal / vertical flip. */
  hflip: number;
  vflip: number;
  /** Random multiple of 90 degrees. */
  rotate90: boolean;
  /** Arbitrary rotation: one of `angles` equally spaced angles, or uniform in +-maxDegrees. */
  rotate?: { angles?: number; maxDegrees?: number; p: number };
  /** Random resized crop: area share and aspect ratio ranges. */
  crop?: { scale: [number, number]; ratio: [number, number]; p: number };
  /**
   * Random shift by up to `pixels` in x and y, the border filled by reflection
   * (or zeros): torchvision's RandomCrop(size, padding=pixels, padding_mode='reflect').
   */
  translate?: { pixels: number; padding: 'reflect' | 'zero'; p: number };
  /** Multiply by a factor in [1 - brightness, 1 + brightness]. */
  brightness: number;
  /** Scale the distance from the image mean by a factor in [1 - contrast, 1 + contrast]. */
  contrast: number;
  /** Blend with the grayscale image by a factor in [1 - saturation, 1 + saturation] (RGB only). */
  saturation: number;
  /** Rotate the hue by up to +-hue turns (RGB only, 0..0.5). */
  hue: number;
  /** Probability that the colour jitter (brightness, contrast, saturation, hue) applies at all (torchvision's RandomApply). */
  jitterP: number;
  /** Probability of converting to grayscale (RGB only). */
  grayscale: number;
  /** Gaussian blur with sigma (pixels) uniform in `sigma`. */
  blur?: { p: number; sigma: [number, number] };
  /** Invert values at or above `threshold` (0..1 pixels). */
  solarize?: { p: number; threshold: number };
  /** Random erasing (cutout): a rectangle set to `value`. */
  erasing?: { p: number; scale: [number, number]; ratio: [number, number]; value: number };
  /** Mixup / CutMix with Beta(alpha, alpha) mixing; soft targets. With both, one of them per batch. */
  mixup?: { alpha: number; p: number };
  cutmix?: { alpha: number; p: number };
}

/** `dataset.cells`: field images split into single-cell crops that inherit the image's labels (weak supervision). */
export interface CellsConfig {
  /** Segmentation label image of each field image (one integer per cell, 0 background), e.g. `train/{id}_cells.png`. Without it: Otsu threshold of `nucleiChannel` and connected components. */
  segmentation?: string;
  /** The stain Otsu's threshold finds nuclei in (blue: DAPI in HPA). */
  nucleiChannel: Stain;
  /** Crop around a nucleus: its bounding box scaled by this (a cell is larger than its nucleus). Segmented cells use their own box. */
  expand: number;
  /** Objects smaller than this many pixels (full resolution) are not cells. */
  minArea: number;
  /** At most this many cells per image (the largest are kept). */
  maxCells: number;
  /** With a segmentation: zero the pixels of other cells inside a crop. */
  isolate: boolean;
  /** How an image's prediction is made from its cells' scores. */
  aggregate: 'mean' | 'max';
}

/** A bag-level metadata column: numeric (standardised on training bags) or categorical (one-hot); auto: numeric when every value is a number. */
export interface MetadataColumnConfig {
  column: string;
  type: 'auto' | 'numeric' | 'categorical';
}

export interface DatasetConfig {
  /** dlmi: the DLMI lymphocytosis layout (clinical_annotation.csv + trainset/<ID>/*.jpg). */
  format: 'icpr2012' | 'folder' | 'csv' | 'dlmi';
  root: string;
  manifest?: string;
  columns: { id?: string; path?: string; label?: string; group?: string; split?: string; intensity?: string; mask?: string };
  /** The expected class names: a label outside them is bad input. Default: the labels found. */
  classes?: string[];
  /**
   * `keep`: the label as written is the class; `first`: a label set like `16 0` or `8|5`
   * keeps its first label; `multi`: every label of the set (multi-label targets).
   */
  multiLabel: 'keep' | 'first' | 'multi';
  /** Multi-label as one 0/1 column per label (the column name is the label). */
  labelColumns?: string[];
  /** File naming the classes of numeric label ids: CSV `id,name` (header optional) or JSON `{"0": "Nucleoplasm"}`. */
  classMap?: string;
  /** Image path from the id when the manifest has no path column, e.g. `train/{id}_green.png`. */
  pathPattern?: string;
  /** One grey file per stain (HPA): `{red: '{id}_red.png', green: '{id}_green.png', blue: '{id}_blue.png', yellow: '{id}_yellow.png'}`. */
  channelFiles?: Partial<Record<Stain, string>>;
  image: ImageConfig;
  mask: { column?: string; pattern?: string; dir?: string };
  split: SplitConfig;
  anomalyFilter: AnomalyFilterConfig | false;
  classWeights: ClassWeightsConfig;
  onBadInput: 'fail' | 'skip';
  normalize: NormalizeConfig;
  augment: AugmentConfig | false;
  cache: { enabled: boolean; dir?: string };
  stream: 'auto' | boolean;
  workers?: number;
  /** Generate the synthetic set into `out` (default `root`) when that folder does not exist (n: patients for lymphocytosis; protein: field images). */
  synthetic?: { kind: 'patterns' | 'intensity' | 'lymphocytosis' | 'protein'; n: number; seed: number; anomalies?: number; out?: string };
  cells: CellsConfig | false;
  /**
   * Patient-level learning: the item field or column naming each image's bag (`group`, or a
   * manifest column such as `ID`); false: every image is its own sample. A bag has one label;
   * splits keep bags whole.
   */
  bags: string | false;
  /** Bag-level clinical columns fed to the model (`[AGE, LYMPH_COUNT]`); entries are names or {column, type}. */
  metadata: (string | MetadataColumnConfig)[];
}

/** Keys that change how fast data is prepared, never what a trial computes (leave them out of config hashes). */
export const DATASET_RUNTIME_KEYS = ['cache', 'stream', 'workers'] as const;

const str: SchemaNode = { type: 'string' };
const prob = (d: number): SchemaNode => ({ type: 'number', min: 0, max: 1, default: d });
const range = (d: [number, number], min = 0): SchemaNode => ({ type: 'array', items: { type: 'number', min }, default: d, minItems: 2 });
const numberOrList: SchemaNode = { type: 'oneOf', options: [{ type: 'number' }, { type: 'array', items: { type: 'number' }, minItems: 1 }] };

/** The augmentation mapping itself (also the self-supervised views, `train.ssl.views`). */
export const augmentOptionsSchema: Extract<SchemaNode, { type: 'object' }> = {
  type: 'object',
  properties: {
    hflip: prob(0),
    vflip: prob(0),
    rotate90: { type: 'boolean', default: false },
    rotate: { type: 'object', optional: true, properties: { angles: { type: 'number', integer: true, min: 2 }, maxDegrees: { type: 'number', min: 0, max: 180 }, p: prob(1) } },
    crop: { type: 'object', optional: true, properties: { scale: range([0.8, 1]), ratio: range([3 / 4, 4 / 3]), p: prob(1) } },
    translate: {
      type: 'object', optional: true,
      description: "shift by up to `pixels` in x and y, border by reflection (torchvision's RandomCrop(size, padding=pixels, padding_mode='reflect')) or zeros",
      properties: { pixels: { type: 'number', integer: true, min: 1, default: 4 }, padding: { type: 'string', enum: ['reflect', 'zero'], default: 'reflect' }, p: prob(1) },
    },
    brightness: { type: 'number', min: 0, max: 1, default: 0 },
    contrast: { type: 'number', min: 0, max: 1, default: 0 },
    saturation: { type: 'number', min: 0, max: 1, default: 0, description: 'RGB only' },
    hue: { type: 'number', min: 0, max: 0.5, default: 0, description: 'RGB only; in turns' },
    jitterP: { type: 'number', min: 0, max: 1, default: 1, description: 'probability that brightness/contrast/saturation/hue jitter applies' },
    grayscale: { type: 'number', min: 0, max: 1, default: 0, description: 'probability; RGB only' },
    blur: { type: 'object', optional: true, properties: { p: prob(0.5), sigma: range([0.1, 2]) } },
    solarize: { type: 'object', optional: true, properties: { p: prob(0.2), threshold: { type: 'number', min: 0, max: 1, default: 0.5 } } },
    erasing: { type: 'object', optional: true, properties: { p: prob(0.5), scale: range([0.02, 0.2]), ratio: range([0.3, 3.3]), value: { type: 'number', default: 0 } } },
    mixup: { type: 'object', optional: true, properties: { alpha: { type: 'number', min: 0, default: 0.2 }, p: prob(1) } },
    cutmix: { type: 'object', optional: true, properties: { alpha: { type: 'number', min: 0, default: 1 }, p: prob(1) } },
  },
};

export const augmentSchema: SchemaNode = {
  type: 'oneOf',
  default: false,
  description: 'Training-time augmentation (seeded, per batch; never applied to val/test).',
  options: [{ type: 'literal', value: false }, augmentOptionsSchema],
};

export const datasetSchema: SchemaNode = {
  type: 'object',
  description: 'Where the images are and how to prepare them.',
  properties: {
    format: { type: 'string', enum: ['icpr2012', 'folder', 'csv', 'dlmi'], default: 'icpr2012', description: 'dlmi: clinical_annotation.csv + trainset/<ID>/*.jpg (the lymphocytosis challenge)' },
    root: { type: 'path' },
    manifest: { type: 'path', description: 'CSV listing the images; a relative path is looked for under root first, then beside the experiment file' },
    columns: {
      type: 'object',
      properties: { id: str, path: str, label: str, group: str, split: str, intensity: str, mask: str },
    },
    classes: { type: 'array', items: str, minItems: 2, description: 'class names; with numeric label ids (HPA), in id order' },
    multiLabel: {
      type: 'string', enum: ['keep', 'first', 'multi'], default: 'keep',
      description: 'label sets like `16 0` or `8|5`: keep as written, first label only, or multi (every label: multi-label targets)',
    },
    labelColumns: { type: 'array', items: str, minItems: 2, description: 'multi-label as one 0/1 column per label (column name = label)' },
    classMap: { type: 'path', description: 'class names of numeric label ids: CSV id,name or JSON {"0": "Nucleoplasm"}' },
    pathPattern: str,
    channelFiles: { type: 'object', optional: true, properties: { red: str, green: str, blue: str, yellow: str } },
    image: {
      type: 'object',
      properties: {
        size: { type: 'number', integer: true, min: 8, max: 1024, default: 64 },
        resize: { type: 'string', enum: ['pad', 'stretch'], default: 'pad' },
        channels: {
          type: 'oneOf', default: 'gray',
          description: 'gray | rgb | red | green | blue | yellow, or a list of stains in tensor order, e.g. [green, red, blue, yellow]',
          options: [
            { type: 'string', enum: ['gray', 'rgb', 'red', 'green', 'blue', 'yellow'] },
            { type: 'array', items: { type: 'string', enum: ['red', 'green', 'blue', 'yellow'] }, minItems: 1 },
          ],
        },
        mask: { type: 'boolean', default: false },
      },
    },
    mask: { type: 'object', properties: { column: str, pattern: str, dir: { type: 'path', description: 'folder of masks mirroring the images; relative: under root first, then beside the experiment file' } } },
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
        { type: 'object', properties: { std: { type: 'number', min: 0, default: 3 }, method: { type: 'string', enum: ['class', 'specimen'], default: 'class' } } },
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
    normalize: {
      type: 'oneOf',
      default: false,
      description: 'false: pixels in 0..1; train: per-channel mean/std of the training split; image: each image by its own mean and std (after augmentation); or given {mean, std}.',
      options: [
        { type: 'literal', value: false },
        { type: 'string', enum: ['train', 'image'] },
        { type: 'object', properties: { mean: numberOrList, std: numberOrList } },
      ],
    },
    augment: augmentSchema,
    cache: {
      type: 'object',
      description: 'On-disk cache of preprocessed images (a second run skips decoding).',
      properties: { enabled: { type: 'boolean', default: true }, dir: { type: 'path' } },
    },
    stream: {
      type: 'oneOf',
      default: 'auto',
      description: 'Read batches from the cache file instead of memory (auto: above 1 GiB of pixels).',
      options: [{ type: 'string', enum: ['auto'] }, { type: 'boolean' }],
    },
    workers: { type: 'number', integer: true, min: 1, max: 64, description: 'Threads decoding images, the main one included (default: the cores, up to 4). Workers start only when the work measured on the main thread is worth one (about 200 ms of decoding left; 20 ms once a worker is running).' },
    synthetic: {
      type: 'object',
      optional: true,
      description: 'Generate the synthetic set into `out` (default: `root`) if it does not exist.',
      properties: {
        out: { type: 'path', description: 'where to generate (e.g. the folder holding a csv manifest); default: root' },
        kind: { type: 'string', enum: ['patterns', 'intensity', 'lymphocytosis', 'protein'], default: 'patterns' },
        n: { type: 'number', integer: true, min: 12, default: 1455, description: 'cells/images; labelled patients for lymphocytosis; field images for protein' },
        seed: { type: 'number', integer: true, default: 1 },
        anomalies: { type: 'number', min: 0, max: 0.5 },
      },
    },
    cells: {
      type: 'oneOf', default: false,
      description: 'split field images into single-cell crops that inherit the image labels; image predictions aggregate their cells',
      options: [
        { type: 'literal', value: false },
        {
          type: 'object',
          properties: {
            segmentation: { type: 'string', description: 'label image per field image (0 background, one integer per cell), e.g. train/{id}_cells.png; default: Otsu on nucleiChannel' },
            nucleiChannel: { type: 'string', enum: ['red', 'green', 'blue', 'yellow'], default: 'blue' },
            expand: { type: 'number', min: 1, max: 6, default: 2.2 },
            minArea: { type: 'number', integer: true, min: 1, default: 30 },
            maxCells: { type: 'number', integer: true, min: 1, default: 16 },
            isolate: { type: 'boolean', default: true },
            aggregate: { type: 'string', enum: ['mean', 'max'], default: 'mean' },
          },
        },
      ],
    },
    bags: {
      type: 'oneOf', default: false,
      description: 'patient-level learning: the item field or column naming each image\'s bag (group, or e.g. ID); false: images are samples',
      options: [{ type: 'literal', value: false }, { type: 'string' }],
    },
    metadata: {
      type: 'array', default: [],
      description: 'bag-level clinical columns for the model: names, or {column, type: auto|numeric|categorical}',
      items: {
        type: 'oneOf',
        options: [
          { type: 'string' },
          { type: 'object', properties: { column: { type: 'string' }, type: { type: 'string', enum: ['auto', 'numeric', 'categorical'], default: 'auto' } } },
        ],
      },
    },
  },
};
