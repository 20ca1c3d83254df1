import type { Mask, RgbImage } from '../images/raster.ts';
import type { SizePolicy } from '../images/size.ts';

/** What every inpainting engine gets: the picture at engine size and the hole to fill (1 = hole). */
export interface InpaintRequest {
  image: RgbImage;
  hole: Mask;
  /** Target caption: what the image shows after the edit. Classical engines ignore it. */
  caption: string;
  /** What to steer away from (a removal's object first); absent: the engine's default. Classical engines ignore it. */
  negativePrompt?: string;
  seed: number;
  steps: number;
  guidance: number;
  /** BrushNet conditioning scale, 0..1.1. */
  strength: number;
}

export interface InpaintResult {
  /** Generated picture, same size as the request's image. Blending with the original happens after. */
  image: RgbImage;
  /** Engine-specific facts worth keeping in the version's metrics (timings, iterations). */
  info: Record<string, number | string>;
}

/** Fraction done, 0..1, and optionally a preview at engine size. */
export type ProgressListener = (fraction: number, preview?: RgbImage) => void;

export interface InpaintEngine {
  readonly name: string;
  /** False for engines that can only fill from surroundings (they cannot add a hat). */
  readonly generative: boolean;
  /** True when the same picture, mask and settings always give the same result: the seed (and samples) change nothing. */
  readonly deterministic: boolean;
  /** The size the engine works at (the picture is scaled to it and back; aspect ratio kept). */
  readonly sizePolicy: SizePolicy;
  /**
   * Set on the engine chosen instead of BrushNet when BrushNet's files are there but it cannot run (its provider
   * failed its check, a file is damaged): the worded reason, for the status panel. Absent when nothing failed.
   */
  readonly standingInFor?: string;
  inpaint(request: InpaintRequest, signal: AbortSignal, onProgress: ProgressListener): Promise<InpaintResult>;
  close(): Promise<void>;
}

/** What the turn and the status panel need to know about the engine: its name and what it can do. */
export type EngineFacts = Pick<InpaintEngine, 'name' | 'generative' | 'deterministic' | 'standingInFor'>;
