// The one dataset type every loader produces and every later step consumes.
import type { Stain } from './preprocess/channels';

export type SplitName = 'train' | 'val' | 'test';

export interface DatasetItem {
  /** Unique within the dataset (e.g. the ICPR cell ID). */
  id: string;
  /** Absolute path of the image file. */
  path: string;
  /** Class name as spelled in the source (matched case-insensitively to `classes`); multi-label: the set joined by `|`. */
  label: string;
  /** Multi-label (`dataset.multiLabel: multi`): every label of the item, as class names (may be empty only for no label at all). */
  labels?: string[];
  /** Cell crops (`dataset.cells`): the region of the field image this item is, and the image it came from. */
  crop?: { x: number; y: number; width: number; height: number; /** Segmented cell's value in the label image (isolate others). */ cell?: number; segmentation?: string; image: string };
  /** Absolute path of the binary mask, when the dataset has masks. */
  maskPath?: string;
  /** One grey file per stain (HPA's `<id>_green.png`, ...); `path` is then the first of them. */
  channelPaths?: Partial<Record<Stain, string>>;
  /** Specimen / patient / source image: items of one group never straddle a split. */
  group?: string;
  /** Split given by the source (predefined splits). */
  split?: SplitName;
  /** Any other manifest columns (intensity, width, ...). */
  extra: Record<string, string>;
  /** Where the item came from, for messages (`labels.csv:12`, a folder). */
  source?: string;
}

export interface Dataset {
  format: string;
  root: string;
  /** Sorted class names; a label's index here is its class index. */
  classes: string[];
  items: DatasetItem[];
}

export interface DatasetSplit {
  train: DatasetItem[];
  val: DatasetItem[];
  test: DatasetItem[];
  /** k-fold: which fold is held out (0-based) and how many there are. */
  fold?: number;
  folds?: number;
}
