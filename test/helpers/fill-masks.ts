/**
 * Seeded hole masks for the fill-quality corpus, in four kinds:
 * - thin: 2–4 random brush strokes (polylines, 3–9 px wide: scratches, wires, text);
 * - medium: 1–3 blobs, each the union of two overlapping ellipses of 40–80 px;
 * - box: one rectangle of 20–30 % of each side;
 * - object: the hand-drawn outline of a real object in the photo (photo-corpus.ts), approximate.
 * Geometry is drawn in the 512×512 framing and scaled to the requested side, except stroke widths, which stay
 * 3–9 px at any size. Random masks keep an 8 px margin from the image border so the metrics' ring is all
 * there (object outlines follow their object, to the border where it goes).
 * Same (photo, kind, index) → same mask, on any machine.
 */
import { boxMask, ellipseMask, unionMask } from '../../src/images/mask-ops.ts';
import type { Mask } from '../../src/images/raster.ts';
import { createMask } from '../../src/images/raster.ts';
import type { CorpusPhoto, Shape } from './photo-corpus.ts';
import { BENCH_SIDE, corpus } from './photo-corpus.ts';
import { mulberry32 } from './random.ts';

export const maskKinds = ['thin', 'medium', 'box', 'object'] as const;
export type MaskKind = (typeof maskKinds)[number];

export interface HoleCase {
  photo: CorpusPhoto;
  kind: MaskKind;
  index: number;
  /** e.g. "chelsea thin #2" or "coffee object: cup". */
  label: string;
  hole: Mask;
}

const MARGIN = 8;

/** How many masks of `kind` a photo has: `perKind` random ones, or its objects (all of them, or the first `perKind`). */
export function maskCount(photo: CorpusPhoto, kind: MaskKind, perKind: number): number {
  return kind === 'object' ? Math.min(perKind, photo.objects.length) : perKind;
}

export function holeCase(photo: CorpusPhoto, kind: MaskKind, index: number, side = BENCH_SIDE): HoleCase {
  const s = side / BENCH_SIDE;
  let hole: Mask;
  let label = `${photo.name} ${kind} #${index}`;
  if (kind === 'object') {
    const object = photo.objects[index];
    if (!object) throw new RangeError(`${photo.name} has no object #${index}`);
    hole = shapesMask(side, object.shapes, s);
    label = `${photo.name} object: ${object.name}`;
  } else {
    // One stream per (photo, kind, index): adding a photo or a kind never changes the others' masks.
    const seed = 1 + corpus.indexOf(photo) * 1000 + maskKinds.indexOf(kind) * 100 + index;
    const rand = mulberry32(seed);
    hole = kind === 'thin' ? thinMask(side, rand, s) : kind === 'medium' ? mediumMask(side, rand, s) : randomBox(side, rand);
  }
  return { photo, kind, index, label, hole };
}

const between = (rand: () => number, lo: number, hi: number) => lo + (hi - lo) * rand();
const clampIn = (v: number, side: number) => Math.min(side - MARGIN, Math.max(MARGIN, v));

function thinMask(side: number, rand: () => number, s: number): Mask {
  const mask = createMask(side, side);
  const strokes = 2 + Math.floor(rand() * 3);
  for (let k = 0; k < strokes; k++) {
    const width = between(rand, 3, 9);
    let x = between(rand, MARGIN, side - MARGIN);
    let y = between(rand, MARGIN, side - MARGIN);
    let angle = rand() * 2 * Math.PI;
    const points = 3 + Math.floor(rand() * 4);
    for (let p = 0; p < points; p++) {
      angle += between(rand, -0.9, 0.9);
      const length = between(rand, 25, 70) * s;
      const nx = clampIn(x + Math.cos(angle) * length, side);
      const ny = clampIn(y + Math.sin(angle) * length, side);
      drawSegment(mask, x, y, nx, ny, width / 2);
      x = nx;
      y = ny;
    }
  }
  return mask;
}

