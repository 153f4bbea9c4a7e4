// One blood-smear crop centred on a lymphocyte (May-Grünwald-Giemsa colours):
// a pale background with red blood cells, the lymphocyte's light-blue
// cytoplasm and its dark purple nucleus with chromatin texture. `atypia`
// (0..1) moves the shape: a typical lymphocyte is small and round with a
// thin rim of cytoplasm; an atypical one is larger, with a bigger, irregular
// and often cleaved nucleus and coarser chromatin. Typical and atypical
// cells overlap, so one cell says little; a bag of them says more.
import type { Random } from '../../engine/random';

/** Per patient (one smear, one stain): colours, brightness, noise. */
export interface SmearLook {
  background: [number, number, number];
  rbc: [number, number, number];
  cytoplasm: [number, number, number];
  nucleus: [number, number, number];
  noise: number;
}

export const CROP = 64;

export function smearLook(rng: Random): SmearLook {
  const shift = rng.normal(0, 6), gain = rng.uniform(0.93, 1.05);
  const c = (rgb: [number, number, number], jitter: number): [number, number, number] =>
    rgb.map((v) => Math.min(255, Math.max(0, (v + shift + rng.normal(0, jitter)) * gain))) as [number, number, number];
  return {
    background: c([234, 222, 226], 4),
    rbc: c([218, 158, 168], 6),
    cytoplasm: c([172, 184, 224], 6),
    nucleus: c([92, 54, 138], 6),
    noise: rng.uniform(3, 7),
  };
}

/** Atypia of one cell: typical cells around 0.2, atypical around 0.75 (clipped to 0..1). */
export function cellAtypia(atypical: boolean, rng: Random): number {
  return Math.min(1, Math.max(0, atypical ? rng.normal(0.75, 0.13) : rng.normal(0.2, 0.12)));
}

const smooth = (edge: number, d: number) => Math.min(1, Math.max(0, 0.5 - d / edge)); // 1 inside, 0 outside, linear over `edge` px

interface Blob { x: number; y: number; r: number; w: number }

