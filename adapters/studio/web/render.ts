/// <reference lib="dom" />
import type { ServiceStatus, VersionView } from '../../../src/contracts.ts';

/** DOM drawing for the parts of the page that only display: the chat log, the strip, the status panel. */

export function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

/** Replies use `backticks` for commands: shown as code, and everything else as text (never as HTML). */
function inline(text: string): Node[] {
  return text.split('`').map((part, i) => {
    if (i % 2 === 0) return document.createTextNode(part);
    const code = document.createElement('code');
    code.textContent = part;
    return code;
  });
}

export type MessageKind = 'you' | 'bot' | 'error';

export function appendMessage(log: HTMLElement, kind: MessageKind, text: string): void {
  if (!text.trim()) return;
  const item = document.createElement('li');
  item.className = `msg ${kind}`;
  if (kind === 'error') item.setAttribute('role', 'alert');
  item.append(...inline(text));
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

/** The pictures of the conversation, the current one marked. */
export function renderStrip(strip: HTMLElement, versions: VersionView[], currentId: string | null, url: (blobId: string) => string, onPick: (n: number) => void): void {
  strip.replaceChildren(
    ...versions.map((v) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'thumb';
      button.dataset.version = String(v.number);
      button.title = `v${v.number} · ${v.kind}${v.note ? ` · ${v.note}` : ''}`;
      if (v.id === currentId) button.setAttribute('aria-current', 'true');
      const img = document.createElement('img');
      img.src = url(v.imageId);
      img.alt = `version ${v.number}`;
      img.loading = 'lazy';
      const label = document.createElement('span');
      label.textContent = `v${v.number} ${v.kind}`;
      button.append(img, label);
      button.addEventListener('click', () => onPick(v.number));
      item.append(button);
      return item;
    }),
  );
}

function row(list: HTMLElement, name: string, value: string, ok: boolean, hint: string | null): void {
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  const badge = document.createElement('span');
  badge.className = ok ? 'badge ok' : 'badge off';
  badge.textContent = value;
  dd.append(badge);
  if (hint) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.append(...inline(hint));
    dd.append(p);
  }
  list.append(dt, dd);
}

export function renderStatus(list: HTMLElement, status: ServiceStatus): void {
  list.replaceChildren();
  row(list, 'Engine', `${status.engine.name}${status.engine.generative ? ' (generative)' : ' (removals)'}`, status.engine.generative, status.engine.hint);
  row(list, 'Detector', `${status.detector.model}: ${status.detector.installed ? 'installed' : 'not installed'}`, status.detector.installed, status.detector.hint);
  row(list, 'Segmenter', `${status.segmenter.model}: ${status.segmenter.installed ? 'installed' : 'not installed'}`, status.segmenter.installed, status.segmenter.hint);
  row(list, 'Instructions', status.llm.configured ? `LLM ${status.llm.model}` : 'offline instructor', status.llm.configured, status.llm.hint);
}
