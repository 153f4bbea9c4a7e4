// Finding cells in a field image: Otsu's threshold of the nuclear stain and
// connected components (each nucleus a cell, its box widened to the cell
// around it), or the boxes of a segmentation label image (one integer per
// cell, 0 background, as HPA's cell segmentations are distributed).

export interface CellBox {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Pixels of the nucleus (Otsu) or of the cell (segmentation). */
  area: number;
  /** The cell's value in the label image (segmentations only). */
  cell?: number;
}

/** Otsu's threshold of integer samples in 0..maxValue: the level maximising the between-class variance (foreground: > level; maxValue for a uniform image). */
export function otsuThreshold(values: ArrayLike<number>, maxValue = 255): number {
  const bins = 256;
  const scale = (bins - 1) / maxValue;
  const hist = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) hist[Math.min(bins - 1, Math.round(values[i] * scale))]++;
  const total = values.length;
  let sumAll = 0;
  for (let b = 0; b < bins; b++) sumAll += b * hist[b];
  let wB = 0, sumB = 0, best = 0, bestVar = -1;
  for (let b = 0; b < bins; b++) {
    wB += hist[b];
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += b * hist[b];
    const mB = sumB / wB, mF = (sumAll - sumB) / wF;
    const v = wB * wF * (mB - mF) ** 2;
    if (v > bestVar) { bestVar = v; best = b; }
  }
  // One grey level (a blank image): nothing is foreground.
  return bestVar <= 0 ? maxValue : best / scale;
}

/** 4-connected components of the non-zero pixels: a label per pixel (0 background, 1..count) and each component's area. */
export function connectedComponents(binary: ArrayLike<number>, width: number, height: number): { labels: Int32Array; count: number; areas: number[] } {
  const labels = new Int32Array(width * height);
  const areas: number[] = [0];
  const stack: number[] = [];
  let count = 0;
  for (let start = 0; start < labels.length; start++) {
    if (!binary[start] || labels[start]) continue;
    count++;
    let area = 0;
    labels[start] = count;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      area++;
      const x = i % width, y = (i - x) / width;
      if (x > 0 && binary[i - 1] && !labels[i - 1]) { labels[i - 1] = count; stack.push(i - 1); }
      if (x < width - 1 && binary[i + 1] && !labels[i + 1]) { labels[i + 1] = count; stack.push(i + 1); }
      if (y > 0 && binary[i - width] && !labels[i - width]) { labels[i - width] = count; stack.push(i - width); }
      if (y < height - 1 && binary[i + width] && !labels[i + width]) { labels[i + width] = count; stack.push(i + width); }
    }
    areas.push(area);
  }
  return { labels, count, areas };
}

/** Bounding box and area of every non-zero value of a label image. */
export function labelBoxes(labels: ArrayLike<number>, width: number, height: number): CellBox[] {
  const boxes = new Map<number, { x0: number; y0: number; x1: number; y1: number; area: number }>();
  for (let i = 0; i < width * height; i++) {
    const v = labels[i];
    if (!v) continue;
    const x = i % width, y = (i - x) / width;
    const b = boxes.get(v);
    if (!b) boxes.set(v, { x0: x, y0: y, x1: x + 1, y1: y + 1, area: 1 });
    else { b.x0 = Math.min(b.x0, x); b.y0 = Math.min(b.y0, y); b.x1 = Math.max(b.x1, x + 1); b.y1 = Math.max(b.y1, y + 1); b.area++; }
  }
  return [...boxes.entries()].sort((a, b) => a[0] - b[0]).map(([cell, b]) => ({ x: b.x0, y: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0, area: b.area, cell }));
}

/** A box scaled about its centre by `factor`, made square, clipped to the image. */
export function expandBox(b: CellBox, factor: number, width: number, height: number): CellBox {
  const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
  const side = Math.max(b.width, b.height) * factor;
  const x0 = Math.max(0, Math.round(cx - side / 2)), y0 = Math.max(0, Math.round(cy - side / 2));
  const x1 = Math.min(width, Math.round(cx + side / 2)), y1 = Math.min(height, Math.round(cy + side / 2));
  return { ...b, x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/**
 * Cells of a field image from its nuclear stain: Otsu's threshold, 4-connected components
 * of at least `minArea` pixels, each nucleus box widened by `expand`.
 */
export function nucleiCells(plane: ArrayLike<number>, width: number, height: number, o: { maxValue: number; minArea: number; expand: number }): { boxes: CellBox[]; threshold: number } {
  const threshold = otsuThreshold(plane, o.maxValue);
  const binary = new Uint8Array(width * height);
  for (let i = 0; i < binary.length; i++) binary[i] = plane[i] > threshold ? 1 : 0;
  const { labels } = connectedComponents(binary, width, height);
  const boxes = labelBoxes(labels, width, height).filter((b) => b.area >= o.minArea).map(({ cell: _c, ...b }) => expandBox(b, o.expand, width, height));
  return { boxes, threshold };
}
