// The published weights cellab knows: where each file comes from, how to
// check it, what the net expects of its input, and which of its keys the
// architecture drops on purpose. Used by `cellab weights list|fetch|verify`
// and by `model.pretrained: torchvision:resnet18[=PATH]`.
//
// Hashes: torchvision names each file `<name>-<first 8 hex of its SHA-256>.pth`
// (torch.hub checks that prefix); where the full SHA-256 is not recorded here
// (none could be downloaded to compute it), only that published prefix is
// checked, and `cellab weights list` says so. timm's files are pinned by
// repository revision and not hash-checked (said so too).
import { resolveBackboneName } from '../registry';

export type WeightsSource = 'torchvision' | 'timm';

export interface Normalization { mean: number[]; std: number[] }

export interface PublishedWeights {
  /** `torchvision:resnet18`: what `model.pretrained` and `cellab weights fetch` accept. */
  id: string;
  source: WeightsSource;
  /** The source's own model name. */
  name: string;
  /** Our backbone (at width 1). */
  arch: string;
  url: string;
  /** File name in the weights cache. */
  file: string;
  /** Full SHA-256 of the file, when known. */
  sha256?: string;
  /** The hash prefix the source publishes in the file name (torchvision). */
  sha256Prefix?: string;
  classes: number;
  /** The resolution the weights were trained/evaluated at. */
  inputSize: number;
  normalization: Normalization;
  /** Keys of the file the architecture drops (auxiliary heads). */
  ignore?: RegExp[];
  /** Source key -> our annotated key, when the file's names differ from the annotation. */
  rename?: (key: string) => string;
}

export const IMAGENET: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** torchvision's GoogLeNet/Inception-v3 weights come with transform_input=True: that is (x - 0.5) / 0.5 per channel. */
export const INCEPTION: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

const TV = 'https://download.pytorch.org/models/';

function torchvision(name: string, arch: string, file: string, o: Partial<PublishedWeights> = {}): PublishedWeights {
  const prefix = /-([0-9a-f]{8,})\.pth$/.exec(file)?.[1];
  return { id: `torchvision:${name}`, source: 'torchvision', name, arch, url: TV + file, file, sha256Prefix: prefix,
    classes: 1000, inputSize: 224, normalization: IMAGENET, ...o };
}

/**
 * timm's Hugging Face files, at a pinned repository revision (the file cannot
 * change under the URL). No SHA-256 is recorded for them here: `cellab weights
 * list` says they are not hash-checked.
 */
function timm(name: string, arch: string, tag: string, revision: string, o: Partial<PublishedWeights> & { remote?: string } = {}): PublishedWeights {
  const { remote = 'model.safetensors', ...rest } = o;
  return { id: `timm:${name}`, source: 'timm', name, arch, url: `https://huggingface.co/timm/${name}.${tag}/resolve/${revision}/${remote}`,
    file: `timm-${name}.${tag}${remote.slice(remote.lastIndexOf('.'))}`, classes: 1000, inputSize: 224, normalization: IMAGENET, ...rest };
}

const PUBLISHED: PublishedWeights[] = [
  torchvision('resnet18', 'resnet18', 'resnet18-f37072fd.pth'),
  torchvision('resnet34', 'resnet34', 'resnet34-b627a593.pth'),
  torchvision('resnet50', 'resnet50', 'resnet50-0676ba61.pth'),
  torchvision('mobilenet_v2', 'mobilenetv2', 'mobilenet_v2-b0353104.pth'),
  torchvision('efficientnet_b0', 'efficientnet-b0', 'efficientnet_b0_rwightman-3dd342df.pth'),
  torchvision('efficientnet_b1', 'efficientnet-b1', 'efficientnet_b1_rwightman-533bc792.pth', { inputSize: 240 }),
  torchvision('efficientnet_b2', 'efficientnet-b2', 'efficientnet_b2_rwightman-bcdf34b7.pth', { inputSize: 288 }),
  torchvision('efficientnet_b3', 'efficientnet-b3', 'efficientnet_b3_rwightman-cf984f9c.pth', { inputSize: 300 }),
  torchvision('efficientnet_b4', 'efficientnet-b4', 'efficientnet_b4_rwightman-7eb33cd5.pth', { inputSize: 380 }),
  torchvision('efficientnet_b5', 'efficientnet-b5', 'efficientnet_b5_lukemelas-b6417697.pth', { inputSize: 456 }),
  torchvision('efficientnet_b6', 'efficientnet-b6', 'efficientnet_b6_lukemelas-c76e70fd.pth', { inputSize: 528 }),
  torchvision('efficientnet_b7', 'efficientnet-b7', 'efficientnet_b7_lukemelas-dcc49843.pth', { inputSize: 600 }),
  torchvision('convnext_tiny', 'convnext-tiny', 'convnext_tiny-983f1562.pth'),
  // Trained with transform_input=True: the input is (x - 0.5) / 0.5; the auxiliary heads are dropped.
  torchvision('googlenet', 'googlenet', 'googlenet-1378be20.pth', { normalization: INCEPTION, ignore: [/^aux[12]\./] }),
  torchvision('vit_b_16', 'vit-b-16', 'vit_b_16-c867db91.pth'),
  torchvision('inception_v3', 'inception-v3', 'inception_v3_google-0cc3c7bd.pth', { normalization: INCEPTION, inputSize: 299, ignore: [/^AuxLogits\./] }),
  timm('convnext_atto', 'convnext-atto', 'd2_in1k', '0f23f6bf8b1721dc0889ea6943b36c8a8b884b30'),
  // At this revision the repository holds the PyTorch file only (read by the restricted unpickler).
  timm('coatnet_0_rw_224', 'coatnet-0', 'sw_in1k', '21b86a006f71f96854448483256ca53662ace8e6', { remote: 'pytorch_model.bin', ignore: [/relative_position_index$/] }),
];

export function registerPublished(w: PublishedWeights): void {
  if (PUBLISHED.some((p) => p.id === w.id)) throw new Error(`published weights ${w.id} are already registered`);
  PUBLISHED.push(w);
}

export function listPublished(): PublishedWeights[] {
  return [...PUBLISHED];
}

/** `torchvision:resnet18` (or `timm:convnext_atto`). */
export function findPublished(id: string): PublishedWeights {
  const hit = PUBLISHED.find((p) => p.id === id);
  if (hit) return hit;
  const [source, name] = id.split(':');
  const similar = PUBLISHED.filter((p) => p.source === source || p.name === name).map((p) => p.id);
  throw new Error(`no published weights named '${id}'. Known: ${(similar.length ? similar : PUBLISHED.map((p) => p.id)).join(', ')} (cellab weights list)`);
}

/** The published weights of one of our backbones (the first registered), if any. */
export function publishedWeights(arch: string): PublishedWeights | undefined {
  const name = resolveBackboneName(arch);
  return PUBLISHED.find((p) => p.arch === name);
}
