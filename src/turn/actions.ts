import type { MaskInput, TurnAction } from '../contracts.ts';
import { BrushtalkError } from '../errors.ts';
import { pictureVersion } from '../session/pictures.ts';
import type { SessionOps } from './ops.ts';
import { changeThenRedo } from './refine.ts';

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
  const picture = pictureVersion(ops.session, target);
  if (action.action !== 'undo' && action.action !== 'redo' && ops.session.headId !== target.id) said.push(await ops.checkout(picture.picture ?? 1));
  // The buttons are the words' shortcuts: a change re-runs the picture's edit (refine.ts).
  switch (action.action) {
    case 'reroll':
      said.push(await changeThenRedo(ops, () => ops.reseed()));
      break;
    case 'grow':
    case 'shrink':
      said.push(await changeThenRedo(ops, () => ops.maskOp({ op: action.action as 'grow' | 'shrink', px: buttonStepPx }, `mask ${action.action} ${buttonStepPx}`)));
      break;
    case 'invert':
      said.push(await changeThenRedo(ops, () => ops.maskOp({ op: 'invert' }, 'mask invert')));
      break;
    case 'undo':
      said.push(await ops.undo());
      break;
    case 'redo':
      said.push(await ops.redo());
      break;
    case 'caption':
      if (!action.value?.trim()) throw new BrushtalkError('command.bad_arguments', 'Type the caption: what the picture should show after the edit.');
      said.push(await changeThenRedo(ops, () => ops.setCaption(action.value!)));
      break;
    case 'mask':
      if (!mask) throw new BrushtalkError('command.bad_arguments', 'Attach the mask as a picture: white where the picture should change, black where it stays.');
      said.push(await changeThenRedo(ops, () => ops.setMaskFrom(mask)));
      break;
    case 'accept':
      said.push(`Kept v${picture.picture}.`);
      break;
  }
  return said.join('\n');
}