/** RGB pixels (CROP x CROP x 3). */
export function renderLymphocyte(atypia: number, look: SmearLook, rng: Random): Uint8Array {
  const n = CROP, cx = n / 2 + rng.normal(0, 1.5), cy = n / 2 + rng.normal(0, 1.5);
  const rCell = 10.5 + 8 * atypia + rng.normal(0, 1);
  const ratio = Math.min(0.95, 0.7 + 0.2 * atypia + rng.normal(0, 0.04));
  const rNuc = rCell * ratio;
  const nx = cx + rng.normal(0, 1 + 2 * (1 - ratio) * rCell / 4), ny = cy + rng.normal(0, 1);
  const cellWaves = [2, 3].map((k) => ({ k, amp: rng.uniform(0, 0.04), ph: rng.uniform(0, 2 * Math.PI) }));
  const nucWaves = [2, 3, 4, 5].map((k) => ({ k, amp: rng.uniform(0, 0.02 + 0.13 * atypia) / (k - 1), ph: rng.uniform(0, 2 * Math.PI) }));
  // A cleft: a notch cut into the nucleus rim, likelier and deeper with atypia.
  const cleft = rng.bool(atypia * 0.9) ? { angle: rng.uniform(0, 2 * Math.PI), depth: rNuc * rng.uniform(0.25, 0.55) * atypia, width: rNuc * rng.uniform(0.25, 0.45) } : undefined;
  // Red blood cells around, never over the lymphocyte's middle.
  const rbcs: Blob[] = [];
  for (let k = 0, tries = 0; k < 3 + rng.int(4) && tries < 40; tries++) {
    const r = rng.uniform(8, 11), x = rng.uniform(-4, n + 4), y = rng.uniform(-4, n + 4);
    if (Math.hypot(x - cx, y - cy) < rCell + r * 0.6) continue;
    rbcs.push({ x, y, r, w: 0 });
    k++;
  }
  // Chromatin: dark and light clumps, coarser with atypia.
  const clumps: Blob[] = Array.from({ length: Math.round(10 + 14 * (1 - atypia)) }, () => {
    const t = rng.uniform(0, 2 * Math.PI), d = Math.sqrt(rng.next()) * rNuc;
    return { x: nx + d * Math.cos(t), y: ny + d * Math.sin(t), r: rng.uniform(1.2, 2) + 2.2 * atypia * rng.next(), w: rng.uniform(-0.35, 0.25) };
  });
  const out = new Uint8Array(n * n * 3);
  const bg = look.background, rc = look.rbc, cy3 = look.cytoplasm, nu = look.nucleus;
  // Rim radius at an angle from cos/sin of it (no atan2 per pixel): 1 + sum amp * cos(k * angle + phase).
  const pre = (waves: { k: number; amp: number; ph: number }[]) => waves.map((w) => ({ k: w.k, ac: w.amp * Math.cos(w.ph), as: w.amp * Math.sin(w.ph) }));
  const cellW = pre(cellWaves), nucW = pre(nucWaves);
  const rim = (cs: number, sn: number, waves: { k: number; ac: number; as: number }[]) => {
    let scale = 1, ck = 1, sk = 0, k = 0;
    for (const w of waves) {
      while (k < w.k) { const t = ck * cs - sk * sn; sk = sk * cs + ck * sn; ck = t; k++; }
      scale += ck * w.ac - sk * w.as;
    }
    return scale;
  };
  const reach = rCell * 1.2 + 2;
  const cleftCos = cleft ? Math.cos(cleft.angle) : 0, cleftSin = cleft ? Math.sin(cleft.angle) : 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const px = x + 0.5, py = y + 0.5;
      let r = bg[0], g = bg[1], b = bg[2];
      for (const bl of rbcs) {
        const dx = px - bl.x, dy = py - bl.y;
        if (Math.abs(dx) > bl.r + 1 || Math.abs(dy) > bl.r + 1) continue;
        const d = Math.sqrt(dx * dx + dy * dy);
        const inside = smooth(1.5, d - bl.r);
        if (inside <= 0) continue;
        const pallor = 0.35 * Math.max(0, 1 - d / (bl.r * 0.55));
        r += inside * (rc[0] + pallor * (bg[0] - rc[0]) - r);
        g += inside * (rc[1] + pallor * (bg[1] - rc[1]) - g);
        b += inside * (rc[2] + pallor * (bg[2] - rc[2]) - b);
      }
      const cdx = px - cx, cdy = py - cy;
      const dc = Math.sqrt(cdx * cdx + cdy * cdy);
      if (dc < reach) {
        const inCell = smooth(1.5, dc - rCell * rim(dc > 0 ? cdx / dc : 1, dc > 0 ? cdy / dc : 0, cellW));
        if (inCell > 0) { r += inCell * (cy3[0] - r); g += inCell * (cy3[1] - g); b += inCell * (cy3[2] - b); }
        const ndx = px - nx, ndy = py - ny;
        const dn = Math.sqrt(ndx * ndx + ndy * ndy);
        const cs = dn > 0 ? ndx / dn : 1, sn = dn > 0 ? ndy / dn : 0;
        let edge = rNuc * rim(cs, sn, nucW);
        if (cleft) {
          // Angle from the cleft's direction, as arc length on the nucleus.
          const off = Math.atan2(sn * cleftCos - cs * cleftSin, cs * cleftCos + sn * cleftSin) * rNuc;
          edge -= cleft.depth * Math.max(0, 1 - (off / cleft.width) ** 2);
        }
        const inNuc = smooth(1.2, dn - edge);
        if (inNuc > 0) {
          let shade = 0;
          for (const bl of clumps) {
            const d2 = (px - bl.x) ** 2 + (py - bl.y) ** 2;
            if (d2 < 9 * bl.r * bl.r) shade += bl.w * Math.exp(-d2 / (2 * bl.r * bl.r));
          }
          r += inNuc * (nu[0] * (1 + shade) - r);
          g += inNuc * (nu[1] * (1 + shade) - g);
          b += inNuc * (nu[2] * (1 + shade) - b);
        }
      }
      // Sensor noise: one approximately normal draw per pixel (sum of uniforms), mostly shared by the channels.
      const e = (rng.next() + rng.next() + rng.next() - 1.5) * 2 * look.noise;
      const o = (y * n + x) * 3;
      out[o] = Math.min(255, Math.max(0, Math.round(r + e)));
      out[o + 1] = Math.min(255, Math.max(0, Math.round(g + e)));
      out[o + 2] = Math.min(255, Math.max(0, Math.round(b + e + (rng.next() - 0.5) * look.noise)));
    }
  }
  return out;
}
