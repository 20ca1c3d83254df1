import { BrushtalkError, isBrushtalkError } from '../errors.ts';

/** How a person marks the area by hand on each surface: what works when the object finder cannot. */
export function markByHand(platform: string | undefined): string {
  switch (platform) {
    case 'studio':
      return 'paint over it with the Brush, or drag a Box around it, then say what to change';
    case 'cli':
      return 'add `--box x,y,w,h` (pixels from the top-left corner) or `--mask mask.png` (white = change) to the edit; in `brushtalk chat`, say `mask box x,y,w,h` first';
    default:
      return 'say `mask box x,y,w,h` (pixels from the top-left corner) first, then what to change';
  }
}

/**
 * A search that failed because no detector is installed (or none runs here) gets the way that works right
 * now on this surface; every other error passes through unchanged.
 */
export function withHandMarking(error: unknown, platform: string | undefined): unknown {
  if (!isBrushtalkError(error) || (error.code !== 'weights.missing' && error.code !== 'engine.unavailable')) return error;
  return new BrushtalkError(error.code, `${error.userMessage}\nMeanwhile, mark the area yourself: ${markByHand(platform)}.`, { cause: error, retryable: error.retryable });
}
