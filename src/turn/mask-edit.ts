import type { Box } from '../contracts.ts';
import { BrushtalkError } from '../errors.ts';
import { boxMask, clearMask, ellipseMask, fullMask, growMask, invertMask, moveMask, shrinkMask, subtractMask, unionMask } from '../images/mask-ops.ts';
import type { Mask } from '../images/raster.ts';
import type { MaskOp } from './commands.ts';

function checkBox(box: Box, width: number, height: number): void {
  if (box.x >= width || box.y >= height) {
    throw new BrushtalkError(
      'command.bad_arguments',
      `That box starts at ${box.x},${box.y}, outside the ${width}×${height} picture. x and y count pixels from the top-left corner.`,
    );
  }
}

/** Apply a mask command to the current mask (null when there is none yet). Returns the new mask. */
export function applyMaskOp(current: Mask | null, op: MaskOp, width: number, height: number): Mask {
  const needCurrent = (): Mask => {
    if (!current) {
      throw new BrushtalkError('mask.missing', 'There is no mask yet to change. Start one with `mask box x,y,w,h` or `mask ellipse x,y,w,h`.');
    }
    return current;
  };
  switch (op.op) {
    case 'grow':
      return growMask(needCurrent(), op.px);
    case 'shrink':
      return shrinkMask(needCurrent(), op.px);
    case 'invert':
      return invertMask(current ?? clearMask(width, height));
    case 'clear':
      return clearMask(width, height);
    case 'all':
      return fullMask(width, height);
    case 'move':
      return moveMask(needCurrent(), op.dx, op.dy);
    case 'shape': {
      checkBox(op.box, width, height);
      const shape = op.shape === 'box' ? boxMask(width, height, op.box) : ellipseMask(width, height, op.box);
      if (op.mode === 'replace') return shape;
      if (op.mode === 'add') return current ? unionMask(current, shape) : shape;
      return subtractMask(needCurrent(), shape);
    }
  }
}
