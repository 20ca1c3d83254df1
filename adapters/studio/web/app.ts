/// <reference lib="dom" />
import type { ButtonAction } from '../../../src/contracts.ts';
import { eventsUrl, getCliSessions, getState, pictureUrl, sendTurn, upload, type State, type TurnAnswer, type TurnBody } from './api.ts';
import { createCountdown } from './countdown.ts';
import { createMaskPainter, type MaskTool } from './mask.ts';
import { appendMessage, byId, renderStatus, renderStrip } from './render.ts';
import { rememberSession, renderSessionPicker, savedSession } from './sessions.ts';

/**
 * The studio page: one conversation at a time (a named session of this browser). The server is the only
 * source of truth — after every turn and every pushed event the page re-reads the session's view and draws it.
 */

const el = {
  session: byId<HTMLSelectElement>('session'),
  newSession: byId<HTMLButtonElement>('new-session'),
  drop: byId('drop'),
  empty: byId('empty'),
  file: byId<HTMLInputElement>('file'),
  frame: byId('frame'),
  result: byId<HTMLImageElement>('result'),
  mask: byId<HTMLCanvasElement>('mask'),
  maskView: byId<HTMLCanvasElement>('mask-view'),
  compare: byId('compare'),
  before: byId<HTMLImageElement>('before'),
  after: byId<HTMLImageElement>('after'),
  progress: byId('progress'),
  bar: byId('bar'),
  progressLabel: byId('progress-label'),
  statusLine: byId('status-line'),
  brush: byId<HTMLButtonElement>('tool-brush'),
  box: byId<HTMLButtonElement>('tool-box'),
  size: byId<HTMLInputElement>('brush-size'),
  clearMask: byId<HTMLButtonElement>('clear-mask'),
  overlay: byId<HTMLInputElement>('overlay'),
  beforeAfter: byId<HTMLInputElement>('before-after'),
  versionLabel: byId('version-label'),
  prompts: byId('prompts'),
  actions: byId('actions'),
  captionButton: byId<HTMLButtonElement>('caption-button'),
  captionForm: byId<HTMLFormElement>('caption-form'),
  captionInput: byId<HTMLInputElement>('caption-input'),
  strip: byId('strip'),
  log: byId('log'),
  chatForm: byId<HTMLFormElement>('chat-form'),
  text: byId<HTMLTextAreaElement>('text'),
  send: byId<HTMLButtonElement>('send'),
  statusPanel: byId('status-panel'),
};

const painter = createMaskPainter(el.mask);
let session = savedSession();
let state: State | null = null;
let busy = false;
let shownImageId: string | null = null;
let events: EventSource | null = null;
let pollTimer = 0;

let cliSessions: string[] = [];

function renderSessions(): void {
  renderSessionPicker(el.session, session, cliSessions);
}

/** The command line's sessions can appear while the page is open: asked for again whenever the picker is opened. */
async function refreshSessions(): Promise<void> {
  cliSessions = await getCliSessions(session).catch(() => cliSessions);
  renderSessions();
}

/** The picture the conversation stands on (the head, or the picture a pending mask or caption step belongs to). */
const head = () => state?.view?.versions.find((v) => v.id === state?.view?.pictureId) ?? null;

