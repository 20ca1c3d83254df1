import type { MaskInput, TurnAction } from '../contracts.ts';
import { BrushtalkError } from '../errors.ts';
import { pictureVersion } from '../session/edit-inputs.ts';
import { headVersion } from '../session/session.ts';
import type { SessionOps } from './ops.ts';

/** How much one press of Grow/Shrink changes the mask (BrushEdit's demo moves masks in similar steps). */
export const buttonStepPx = 12;

/**
 * A result button, pressed: act on the version the button belongs to (an older result is checked out first),
 * then do what the button says — the mask buttons (and an uploaded mask) and re-roll run the edit again at once.
 */
export async function runAction(ops: SessionOps, action: TurnAction, mask?: MaskInput): Promise<string> {
  if (action.sessionId !== ops.session.id) {
    throw new BrushtalkError('session.not_found', 'That button belongs to another conversation.');
  }
  const target = ops.session.versions.find((v) => v.id === action.versionId);
  if (!target) throw new BrushtalkError('session.unknown_version', 'That button belongs to a version that no longer exists.');
  const said: string[] = [];
  if (action.action !== 'undo' && action.action !== 'redo' && ops.session.headId !== target.id) said.push(await ops.checkout(target.number));
  // Run the last edit again: the instruction of the picture the head stands on (its inputs follow edit-inputs.ts).
  const again = () => {
    const head = headVersion(ops.session);
    const picture = head ? pictureVersion(ops.session, head) : null;
    return ops.runEdit(picture?.kind === 'result' ? picture.note : (head?.caption ?? ''));
  };
  switch (action.action) {
    case 'reroll':
      said.push(await ops.reseed(), await again());
      break;
    case 'grow':
    case 'shrink':
      said.push(await ops.maskOp({ op: action.action, px: buttonStepPx }, `mask ${action.action} ${buttonStepPx}`), await again());
      break;
    case 'invert':
      said.push(await ops.maskOp({ op: 'invert' }, 'mask invert'), await again());
      break;
    case 'undo':
      said.push(await ops.undo());
      break;
    case 'redo':
      said.push(await ops.redo());
      break;
    case 'caption':
      if (!action.value?.trim()) throw new BrushtalkError('command.bad_arguments', 'Type the caption: what the picture should show after the edit.');
      said.push(await ops.setCaption(action.value), await again());
      break;
    case 'mask':
      if (!mask) throw new BrushtalkError('command.bad_arguments', 'Attach the mask as a picture: white where the picture should change, black where it stays.');
      said.push(await ops.setMaskFrom(mask), await again());
      break;
    case 'accept':
      said.push(`Kept v${target.number}.`);
      break;
  }
  return said.join('\n');
}
