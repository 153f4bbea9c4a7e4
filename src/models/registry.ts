// Backbone registry in the timm style: registerBackbone(name, factory),
// createBackbone(name, options), listBackbones().
import * as tf from '@tensorflow/tfjs';
import { didYouMean } from '../engine/schema';

export interface BackboneOptions {
  /** [height, width, channels] */
  inputShape: [number, number, number];
  classes: number;
  /** Channel width multiplier (1 = the reference width). */
  width?: number;
  /** Dropout before the classifier. */
  dropout?: number;
  /** Fixes weight initialisation. */
  seed?: number;
}

export type ResolvedBackboneOptions = Required<BackboneOptions>;

export interface BackboneInfo {
  name: string;
  description: string;
}

export type BackboneFactory = (o: ResolvedBackboneOptions) => tf.LayersModel;

const registry = new Map<string, BackboneInfo & { factory: BackboneFactory }>();

export function registerBackbone(name: string, factory: BackboneFactory, info: { description: string }): void {
  if (registry.has(name)) throw new Error(`backbone '${name}' is already registered`);
  registry.set(name, { name, description: info.description, factory });
}

export function listBackbones(): BackboneInfo[] {
  return [...registry.values()].map(({ name, description }) => ({ name, description }));
}

export function createBackbone(name: string, o: BackboneOptions): tf.LayersModel {
  const entry = registry.get(name);
  if (!entry) {
    const names = [...registry.keys()];
    throw new Error(`backbone '${name}' is not registered.${didYouMean(name, names)} Available: ${names.join(', ')}`);
  }
  return entry.factory({ width: 1, dropout: 0, seed: 0, ...o });
}