function render(): void {
  if (!state) return;
  renderStatus(el.statusPanel, state.status);
  const view = state.view;
  const current = head();
  el.empty.hidden = current !== null;
  el.frame.hidden = current === null || el.beforeAfter.checked;
  el.compare.hidden = current === null || !el.beforeAfter.checked;
  if (current) {
    // The overlay shows this picture's mask over this picture (a result: where the edit painted).
    const overlayMask = el.overlay.checked ? current.maskId : null;
    el.result.dataset.version = String(current.number);
    el.result.dataset.kind = current.kind;
    el.result.dataset.overlay = String(overlayMask !== null);
    el.result.src = pictureUrl(session, current.imageId);
    void drawMaskView(overlayMask);
    // A different picture (not just a new mask or overlay) needs a fresh canvas of its size.
    if (current.imageId !== shownImageId) {
      shownImageId = current.imageId;
      painter.reset(current.width, current.height);
    }
    const parent = view!.versions.find((v) => v.number === current.parentNumber);
    el.before.src = pictureUrl(session, (parent ?? current).imageId);
    el.after.src = pictureUrl(session, current.imageId);
    el.versionLabel.textContent = `v${current.number} · ${current.kind}${current.note ? ` · ${current.note}` : ''}`;
    el.prompts.textContent = promptsText(current, view!.pending);
  } else {
    shownImageId = null;
    el.versionLabel.textContent = '';
    el.prompts.textContent = '';
  }
  el.overlay.disabled = !current?.maskId;
  renderStrip(el.strip, view?.versions ?? [], view?.pictureId ?? null, (id) => pictureUrl(session, id), (n) => void turn({ text: `version ${n}` }, `version ${n}`));
  // An engine that gives the same picture for every seed has nothing to re-roll.
  const sameEverySeed = state.status.engine.deterministic;
  for (const button of el.actions.querySelectorAll('button')) {
    const action = button.dataset.action;
    button.disabled = busy || !current || (action === 'undo' && !view?.canUndo) || (action === 'redo' && !view?.canRedo) || (action === 'reroll' && sameEverySeed);
    if (action === 'reroll') button.title = sameEverySeed ? `${state.status.engine.name} gives the same picture for every seed` : '';
  }
  el.send.disabled = busy;
  const active = view?.active ?? [];
  if (active.length > 0) showProgress(Math.max(...active.map((a) => a.progress)));
  else hideProgress();
}

type View = NonNullable<State['view']>;

let maskViewId: string | null = null;

/** The mask as a translucent tint over the shown picture: white in the mask PNG is where the edit applies. */
async function drawMaskView(maskId: string | null): Promise<void> {
  el.maskView.hidden = maskId === null;
  if (maskId === null || maskId === maskViewId) return;
  maskViewId = maskId;
  const image = new Image();
  image.src = pictureUrl(session, maskId);
  await image.decode().catch(() => undefined);
  if (maskViewId !== maskId || !image.naturalWidth) return;
  const canvas = el.maskView;
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext('2d')!;
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < pixels.data.length; i += 4) {
    const inside = pixels.data[i] + pixels.data[i + 1] + pixels.data[i + 2] >= 3 * 127.5;
    pixels.data.set(inside ? [255, 0, 90, 115] : [0, 0, 0, 0], i);
  }
  context.putImageData(pixels, 0, 0);
  canvas.dataset.mask = maskId;
}

/** What the engine was told for this picture, and what the steps made on it since prepare for the next edit. */
function promptsText(current: View['versions'][number], pending: View['pending']): string {
  const parts: string[] = [];
  if (current.kind === 'result') {
    parts.push(`Prompt: ${current.caption ? `“${current.caption}”` : '(none)'}`);
    if (current.negativePrompt) parts.push(`negative: “${current.negativePrompt}”`);
  }
  if (pending) {
    const mask = pending.maskId ? `mask ${(pending.maskCoverage * 100).toFixed(1)}%` : 'no mask';
    parts.push(`Next edit: ${pending.notes.join(', ')} · ${mask}${pending.caption ? ` · caption “${pending.caption}”` : ''}`);
  }
  return parts.join(' · ');
}

const countdown = createCountdown();

function showProgress(fraction: number): void {
  el.progress.hidden = false;
  const pct = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  el.bar.style.width = `${pct}%`;
  el.progressLabel.textContent = countdown.update(fraction, performance.now());
}

function hideProgress(): void {
  el.progress.hidden = true;
  countdown.reset();
}

async function refresh(): Promise<void> {
  try {
    state = await getState(session);
  } catch (error) {
    appendMessage(el.log, 'error', `Could not load the session: ${(error as Error).message}`);
    return;
  }
  render();
  // The event stream is the fast path; while an edit runs, a slow poll covers a dropped stream.
  clearTimeout(pollTimer);
  if ((state.view?.active.length ?? 0) > 0) pollTimer = window.setTimeout(() => void refresh(), 1500);
}

function show(answer: TurnAnswer): void {
  for (const message of answer.messages) appendMessage(el.log, 'bot', message);
  for (const message of answer.errors) appendMessage(el.log, 'error', message);
}

async function act(said: string, work: () => Promise<TurnAnswer>): Promise<TurnAnswer | null> {
  if (busy) return null;
  busy = true;
  render();
  if (said) appendMessage(el.log, 'you', said);
  try {
    const answer = await work();
    show(answer);
    return answer;
  } catch (error) {
    appendMessage(el.log, 'error', `Could not reach the studio: ${(error as Error).message}`);
    return null;
  } finally {
    busy = false;
    await refresh();
  }
}

