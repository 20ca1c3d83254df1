import { pictureVersion } from '../session/pictures.ts';
import { headVersion } from '../session/session.ts';
import type { MaskOp } from './commands.ts';
import type { SessionOps } from './ops.ts';

/**
 * One meaning per word (issue 13), the same on every surface and for a command and its plain words alike:
 * changing the mask, the caption or a setting after an edit re-runs that edit at once, from the picture it
 * started from (refine = redo, edit-inputs.ts), as a sibling of the result; on a picture no edit made yet (a new
 * upload, v1) the change only sets, and the next instruction uses it. A new area (`mask box`, `mask ellipse`,
 * `mask all`, `mask clear`) is not a change to the edit's area but the area of the next instruction: it only
 * sets. `help` says so.
 */

/** A mask command that marks a new area rather than changing the current one. */
export function newArea(op: MaskOp): boolean {
  return (op.op === 'shape' && op.mode === 'replace') || op.op === 'all' || op.op === 'clear';
}

/** The instruction of the edit that made the current picture, or null when the current picture is not a result. */
export function lastEdit(ops: SessionOps): string | null {
  const head = headVersion(ops.session);
  const picture = head ? pictureVersion(ops.session, head) : null;
  return picture?.kind === 'result' ? picture.note : null;
}

/** Make a change, then redo the current picture's edit with it when there is one. */
export async function changeThenRedo(ops: SessionOps, change: () => Promise<string>): Promise<string> {
  const said = await change();
  const instruction = lastEdit(ops);
  return instruction === null ? said : `${said}\n${await ops.runEdit(instruction)}`;
}
