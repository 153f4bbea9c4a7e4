// One cell crop and its mask, from the plan and its specimen's look.
import type { Random } from '../../engine/random';
import { drawCell } from './cell-shape';
import type { ItemPlan } from './plan';
import { imageCell, type SpecimenLook } from './specimen';
import { renderStain } from './textures';

export interface RenderedCell {
  width: number;
  height: number;
  /** 8-bit grey, row-major. */
  image: Uint8Array;
  /** 0 outside the cell, 255 inside. */
  mask: Uint8Array;
}

export function renderCell(item: ItemPlan, look: SpecimenLook, rng: Random): RenderedCell {
  const g = drawCell(rng, look.sizeScale);
  const stain = renderStain(item.pattern === '' ? 'negative' : item.pattern, g, rng, look.texture);
  const image = imageCell(stain, g, look, item.anomaly, rng);
  const mask = new Uint8Array(g.mask.length);
  for (let i = 0; i < mask.length; i++) mask[i] = g.mask[i] ? 255 : 0;
  return { width: g.width, height: g.height, image, mask };
}
