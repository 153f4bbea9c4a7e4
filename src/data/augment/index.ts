// Augmentation: small functions on one image or one batch, and the pipeline.
export { hflip, vflip, rot90, rotate, resizedCrop, translate } from './geometry';
export type { Img, Box, PadMode } from './geometry';
export { adjustBrightness, adjustContrast, erase } from './photometric';
export { adjustSaturation, adjustHue, toGrayscale, solarize } from './colour';
export { gaussianBlur } from './blur';
export { sampleBox, sampleBeta } from './boxes';
export { mixup, cutmix, cutmixBox } from './mix';
export { makeAugmenter, withAugmentation } from './pipeline';
