import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationRef } from '../../src/contracts.ts';
import { slashCommandBody } from '../helpers/slack-api.ts';
import { botToken, editedResult, expectResultDelivered, form, mention, ref, startSlackWorld, type SlackWorld } from '../helpers/slack-rig.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Where a slash command's turn runs: the channel itself (no thread), in team T1. */
const channel: ConversationRef = { platform: 'slack', scope: 'T1', channelId: 'C1' };
// U9 administers the workspace, U8 owns it (owners count too); everyone else is a regular member.
const users = { U9: { is_admin: true }, U8: { is_owner: true } };

let commandCount = 0;

/** `/brushtalk <text>` from `user`, signed like Slack; settles and returns the ack and what went to the response_url. */
async function slash(world: SlackWorld, user: string, text: string) {
  const id = `cmd-${++commandCount}`;
  const before = world.stub.calls.length;
  const ack = await world.send(slashCommandBody({ text, user, responseUrl: world.stub.responseUrl(id), triggerId: `trigger-${id}` }), form);
  expect(ack.status).toBe(200);
  await world.settle(channel);
  const responses = world.stub.responses.filter((r) => r.id === id).map((r) => r.body);
  return { ack: ack.text, responses, calls: world.stub.since(before) };
}

const rows = (world: SlackWorld, table: 'user_defaults' | 'scope_settings' | 'conversations') => world.app.database.sqlite.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];

