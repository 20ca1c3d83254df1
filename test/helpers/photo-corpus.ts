/**
 * The public real-photo corpus for fill quality (issue 12): photos anyone may use, from Debian's
 * python3-skimage data folder, with their licences (test/fixtures/photos/README.md says the same in prose).
 *
 * - The benchmark (`npm run bench fill`) reads the originals from the skimage folder and scales each to
 *   512×512: short side resized to 512 (Lanczos), then centre-cropped.
 * - The regression test reads the committed 320×320 copies (same framing, short side 320) so CI needs no
 *   skimage. `npx tsx test/fixtures/photos/regenerate.ts` rewrites them from the skimage folder.
 *
 * `objects` are hand-drawn outlines of real objects, in pixel coordinates of the 512×512 framing (scaled to
 * any other side). They were placed by eye over the pictures and are approximate: a few pixels of the object
 * may lie outside, or of the background inside.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type Sharp } from 'sharp';
import type { RgbImage } from '../../src/images/raster.ts';

/** An ellipse (centre and radii) or a closed polygon ([x, y] vertices), in 512-px coordinates. */
export type Shape = { ellipse: [cx: number, cy: number, rx: number, ry: number] } | { polygon: [number, number][] };

export interface CorpusObject {
  name: string;
  /** The union of these shapes is the hole. */
  shapes: Shape[];
}

export interface CorpusPhoto {
  name: string;
  /** File name in the skimage data folder. */
  file: string;
  licence: string;
  source: string;
  /** True for the photos with a committed 320×320 copy (the regression test's three). */
  committed: boolean;
  objects: CorpusObject[];
}

export const SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data';
export const BENCH_SIDE = 512;
export const COMMITTED_SIDE = 320;
export const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/photos');

export const corpus: CorpusPhoto[] = [
  {
    name: 'astronaut',
    file: 'astronaut.png',
    licence: 'public domain (NASA; "No known copyright restrictions, released into the public domain")',
    source: 'NASA Great Images database, https://flic.kr/p/r9qvLn (Eileen Collins)',
    committed: true,
    objects: [
      {
        name: 'shuttle model',
        shapes: [{ polygon: [[382, 0], [448, 0], [452, 120], [464, 175], [476, 235], [474, 284], [356, 284], [342, 238], [366, 172], [378, 120]] }],
      },
      { name: 'mission patch', shapes: [{ ellipse: [172, 385, 42, 40] }] },
    ],
  },
  {
    name: 'chelsea',
    file: 'chelsea.png',
    licence: 'CC0 (photographer Stefan van der Walt)',
    source: 'scikit-image sample data, skimage.data.chelsea()',
    committed: true,
    objects: [
      { name: 'left eye', shapes: [{ ellipse: [163, 195, 68, 58] }] },
      { name: 'nose', shapes: [{ polygon: [[278, 380], [310, 370], [362, 376], [382, 392], [356, 422], [332, 450], [300, 442], [284, 412]] }] },
    ],
  },
  {
    name: 'coffee',
    file: 'coffee.png',
    licence: 'CC0 (photographer Rachel Michetti; courtesy of Pikolo Espresso Bar)',
    source: 'scikit-image sample data, skimage.data.coffee()',
    committed: true,
    objects: [
      {
        name: 'cup',
        shapes: [
          { ellipse: [240, 150, 150, 134] },
          { polygon: [[92, 160], [388, 160], [380, 250], [350, 300], [300, 345], [240, 358], [170, 345], [120, 300], [100, 250]] },
          { polygon: [[120, 290], [200, 286], [212, 340], [200, 396], [130, 398], [116, 340]] },
        ],
      },
      {
        name: 'spoon',
        shapes: [{ polygon: [[398, 86], [418, 92], [380, 250], [372, 296], [392, 322], [398, 366], [374, 410], [330, 418], [294, 398], [286, 356], [298, 322], [330, 300], [352, 280], [362, 244]] }],
      },
    ],
  },
  {
    name: 'rocket',
    file: 'rocket.jpg',
    licence: 'public domain (SpaceX; released into the public domain in 2015)',
    source: 'SpaceX Photos, https://www.flickr.com/photos/spacexphotos/16511594820/ (DSCOVR on Falcon 9)',
    committed: false,
    objects: [
      { name: 'rocket', shapes: [{ polygon: [[252, 148], [268, 148], [278, 176], [280, 230], [302, 430], [304, 492], [212, 492], [216, 430], [238, 230], [241, 176]] }] },
      { name: 'left tower', shapes: [{ polygon: [[106, 144], [122, 144], [124, 226], [132, 500], [70, 500], [92, 226]] }] },
    ],
  },
];

export const committedPhotos = corpus.filter((photo) => photo.committed);

/** True when the skimage originals are on this machine (Debian: `apt-get install python3-skimage`). */
export function skimageAvailable(): boolean {
  return corpus.every((photo) => fs.existsSync(path.join(SKIMAGE_DATA, photo.file)));
}

/** An original from the skimage folder, short side scaled to `side`, centre-cropped to side×side. */
export async function loadOriginal(photo: CorpusPhoto, side = BENCH_SIDE): Promise<RgbImage> {
  return toRgb(sharp(path.join(SKIMAGE_DATA, photo.file)).resize(side, side, { fit: 'cover', position: 'centre', kernel: 'lanczos3' }));
}

export function committedFile(photo: CorpusPhoto): string {
  return path.join(fixturesDir, `${photo.name}-${COMMITTED_SIDE}.png`);
}

/** The committed 320×320 copy (no skimage needed). */
export async function loadCommitted(photo: CorpusPhoto): Promise<RgbImage> {
  return toRgb(sharp(committedFile(photo)));
}

async function toRgb(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}
