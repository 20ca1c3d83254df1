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
