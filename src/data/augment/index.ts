// Augmentation: small functions on one image or one batch, and the pipeline.
export { hflip, vflip, rot90, rotate, resizedCrop } from './geometry';
export type { Img, Box } from './geometry';
export { adjustBrightness, adjustContrast, erase } from './photometric';
export { adjustSaturation, adjustHue, toGrayscale, solarize } from './colour';
export { gaussianBlur } from './blur';
export { sampleBox, sampleBeta } from './boxes';
export { mixup, cutmix, cutmixBox } from './mix';
export { makeAugmenter, withAugmentation } from './pipeline';