// Several commands and a full edit per test: generous for a loaded machine (every wait is on a condition).
describe('/brushtalk', { timeout: 30_000 }, () => {
  it('answers help and unknown words in the ack itself, privately, without a turn', async () => {
    const world = await startSlackWorld(cleanups, { stub: { users } });
    for (const text of ['', 'help', '  HELP  ']) {
      const { ack, responses, calls } = await slash(world, 'U1', text);
      const body = JSON.parse(ack) as { response_type: string; text: string };
      expect(body.response_type).toBe('ephemeral');
      expect(body.text).toMatch(/Mention me with a picture/);
      expect(body.text).toMatch(/`\/brushtalk settings strength 0\.8 samples 2`/);
      expect(body.text).toMatch(/`\/brushtalk buttons everyone`/);
      expect(body.text).toMatch(/Engine: fake-fill/);
      expect(responses).toEqual([]);
      expect(calls).toEqual([]);
    }
    const unknown = await slash(world, 'U1', 'frobnicate the cup');
    expect(JSON.parse(unknown.ack)).toEqual({
      response_type: 'ephemeral',
      text: expect.stringMatching(/^I don't know `\/brushtalk frobnicate`\. Try:\n• `\/brushtalk` or `\/brushtalk help`.*\n• `\/brushtalk settings .*\n• `\/brushtalk buttons everyone` or `\/brushtalk buttons owner`/),
    });
    expect(unknown.calls).toEqual([]);
    expect(unknown.responses).toEqual([]);
    expect(world.app.database.sqlite.prepare("SELECT COUNT(*) AS n FROM seen_events WHERE platform = 'slack'").get()).toEqual({ n: 0 });
  });

  it('settings are your defaults for new pictures: stored, shown, applied to your next picture, then forgotten', async () => {
    const world = await startSlackWorld(cleanups, { stub: { users } });
    const set = await slash(world, 'U1', 'settings strength 0.8 samples 2');
    expect(set.ack).toBe(''); // an empty ack: the answer comes through the response_url
    expect(set.responses).toEqual([{ response_type: 'ephemeral', text: 'Your defaults for new pictures: strength 0.8, samples 2.' }]);
    expect(set.calls).toEqual([]); // nothing posted in the channel, and no users.info for settings
    expect(rows(world, 'user_defaults')).toEqual([{ platform: 'slack', user_id: 'U1', params: JSON.stringify({ strength: 0.8, samples: 2 }), updated_at: expect.any(Number) }]);
    expect(rows(world, 'conversations')).toEqual([]); // a settings turn leaves no session behind

    const shown = await slash(world, 'U1', 'settings');
    expect(shown.responses).toEqual([{ response_type: 'ephemeral', text: expect.stringMatching(/^Your defaults for new pictures: strength 0\.8, samples 2\. `defaults clear` forgets them\.$/) }]);
    const other = await slash(world, 'U2', 'settings');
    expect(other.responses).toEqual([{ response_type: 'ephemeral', text: expect.stringMatching(/^You have no defaults yet/) }]);

    const bad = await slash(world, 'U1', 'settings strength');
    expect(bad.responses).toEqual([{ response_type: 'ephemeral', text: expect.stringMatching(/^:warning: Usage: `defaults strength 0\.8 samples 2`/) }]);
    expect(bad.calls).toEqual([]);

    // U1's next picture starts from their defaults; U2's does not.
    await world.send(await mention(world));
    await world.settle();
    const source = world.app.database.sqlite.prepare("SELECT author_id AS author, params FROM versions WHERE kind = 'source'").get() as { author: string; params: string };
    expect(source.author).toBe('U1');
    expect(JSON.parse(source.params)).toMatchObject({ strength: 0.8, samples: 2 });

    const cleared = await slash(world, 'U1', 'settings clear');
    expect(cleared.responses).toEqual([{ response_type: 'ephemeral', text: expect.stringMatching(/^Your defaults are forgotten/) }]);
    expect(rows(world, 'user_defaults')).toEqual([]);
  });

  it('buttons: a member is refused in words and nothing is stored; an admin opens the buttons to everyone, and a stranger’s press then works', async () => {
    const world = await startSlackWorld(cleanups, { stub: { users } });
    const { view, result, press } = await editedResult(world);

    // Showing the rule asks Slack nothing.
    const shown = await slash(world, 'U2', 'buttons');
    expect(shown.calls).toEqual([]);
    expect(shown.responses).toEqual([{ response_type: 'ephemeral', text: expect.stringMatching(/only whoever brought a picture may press its result buttons/) }]);

    // A regular member: Slack is asked who they are, the core refuses, nothing is stored, nothing public.
    const refused = await slash(world, 'U2', 'buttons everyone');
    expect(refused.ack).toBe('');
    expect(refused.calls).toEqual([{ method: 'users.info', token: botToken, args: { user: 'U2', team_id: 'T1' }, result: expect.objectContaining({ ok: true }) }]);
    expect(refused.responses).toEqual([{ response_type: 'ephemeral', text: expect.stringMatching(/^:warning: Only admins of this server or workspace can change who may press the buttons/) }]);
    expect(rows(world, 'scope_settings')).toEqual([]);

    // The stranger's press is still refused (privately, no job).
    let before = { calls: world.stub.calls.length, jobs: world.jobs() };
    await world.send(press('U2', '1700000700.000001'), form);
    await world.settle();
    expect(world.stub.since(before.calls).map((c) => [c.method, c.args.user])).toEqual([['chat.postEphemeral', 'U2']]);
    expect(world.jobs()).toBe(before.jobs);

    // An admin opens the buttons.
    const opened = await slash(world, 'U9', 'buttons everyone');
    expect(opened.calls).toEqual([{ method: 'users.info', token: botToken, args: { user: 'U9', team_id: 'T1' }, result: expect.objectContaining({ ok: true }) }]);
    expect(opened.responses).toEqual([{ response_type: 'ephemeral', text: 'From now on anyone here may press result buttons.' }]);
    expect(rows(world, 'scope_settings')).toEqual([{ platform: 'slack', scope: 'T1', others_may_act: 1, updated_by: 'U9', updated_at: expect.any(Number) }]);

    // Now the stranger's Re-roll on U1's result runs, and its result lands in the thread.
    before = { calls: world.stub.calls.length, jobs: world.jobs() };
    await world.send(press('U2', '1700000701.000001'), form);
    await world.settle();
    expect(world.jobs()).toBe(before.jobs + 1);
    const calls = world.stub.since(before.calls);
    expect(calls.some((c) => c.method === 'chat.postEphemeral')).toBe(false);
    const after = (await world.app.core.view(ref))!;
    const rerolled = after.versions.at(-1)!;
    expect(rerolled.kind).toBe('result');
    expect(rerolled.id).not.toBe(result.id);
    expectResultDelivered(calls, rerolled.number, view.sessionId, rerolled.id);

    // A workspace owner (not flagged admin) may change it back.
    const closed = await slash(world, 'U8', 'buttons owner');
    expect(closed.responses).toEqual([{ response_type: 'ephemeral', text: 'From now on only whoever brought a picture may press its result buttons.' }]);
    expect(rows(world, 'scope_settings')).toEqual([{ platform: 'slack', scope: 'T1', others_may_act: 0, updated_by: 'U8', updated_at: expect.any(Number) }]);
  });

  it('buttons: when Slack won’t say who someone is (no users:read), the answer says so and nothing is stored', async () => {
    const world = await startSlackWorld(cleanups, { stub: { users: { U9: 'missing_scope' } } });
    const { responses, calls } = await slash(world, 'U9', 'buttons everyone');
    expect(calls.map((c) => c.method)).toEqual(['users.info']);
    expect(responses).toEqual([
      { response_type: 'ephemeral', text: expect.stringMatching(/^:warning: I couldn't check whether you administer this workspace \(Slack said missing_scope\)\. The app needs the users:read scope.*\(ref T-[0-9A-Z]{6}\)$/) },
    ]);
    expect(rows(world, 'scope_settings')).toEqual([]);
  });
});
