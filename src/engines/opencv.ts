/**
 * The one module that loads OpenCV (as WebAssembly, `@techstark/opencv-js`). Only the classical engine's
 * worker thread imports it: loading compiles ≈ 10 MB of WebAssembly (≈ 0.6 s), once per thread.
 *
 * Why OpenCV's own Telea and not ours: it is the reference implementation of the paper, and our hand-written
 * port drifted per colour channel and painted rainbow streaks on real photos (issue 12). Measured side by side
 * in `npm run bench fill`.
 */
import { createRequire } from 'node:module';
import type { Mask, RgbImage } from '../images/raster.ts';

/** The slice of opencv.js this module uses (the package ships no usable types). */
interface Mat {
  data: Uint8Array;
  delete(): void;
}
interface OpenCv {
  Mat: { new (): Mat; new (rows: number, cols: number, type: number): Mat };
  CV_8UC1: number;
  CV_8UC3: number;
  INPAINT_TELEA: number;
  inpaint(src: Mat, mask: Mat, dst: Mat, radius: number, flags: number): void;
  onRuntimeInitialized?: () => void;
}

interface Thenable {
  then?: (ready: (module: unknown) => void) => unknown;
}

let loading: Promise<TeleaFill> | undefined;

/** OpenCV's Telea fill, `radius` being OpenCV's inpaintRadius (3 in its samples and our reference runs). */
export type TeleaFill = (image: RgbImage, hole: Mask, radius?: number) => RgbImage;

/**
 * Loads OpenCV once per thread and hands back its Telea fill. The module object is an Emscripten "thenable"
 * that resolves to itself, so it is never returned from a promise (that would recurse forever): only closures
 * over it leave this function.
 */
export function loadOpenCvTelea(): Promise<TeleaFill> {
  loading ??= (async () => {
    // require, not import(): an ES namespace built from a CommonJS module may re-export its `then`, and
    // awaiting that namespace would never settle.
    const cv = createRequire(import.meta.url)('@techstark/opencv-js') as OpenCv & Thenable;
    if (typeof cv.inpaint !== 'function') {
      await new Promise<void>((resolve) => {
        if (typeof cv.then === 'function') cv.then(() => resolve());
        else cv.onRuntimeInitialized = () => resolve();
      });
    }
    return (image, hole, radius) => inpaintTeleaCv(cv, image, hole, radius);
  })();
  return loading;
}

/**
 * OpenCV's INPAINT_TELEA over the hole (1 = fill). Only hole pixels change; the result is a fresh array.
 * `radius` is OpenCV's inpaintRadius (3 in its samples and in our reference measurements).
 */
function inpaintTeleaCv(cv: OpenCv, image: RgbImage, hole: Mask, radius = 3): RgbImage {
  const { width: w, height: h } = image;
  const src = new cv.Mat(h, w, cv.CV_8UC3);
  const mask = new cv.Mat(h, w, cv.CV_8UC1);
  const dst = new cv.Mat();
  try {
    src.data.set(image.data);
    const m = mask.data;
    for (let i = 0; i < w * h; i++) m[i] = hole.data[i] ? 255 : 0;
    cv.inpaint(src, mask, dst, radius, cv.INPAINT_TELEA);
    // Copy out of the WebAssembly heap before the Mats are freed.
    return { width: w, height: h, data: new Uint8Array(dst.data) };
  } finally {
    src.delete();
    mask.delete();
    dst.delete();
  }
}
