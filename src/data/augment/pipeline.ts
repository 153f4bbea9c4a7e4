// The `dataset.augment` config as one batch transform, and a wrapper that
// puts it on a training source (val/test never get it). Per image: crop,
// translation, flips, quarter turns, rotation, colour jitter (brightness,
// contrast, saturation, hue), grayscale, blur, solarize, erasing
// (torchvision's usual order: geometry, then photometry, then erasing); then
// per batch: mixup or CutMix. Normalisation comes after all of them
// (batches.ts), as torchvision's Normalize ends its pipelines. A step whose
// setting is off draws no random number, so adding a step leaves the draws of
// configs without it unchanged.
import * as tf from '@tensorflow/tfjs';
import { Random, seedFrom } from '../../engine/random';
import type { AugmentConfig } from '../schema';
import { ArrayBatchSource, type Batch, type BatchArrays, type BatchSource, type BatchTransform } from '../batches';
import { hflip, resizedCrop, rot90, rotate, translate, vflip, type Img } from './geometry';
import { DataError } from '../bad-input';
import { adjustBrightness, adjustContrast, erase } from './photometric';
import { adjustHue, adjustSaturation, solarize, toGrayscale } from './colour';
import { gaussianBlur } from './blur';
import { sampleBeta, sampleBox } from './boxes';
import { cutmix, cutmixBox, mixup } from './mix';

function augmentImage(img: Img, cfg: AugmentConfig, rng: Random): Float32Array {
  let d = img.data;
  const at = (data: Float32Array): Img => ({ ...img, data });
  if (cfg.crop && rng.bool(cfg.crop.p)) d = resizedCrop(at(d), sampleBox(img.h, img.w, cfg.crop.scale, cfg.crop.ratio, rng));
  if (cfg.translate && rng.bool(cfg.translate.p)) {
    // Offsets uniform in -k..k: the 2k + 1 crop positions of RandomCrop(padding=k).
    const k = cfg.translate.pixels;
    d = translate(at(d), rng.int(2 * k + 1) - k, rng.int(2 * k + 1) - k, cfg.translate.padding);
  }
  if (cfg.hflip > 0 && rng.bool(cfg.hflip)) d = hflip(at(d));
  if (cfg.vflip > 0 && rng.bool(cfg.vflip)) d = vflip(at(d));
  if (cfg.rotate90 && img.h === img.w) d = rot90(at(d), rng.int(4));
  if (cfg.rotate && rng.bool(cfg.rotate.p)) {
    const r = cfg.rotate;
    const degrees = r.angles ? (rng.int(r.angles) * 360) / r.angles : rng.uniform(-(r.maxDegrees ?? 180), r.maxDegrees ?? 180);
    if (degrees !== 0) d = rotate(at(d), degrees);
  }
  const jitter = cfg.brightness > 0 || cfg.contrast > 0 || cfg.saturation > 0 || cfg.hue > 0;
  if (jitter && (cfg.jitterP >= 1 || rng.bool(cfg.jitterP))) {
    if (cfg.brightness > 0) d = adjustBrightness(d, rng.uniform(1 - cfg.brightness, 1 + cfg.brightness));
    if (cfg.contrast > 0) d = adjustContrast(d, rng.uniform(1 - cfg.contrast, 1 + cfg.contrast));
    if (cfg.saturation > 0) d = adjustSaturation(at(d), rng.uniform(1 - cfg.saturation, 1 + cfg.saturation));
    if (cfg.hue > 0) d = adjustHue(at(d), rng.uniform(-cfg.hue, cfg.hue));
  }
  if (cfg.grayscale > 0 && rng.bool(cfg.grayscale)) d = toGrayscale(at(d));
  if (cfg.blur && rng.bool(cfg.blur.p)) d = gaussianBlur(at(d), rng.uniform(cfg.blur.sigma[0], cfg.blur.sigma[1]));
  if (cfg.solarize && rng.bool(cfg.solarize.p)) d = solarize(d, cfg.solarize.threshold);
  if (cfg.erasing && rng.bool(cfg.erasing.p)) d = erase(at(d), sampleBox(img.h, img.w, cfg.erasing.scale, cfg.erasing.ratio, rng), cfg.erasing.value);
  return d;
}

