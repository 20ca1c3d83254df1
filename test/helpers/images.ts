import sharp from 'sharp';
import type { RgbImage } from '../../src/images/raster.ts';

/** A photo-like test picture: smooth gradients plus a checker pattern, so fills and blends are visible. */
export function testPicture(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = Math.round((x * 255) / width);
      data[i + 1] = Math.round((y * 255) / height);
      data[i + 2] = ((x >> 4) + (y >> 4)) % 2 ? 200 : 60;
    }
  }
  return { width, height, data };
}

export async function pictureFile(width: number, height: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const image = testPicture(width, height);
  const pipeline = sharp(Buffer.from(image.data), { raw: { width, height, channels: 3 } });
  return format === 'png' ? pipeline.png().toBuffer() : pipeline.jpeg({ quality: 95 }).toBuffer();
}

export async function readRgb(file: string | Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/**
 * Compare an edited picture with its input around a box mask: pixels farther than `ring` px from the box
 * that changed (they must not: BrushNet's blend keeps them bit-exact), and pixels inside the box that changed.
 */
export function changesAroundBox(output: RgbImage, input: RgbImage, box: { x: number; y: number; w: number; h: number }, ring = 10) {
  const changedOutside: string[] = [];
  let changedInside = 0;
  for (let y = 0; y < input.height; y++) {
    for (let x = 0; x < input.width; x++) {
      const i = (y * input.width + x) * 3;
      const same = output.data[i] === input.data[i] && output.data[i + 1] === input.data[i + 1] && output.data[i + 2] === input.data[i + 2];
      if (same) continue;
      const inside = x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h;
      const far = x < box.x - ring || x >= box.x + box.w + ring || y < box.y - ring || y >= box.y + box.h + ring;
      if (inside) changedInside++;
      else if (far) changedOutside.push(`${x},${y}`);
    }
  }
  return { changedOutside, changedInside };
}

/** A picture of seeded noise: it does not compress, so its PNG is as large as a photo's (1600×1200 ≈ 5.8 MB). */
export async function noisePicture(width: number, height: number, seed = 1): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