const turn = (body: TurnBody, said: string) => act(said, () => sendTurn(session, body));

async function sendChat(): Promise<void> {
  const text = el.text.value.trim();
  const withMask = painter.hasPaint() && head() !== null;
  if (!text && !withMask) return;
  const mask = withMask ? await painter.toPngBase64() : undefined;
  const answer = await turn({ text, ...(mask ? { mask } : {}) }, `${text}${mask ? ' (with the painted mask)' : ''}`);
  if (answer && answer.errors.length === 0) {
    el.text.value = '';
    if (mask) painter.clear();
  }
}

async function uploadFile(file: File): Promise<void> {
  await act(`Uploaded ${file.name}`, () => upload(session, file));
}

function connect(): void {
  events?.close();
  events = new EventSource(eventsUrl(session));
  const data = (e: Event) => JSON.parse((e as MessageEvent<string>).data) as Record<string, unknown>;
  events.addEventListener('progress', (e) => showProgress(Number(data(e).fraction)));
  events.addEventListener('status', (e) => (el.statusLine.textContent = String(data(e).message)));
  events.addEventListener('text', (e) => appendMessage(el.log, 'bot', String(data(e).message)));
  events.addEventListener('error', (e) => {
    // EventSource also fires a plain 'error' when the connection drops: only server events carry data.
    if ((e as MessageEvent).data) appendMessage(el.log, 'error', String(data(e).message));
  });
  events.addEventListener('image', (e) => {
    const event = data(e);
    if (event.role !== 'result') return;
    appendMessage(el.log, 'bot', String(event.caption));
    el.statusLine.textContent = '';
    void refresh();
  });
}

function switchSession(name: string): void {
  session = name;
  rememberSession(name);
  el.log.replaceChildren();
  shownImageId = null;
  renderSessions();
  void refreshSessions();
  connect();
  void refresh();
}

function setTool(tool: MaskTool): void {
  painter.setTool(tool);
  el.brush.setAttribute('aria-pressed', String(tool === 'brush'));
  el.box.setAttribute('aria-pressed', String(tool === 'box'));
}

el.brush.addEventListener('click', () => setTool('brush'));
el.box.addEventListener('click', () => setTool('box'));
el.size.addEventListener('input', () => painter.setSize(Number(el.size.value)));
el.clearMask.addEventListener('click', () => painter.clear());
el.overlay.addEventListener('change', render);
el.beforeAfter.addEventListener('change', render);
el.file.addEventListener('change', () => {
  const file = el.file.files?.[0];
  el.file.value = '';
  if (file) void uploadFile(file);
});
el.drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  el.drop.classList.add('dragging');
});
el.drop.addEventListener('dragleave', () => el.drop.classList.remove('dragging'));
el.drop.addEventListener('drop', (e) => {
  e.preventDefault();
  el.drop.classList.remove('dragging');
  const file = e.dataTransfer?.files[0];
  if (file) void uploadFile(file);
});
el.chatForm.addEventListener('submit', (e) => {
  e.preventDefault();
  void sendChat();
});
el.text.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    void sendChat();
  }
});
for (const button of el.actions.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
  button.addEventListener('click', () => void turn({ action: button.dataset.action as ButtonAction }, button.textContent ?? ''));
}
el.captionButton.addEventListener('click', () => {
  el.captionForm.hidden = !el.captionForm.hidden;
  el.captionInput.value = head()?.caption ?? '';
  if (!el.captionForm.hidden) el.captionInput.focus();
});
el.captionForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const value = el.captionInput.value.trim();
  el.captionForm.hidden = true;
  void turn({ action: 'caption', value }, `caption: ${value}`);
});
el.session.addEventListener('change', () => switchSession(el.session.value));
el.session.addEventListener('focus', () => void refreshSessions());
el.newSession.addEventListener('click', () => {
  const name = prompt('Name the new session (letters, digits, . _ -)')?.trim();
  if (name && /^[\w.-]{1,40}$/.test(name)) switchSession(name);
  else if (name) appendMessage(el.log, 'error', 'A session name is 1–40 letters, digits, dots, dashes or underscores.');
});

switchSession(session);
