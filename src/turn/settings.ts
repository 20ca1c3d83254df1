import type { IncomingTurn } from '../contracts.ts';
import { BrushtalkError } from '../errors.ts';
import { validateParams, type EditParams } from '../session/params.ts';
import * as S from '../session/session.ts';
import type { SettingsStore } from '../store.ts';
import { isCapabilityRefusal } from './capabilities.ts';
import type { Command } from './commands.ts';
import type { SessionOps } from './ops.ts';

/**
 * Choices that outlive one conversation. A person's defaults apply to every new picture they bring on this
 * platform (and to their current picture here); a server's admins decide who may press result buttons.
 */

function describe(params: Partial<EditParams>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k} ${typeof v === 'boolean' ? (v ? 'on' : 'off') : v}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

function requireStore(settings: SettingsStore | undefined): SettingsStore {
  if (!settings) throw new BrushtalkError('command.unknown', 'Saved settings are not available on this server.');
  return settings;
}

export async function runDefaults(
  command: Extract<Command, { type: 'defaults' }>,
  turn: IncomingTurn,
  ops: SessionOps,
  settings: SettingsStore | undefined,
): Promise<string> {
  const store = requireStore(settings);
  const { platform } = turn.ref;
  if (command.update === 'show') {
    const saved = store.userDefaults(platform, turn.userId);
    return saved ? `Your defaults for new pictures: ${describe(saved)}. \`defaults clear\` forgets them.` : 'You have no defaults yet: new pictures start from the standard settings. Example: `defaults strength 0.8 samples 2`.';
  }
  if (command.update === 'clear') {
    store.setUserDefaults(platform, turn.userId, null);
    return 'Your defaults are forgotten: new pictures start from the standard settings.';
  }
  const merged = { ...(store.userDefaults(platform, turn.userId) ?? {}), ...validateParams(command.update) };
  store.setUserDefaults(platform, turn.userId, merged);
  const said = [`Your defaults for new pictures: ${describe(merged)}.`];
  // Someone setting their defaults means them for the picture they are working on too, if it is theirs.
  const head = S.headVersion(ops.session);
  if (head && S.ownerOf(ops.session, head) === turn.userId) {
    // The engine may ignore some of them (a fill has no steps): it says so, and the defaults are kept anyway.
    said.push(`Here: ${await ops.setParams(command.update).catch((error: unknown) => (isCapabilityRefusal(error) ? error.userMessage : Promise.reject(error)))}`);
  }
  return said.join(' ');
}

export function runButtonsSetting(command: Extract<Command, { type: 'buttons' }>, turn: IncomingTurn, settings: SettingsStore | undefined): string {
  const store = requireStore(settings);
  const { platform, scope } = turn.ref;
  const current = othersMayAct(turn, store);
  const words = (everyone: boolean) => (everyone ? 'anyone here may press result buttons' : 'only whoever brought a picture may press its result buttons');
  if (command.everyone === 'show') return `Here ${words(current)}. Admins of this server or workspace change it with \`buttons everyone\` or \`buttons owner\`.`;
  if (!turn.scopeAdmin) throw new BrushtalkError('session.not_owner', 'Only admins of this server or workspace can change who may press the buttons.');
  store.setOthersMayAct(platform, scope, command.everyone, turn.userId);
  return `From now on ${words(command.everyone)}.`;
}

/** Whether this turn's button press may act on a version someone else brought. */
export function othersMayAct(turn: IncomingTurn, settings: SettingsStore | undefined): boolean {
  return settings?.othersMayAct(turn.ref.platform, turn.ref.scope) ?? turn.othersMayAct ?? false;
}
