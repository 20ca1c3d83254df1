/**
 * Previews shown to the user in chat: "is this the region you meant?" (mask overlay) and the
 * before/after strip. Pure pixel work; encoding happens elsewhere.
 */
import type { Mask, RgbImage } from './raster.ts';
import { createRgb } from './raster.ts';
import { maskBounds, shrinkRows } from './mask-ops.ts';

export type Rgb = readonly [number, number, number];

export interface OverlayOptions {
  /** Tint and outline colour; default magenta-red (255, 0, 90), readable on skin, sky and foliage alike. */
  color?: Rgb;
  /** Tint strength 0..1 inside the hole; default 0.45 so the content under the mask stays recognisable. */
  alpha?: number;
  /** Width of the solid outline drawn on the inner edge of the hole, in pixels; default 2, 0 disables. */
  outline?: number;
}

export const OVERLAY_COLOR: Rgb = [255, 0, 90];
export const OVERLAY_ALPHA = 0.45;
export const OVERLAY_OUTLINE = 2;
/** Neutral grey for gaps and letterboxing: reads as "not part of either image" on light and dark UIs. */
export const GAP_GREY = 128;
/** Grey pixels between the two halves of a before/after strip. */
export const STRIP_GAP = 8;

/**
 * Tint the hole and outline its boundary. The outline lies inside the hole (hole minus the hole eroded by
 * `outline` px), so every pixel outside the hole is returned untouched; the image border is not treated
 * as a boundary, so a hole touching the edge is not outlined along it.
 */
export function maskOverlay(image: RgbImage, mask: Mask, options: OverlayOptions = {}): RgbImage {
  if (image.width !== mask.width || image.height !== mask.height) {
    throw new Error(`overlay size mismatch: image ${image.width}x${image.height}, mask ${mask.width}x${mask.height}`);
  }
  const out = createRgb(image.width, image.height);
  out.data.set(image.data);
  paintOverlay(out, mask, options);
  return out;
}

/**
 * maskOverlay in place, for a caller done with the picture's own pixels (an edit's last preview): no copy of a
 * 40-megapixel picture. Works row by row on the hole's box: no full-size temporaries either.
 */
export function paintOverlay(image: RgbImage, mask: Mask, options: OverlayOptions = {}): void {
  if (image.width !== mask.width || image.height !== mask.height) {
    throw new Error(`overlay size mismatch: image ${image.width}x${image.height}, mask ${mask.width}x${mask.height}`);
  }
  const color = options.color ?? OVERLAY_COLOR;
  const alpha = Math.min(1, Math.max(0, options.alpha ?? OVERLAY_ALPHA));
  const outline = Math.max(0, Math.round(options.outline ?? OVERLAY_OUTLINE));
  // Only hole pixels are painted; the erosion still reads the whole mask around them.
  const box = maskBounds(mask);
  if (!box) return;
  const d = image.data;
  const md = mask.data;
  const r = color[0];
  const g = color[1];
  const b = color[2];
  // Pre-multiply the tint so the per-pixel work is one multiply-add per channel.
  const tr = r * alpha;
  const tg = g * alpha;
  const tb = b * alpha;
  const keep = 1 - alpha;
  const paint = (y: number, inner: Uint8Array, x0: number): void => {
    for (let x = 0, p = y * image.width + x0, i = p * 3; x < inner.length; x++, p++, i += 3) {
      if (md[p] === 0) continue;
      if (inner[x] === 0) {
        d[i] = r;
        d[i + 1] = g;
        d[i + 2] = b;
      } else {
        d[i] = Math.round(d[i] * keep + tr);
        d[i + 1] = Math.round(d[i + 1] * keep + tg);
        d[i + 2] = Math.round(d[i + 2] * keep + tb);
      }
    }
  };
  // The outline is the hole minus the hole shrunk by `outline` px, over the hole's box only.
  if (outline > 0) shrinkRows(mask, outline, box, (y, inner) => paint(y, inner, box.x));
  else for (let y = box.y; y < box.y + box.h; y++) paint(y, md.subarray(y * image.width + box.x, y * image.width + box.x + box.w), box.x);
}

/**
 * `before` and `after` side by side, separated by `gap` px of neutral grey. Images are not scaled; when the
 * heights differ the shorter one is centred vertically on grey (letterboxed).
 */
export function beforeAfter(before: RgbImage, after: RgbImage, gap = STRIP_GAP): RgbImage {
  if (!Number.isInteger(gap) || gap < 0) throw new RangeError(`gap must be a non-negative integer, got ${gap}`);
  const width = before.width + gap + after.width;
  const height = Math.max(before.height, after.height);
  const out = createRgb(width, height);
  out.data.fill(GAP_GREY);
  paste(out, before, 0, (height - before.height) >> 1);
  paste(out, after, before.width + gap, (height - after.height) >> 1);
  return out;
}

function paste(dst: RgbImage, src: RgbImage, ox: number, oy: number): void {
  const rowBytes = src.width * 3;
  for (let y = 0; y < src.height; y++) {
    const s = y * rowBytes;
    dst.data.set(src.data.subarray(s, s + rowBytes), ((oy + y) * dst.width + ox) * 3);
  }
}