function mediumMask(side: number, rand: () => number, s: number): Mask {
  let mask = createMask(side, side);
  const blobs = 1 + Math.floor(rand() * 3);
  for (let k = 0; k < blobs; k++) {
    const d = between(rand, 40, 80) * s;
    const cx = between(rand, MARGIN + d, side - MARGIN - d);
    const cy = between(rand, MARGIN + d, side - MARGIN - d);
    for (let e = 0; e < 2; e++) {
      // Two ellipses, the second shifted by up to a third of the size: a lumpy blob, not a clean oval.
      const w = d * between(rand, 0.6, 1);
      const h = d * between(rand, 0.6, 1);
      const ox = e === 0 ? 0 : between(rand, -d / 3, d / 3);
      const oy = e === 0 ? 0 : between(rand, -d / 3, d / 3);
      mask = unionMask(mask, ellipseMask(side, side, { x: cx + ox - w / 2, y: cy + oy - h / 2, w, h }));
    }
  }
  return mask;
}

function randomBox(side: number, rand: () => number): Mask {
  const w = Math.round(side * between(rand, 0.2, 0.3));
  const h = Math.round(side * between(rand, 0.2, 0.3));
  const x = Math.round(between(rand, MARGIN, side - MARGIN - w));
  const y = Math.round(between(rand, MARGIN, side - MARGIN - h));
  return boxMask(side, side, { x, y, w, h });
}

/** Union of ellipses and polygons given in 512-px coordinates, scaled by s. */
export function shapesMask(side: number, shapes: Shape[], s: number): Mask {
  let mask = createMask(side, side);
  for (const shape of shapes) {
    if ('ellipse' in shape) {
      const [cx, cy, rx, ry] = shape.ellipse;
      mask = unionMask(mask, ellipseMask(side, side, { x: (cx - rx) * s, y: (cy - ry) * s, w: 2 * rx * s, h: 2 * ry * s }));
    } else {
      fillPolygon(mask, shape.polygon.map(([x, y]) => [x * s, y * s]));
    }
  }
  return mask;
}

/** Even-odd scanline fill at pixel centres (pixel (x, y) is inside when (x + 0.5, y + 0.5) is). */
function fillPolygon(mask: Mask, points: number[][]): void {
  const { width, height, data } = mask;
  for (let y = 0; y < height; y++) {
    const cy = y + 0.5;
    const xs: number[] = [];
    for (let i = 0; i < points.length; i++) {
      const [x0, y0] = points[i];
      const [x1, y1] = points[(i + 1) % points.length];
      if (y0 <= cy === y1 <= cy) continue;
      xs.push(x0 + ((cy - y0) / (y1 - y0)) * (x1 - x0));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const lo = Math.max(0, Math.ceil(xs[k] - 0.5));
      const hi = Math.min(width - 1, Math.floor(xs[k + 1] - 0.5));
      if (lo <= hi) data.fill(1, y * width + lo, y * width + hi + 1);
    }
  }
}

/** A round-capped segment: every pixel centre within `r` of the segment (x0, y0)–(x1, y1). */
function drawSegment(mask: Mask, x0: number, y0: number, x1: number, y1: number, r: number): void {
  const { width, height, data } = mask;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy || 1;
  const top = Math.max(0, Math.floor(Math.min(y0, y1) - r));
  const bottom = Math.min(height - 1, Math.ceil(Math.max(y0, y1) + r));
  const left = Math.max(0, Math.floor(Math.min(x0, x1) - r));
  const right = Math.min(width - 1, Math.ceil(Math.max(x0, x1) + r));
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const px = x + 0.5 - x0;
      const py = y + 0.5 - y0;
      const t = Math.min(1, Math.max(0, (px * dx + py * dy) / len2));
      const ex = px - t * dx;
      const ey = py - t * dy;
      if (ex * ex + ey * ey <= r * r) data[y * width + x] = 1;
    }
  }
}
