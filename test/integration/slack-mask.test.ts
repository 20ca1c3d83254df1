import { afterEach, describe, expect, it } from 'vitest';
import { decodeMask, defaultDecodeLimits, encodeMaskPng } from '../../src/images/codec.ts';
import { createMask } from '../../src/images/raster.ts';
import { interactionBody, type SlackCall } from '../helpers/slack-api.ts';
import { actionIds, botToken, editedResult, expectResultDelivered, form, methods, parentTs, ref, startSlackWorld, type SlackWorld } from '../helpers/slack-rig.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface ModalView {
  callback_id: string;
  private_metadata: string;
  title: { text: string };
  blocks: { type: string; block_id: string; label: { text: string }; hint: { text: string }; element: Record<string, unknown> }[];
}

/** A mention, its edit, and the "Upload mask" button's id under the result. */
async function editedSession(world: SlackWorld) {
  const edited = await editedResult(world);
  return { ...edited, maskId: edited.idOf('mask') };
}

/** Presses "Upload mask" and returns the modal views.open was given. */
async function openMaskModal(world: SlackWorld, session: Awaited<ReturnType<typeof editedSession>>, user = 'U1'): Promise<{ calls: SlackCall[]; modal: ModalView }> {
  const before = world.stub.calls.length;
  const press = session.press(user, '1700000702.000001', session.maskId);
  expect((await world.send(press, form)).status).toBe(200);
  await world.settle();
  const calls = world.stub.since(before);
  return { calls, modal: calls[0]?.args.view as ModalView };
}

/** The modal's submission as Slack posts it: the file_input's value carries Slack file objects. */
function maskSubmission(privateMetadata: string, files: Record<string, unknown>[], user = 'U1', viewId = 'V9'): string {
  return interactionBody({
    type: 'view_submission',
    team: { id: 'T1', domain: 'acme' },
    user: { id: user, team_id: 'T1' },
    api_app_id: 'A1',
    token: 'legacy',
    trigger_id: 'trigger-submit',
    view: { id: viewId, type: 'modal', callback_id: 'brushtalk_mask', private_metadata: privateMetadata, hash: 'h', state: { values: { mask: { mask_input: { type: 'file_input', files } } } } },
  });
}

/** A mask drawn at half the picture's size (it is scaled): white over the right half's middle. */
async function drawnMask(): Promise<Uint8Array> {
  const drawn = createMask(32, 24);
  for (let y = 6; y < 18; y++) for (let x = 20; x < 30; x++) drawn.data[y * 32 + x] = 1;
  return encodeMaskPng(drawn);
}

