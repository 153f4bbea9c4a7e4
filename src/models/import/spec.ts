// What `model.pretrained` names, when it is a published net's weights:
//   torchvision:resnet18=PATH   the file at PATH, as torchvision's resnet18
//   timm:convnext_atto=PATH     the same for timm
//   torchvision:resnet18        the file in the weights cache (`cellab weights fetch`)
//   PATH.pth / PATH.safetensors the architecture is `model.backbone`
// Anything else (TF.js checkpoints, runs) is ../pretrained.ts's business.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findPublished, publishedWeights, IMAGENET, type PublishedWeights } from './published';
import { isTorchWeightsFile } from './read';
import { weightsDir } from './cache';
import { resolveBackboneName } from '../registry';

export interface PretrainedSpec {
  file: string;
  /** The published entry (normalisation, keys to ignore), when known. */
  published?: PublishedWeights;
  /** The backbone the weights are for. */
  arch: string;
  /** What the user wrote, for logs. */
  given: string;
}

const PUBLISHED_REF = /^(torchvision|timm):([^=]+)(?:=(.+))?$/;

export function isPublishedRef(p: string): boolean {
  return PUBLISHED_REF.test(p);
}

/** The published-weights reading of a `model.pretrained` value, or undefined when it is another kind. */
export function parsePretrainedSpec(value: string, backbone: string, env: NodeJS.ProcessEnv = process.env): PretrainedSpec | undefined {
  const m = PUBLISHED_REF.exec(value);
  if (m) {
    const published = findPublished(`${m[1]}:${m[2]}`);
    let file = m[3];
    if (!file) {
      file = path.join(weightsDir(env), published.file);
      if (!fs.existsSync(file)) {
        throw new Error(`model.pretrained: ${published.id} is not in the weights cache (${file}). Fetch it with \`cellab weights fetch ${published.id}\` ` +
          `(downloads ${published.url}), or download that file yourself and give its path: ${published.id}=PATH`);
      }
    } else if (!fs.existsSync(file)) {
      throw new Error(`model.pretrained: ${file} does not exist (${published.id}=PATH needs the downloaded ${published.file})`);
    }
    return { file, published, arch: published.arch, given: value };
  }
  if (fs.existsSync(value) && fs.statSync(value).isFile() && isTorchWeightsFile(value)) {
    const arch = resolveBackboneName(backbone);
    return { file: value, published: publishedWeights(arch), arch, given: value };
  }
  return undefined;
}

/** The normalisation the weights expect; ImageNet's when the source is unknown (a bare file of an arch without a published entry). */
export function expectedNormalization(spec: PretrainedSpec): { mean: number[]; std: number[]; source: string } {
  const n = spec.published?.normalization ?? IMAGENET;
  return { ...n, source: spec.published ? spec.published.id : 'ImageNet (assumed: no published entry for this backbone)' };
}