/** The batch transform for an `augment` config. */
export function makeAugmenter(cfg: AugmentConfig): BatchTransform {
  return (b: BatchArrays, rng: Random) => {
    const [h, w, c] = b.shape;
    if (cfg.translate && cfg.translate.padding === 'reflect' && cfg.translate.pixels >= Math.min(h, w)) {
      throw new DataError(`dataset.augment.translate.pixels is ${cfg.translate.pixels} but reflection needs fewer pixels than the image side (${Math.min(h, w)}): lower it or use padding: zero`);
    }
    const per = h * w * c;
    for (let i = 0; i < b.n; i++) {
      const img: Img = { data: b.x.subarray(i * per, (i + 1) * per), h, w, c };
      const out = augmentImage(img, cfg, rng);
      if (out !== img.data) b.x.set(out, i * per);
    }
    // With both configured, one of them per batch (as timm's mixup/cutmix switch).
    const useCutmix = cfg.cutmix && (!cfg.mixup || rng.bool(0.5));
    const mix = useCutmix ? cfg.cutmix : cfg.mixup;
    if (!mix || b.n < 2 || !rng.bool(mix.p)) return;
    const perm = rng.shuffle(Array.from({ length: b.n }, (_, i) => i));
    const lam = sampleBeta(mix.alpha, rng);
    if (useCutmix) cutmix(b, cutmixBox(h, w, lam, rng.uniform(0, w), rng.uniform(0, h)), perm);
    else mixup(b, lam, perm);
  };
}

/** Any BatchSource with augmentation applied to its tensors (pixels assumed 0..1, unnormalised). */
class TensorAugmentedSource implements BatchSource {
  private passes = 0;
  constructor(private readonly inner: BatchSource, private readonly transform: BatchTransform, private readonly seed: number) {}
  get size() { return this.inner.size; }
  get numClasses() { return this.inner.numClasses; }
  get labels() { return this.inner.labels; }
  get targets() { return this.inner.targets; }
  get ids() { return this.inner.ids; }
  *batches(o: { batchSize: number; shuffle?: Random }): Iterable<Batch> {
    const pass = this.passes++;
    let bi = 0;
    for (const b of this.inner.batches(o)) {
      const [n, h, w, c] = b.x.shape;
      // Only sources not our own come here. A batch tensor made from JavaScript arrays keeps
      // its values on the CPU until first used (webgpu too), so this synchronous read copies
      // CPU memory (allowed: engine/reads.ts); one computed on a GPU fails with SyncReadError.
      const arrays: BatchArrays = { x: b.x.dataSync() as Float32Array, y: b.y.dataSync() as Float32Array, labels: b.labels, n, shape: [h, w, c], numClasses: this.numClasses };
      arrays.x = arrays.x.slice(); arrays.y = arrays.y.slice();
      this.transform(arrays, new Random(seedFrom(this.seed, 'augment', o.shuffle ? o.shuffle.seed : `pass${pass}`, bi++)));
      tf.dispose([b.x, b.y]);
      yield { x: tf.tensor4d(arrays.x, [n, h, w, c]), y: tf.tensor2d(arrays.y, [n, this.numClasses]), labels: b.labels, ...(b.targets ? { targets: b.targets } : {}), ids: b.ids };
    }
  }
}

/**
 * The training source with `cfg` augmentation (seeded; per batch). Our own
 * sources augment before normalisation; any other source is augmented on its
 * tensors. `false` returns the source unchanged.
 */
export function withAugmentation<S extends BatchSource>(source: S, cfg: AugmentConfig | false, seed: number): S | BatchSource {
  if (!cfg) return source;
  const transform = makeAugmenter(cfg);
  if (source instanceof ArrayBatchSource) return source.withOptions({ ...source.options, transform, seed });
  return new TensorAugmentedSource(source, transform, seed);
}