describe('Slack: Upload mask', { timeout: 30_000 }, () => {
  it('the button opens a file_input modal; the submitted picture becomes the mask and the edit runs again in the thread', async () => {
    const world = await startSlackWorld(cleanups);
    const session = await editedSession(world);
    // The adapter adds the button before Accept (the core does not list it).
    expect(actionIds(session.buttons).slice(-2)).toEqual([session.maskId, `v1:accept:${session.view.sessionId}:${session.result.id}`]);
    const blocks = session.buttons.args.blocks as { type: string; elements?: { action_id: string; text: { text: string } }[] }[];
    expect(blocks.find((b) => b.type === 'actions')!.elements!.find((e) => e.action_id === session.maskId)!.text.text).toBe('Upload mask');

    const { calls, modal } = await openMaskModal(world, session);
    expect(methods(calls)).toEqual(['views.open']);
    expect(calls[0]).toMatchObject({ token: botToken, args: { trigger_id: 'trigger-1700000702.000001' } });
    expect(modal.callback_id).toBe('brushtalk_mask');
    expect(modal.title.text).toBe('Upload mask');
    expect(JSON.parse(modal.private_metadata)).toEqual({ id: session.maskId, place: { teamId: 'T1', channel: 'C1', threadTs: parentTs } });
    expect(modal.blocks).toEqual([
      expect.objectContaining({
        type: 'input',
        block_id: 'mask',
        label: expect.objectContaining({ text: 'Mask picture' }),
        hint: expect.objectContaining({ text: expect.stringMatching(/^White where the picture should change/) }),
        element: { type: 'file_input', action_id: 'mask_input', max_files: 1, filetypes: ['png', 'jpg', 'jpeg', 'webp'] },
      }),
    ]);

    const file = world.stub.addFile('mask.png', await drawnMask());
    const before = { calls: world.stub.calls.length, downloads: world.stub.downloads.length, jobs: world.jobs() };
    const submitted = await world.send(maskSubmission(modal.private_metadata, [{ ...file, filetype: 'png', url_private_download: file.url_private }]), form);
    expect(submitted).toEqual({ status: 200, text: '' }); // acked: the modal closes
    await world.settle();

    expect(world.stub.downloads.slice(before.downloads)).toEqual([{ name: 'mask.png', authorized: true }]);
    expect(world.jobs()).toBe(before.jobs + 1);
    const after = (await world.app.core.view(ref))!;
    // Redone from the photo the first result was made from (v1): a sibling of that result, with the new mask.
    expect(after.versions.slice(session.view.versions.length).map((v) => [v.kind, v.note, v.parentNumber])).toEqual([['result', expect.any(String), 1]]);
    const step = world.app.sessions.loadByRef(ref)!.versions.find((v) => v.note === 'mask from picture')!;
    expect(world.app.sessions.loadByRef(ref)!.versions.find((v) => v.id === step.parentId)!.picture).toBe(session.result.number);
    expect(after.versions.at(-1)!.maskId).toBe(step.maskId);
    // The picture, scaled to 64×48, is the mask: white where it was drawn, nothing elsewhere.
    const stored = await decodeMask((await world.app.core.picture(ref, step.maskId!))!, 64, 48, defaultDecodeLimits);
    expect(stored.data[24 * 64 + 50]).toBe(1);
    expect(stored.data[24 * 64 + 10]).toBe(0);

    const calls2 = world.stub.since(before.calls);
    expect(calls2.every((c) => c.token === botToken)).toBe(true);
    expect(calls2[0]).toMatchObject({ method: 'chat.postMessage', args: { channel: 'C1', thread_ts: parentTs, text: expect.stringMatching(/Mask updated[\s\S]*Editing/) } });
    const rerun = after.versions.at(-1)!;
    expectResultDelivered(calls2, rerun.number, session.view.sessionId, rerun.id);
  });

  it('a file that is not a picture, or too large, is refused in the modal and nothing is downloaded', async () => {
    const world = await startSlackWorld(cleanups);
    const session = await editedSession(world);
    const { modal } = await openMaskModal(world, session);
    const before = { calls: world.stub.calls.length, downloads: world.stub.downloads.length, versions: session.view.versions.length, jobs: world.jobs() };

    const pdf = world.stub.addFile('mask.pdf', new TextEncoder().encode('%PDF-1.4'), { mimetype: 'application/pdf' });
    const refused = await world.send(maskSubmission(modal.private_metadata, [{ ...pdf, filetype: 'pdf' }]), form);
    expect(refused.status).toBe(200);
    expect(JSON.parse(refused.text)).toEqual({ response_action: 'errors', errors: { mask: '"mask.pdf" is not a picture (application/pdf). Attach a PNG, JPEG or WebP image.' } });

    const huge = world.stub.addFile('huge.png', await drawnMask(), { declaredSize: 60 * 1024 * 1024 });
    const tooLarge = await world.send(maskSubmission(modal.private_metadata, [huge]), form);
    expect(JSON.parse(tooLarge.text)).toEqual({ response_action: 'errors', errors: { mask: '"huge.png" is 60.0 MB; the limit is 25.0 MB. Send a smaller picture.' } });

    await world.settle();
    expect(world.stub.downloads).toHaveLength(before.downloads);
    expect(world.stub.since(before.calls)).toEqual([]);
    expect((await world.app.core.view(ref))!.versions).toHaveLength(before.versions);
    expect(world.jobs()).toBe(before.jobs);
  });

  it('another person’s submission is refused by the core, privately; a sign-in page instead of the picture is worded', async () => {
    const world = await startSlackWorld(cleanups);
    const session = await editedSession(world);
    const { modal } = await openMaskModal(world, session, 'U2'); // the modal opens for anyone; the core decides on submit
    const file = world.stub.addFile('mask.png', await drawnMask());
    const before = { calls: world.stub.calls.length, versions: session.view.versions.length, jobs: world.jobs() };

    expect((await world.send(maskSubmission(modal.private_metadata, [file], 'U2', 'V10'), form)).status).toBe(200);
    await world.settle();
    expect(world.stub.since(before.calls)).toEqual([
      { method: 'chat.postEphemeral', token: botToken, result: expect.anything(), args: expect.objectContaining({ channel: 'C1', user: 'U2', thread_ts: parentTs, text: expect.stringMatching(/Only the person who brought this picture can use its buttons/) }) },
    ]);
    expect((await world.app.core.view(ref))!.versions).toHaveLength(before.versions);
    expect(world.jobs()).toBe(before.jobs);

    const locked = world.stub.addFile('locked.png', await drawnMask(), { html: true });
    const from = world.stub.calls.length;
    await world.send(maskSubmission(modal.private_metadata, [locked], 'U1', 'V11'), form);
    await world.settle();
    expect(world.stub.since(from)).toEqual([
      { method: 'chat.postEphemeral', token: botToken, result: expect.anything(), args: expect.objectContaining({ user: 'U1', thread_ts: parentTs, text: expect.stringMatching(/^:warning: I can't read that file \("locked\.png"\).*files:read.*\(ref T-[0-9A-Z]{6}\)$/) }) },
    ]);
    expect((await world.app.core.view(ref))!.versions).toHaveLength(before.versions);
  });
});
