/// <reference lib="dom" />

/**
 * The session picker: this browser's own sessions (remembered here), and the command line's sessions on this
 * machine ("cli:kitchen" is `brushtalk … --session kitchen`), which the server lists for a studio on localhost.
 */

const sessionsKey = 'brushtalk.sessions';
const currentKey = 'brushtalk.session';

export function savedSession(): string {
  return localStorage.getItem(currentKey) ?? 'main';
}

function ownSessions(current: string): string[] {
  const stored = JSON.parse(localStorage.getItem(sessionsKey) ?? '[]') as unknown;
  const names = Array.isArray(stored) ? stored.filter((s): s is string => typeof s === 'string' && !s.startsWith('cli:')) : [];
  return [...new Set(['main', ...names, ...(current.startsWith('cli:') ? [] : [current])])];
}

export function rememberSession(current: string): void {
  localStorage.setItem(currentKey, current);
  localStorage.setItem(sessionsKey, JSON.stringify(ownSessions(current)));
}

function option(name: string, label: string, current: string): HTMLOptionElement {
  const item = document.createElement('option');
  item.value = name;
  item.textContent = label;
  item.selected = name === current;
  return item;
}

export function renderSessionPicker(select: HTMLSelectElement, current: string, cli: readonly string[]): void {
  const own = ownSessions(current).map((name) => option(name, name, current));
  const fromCli = [...new Set([...cli, ...(current.startsWith('cli:') ? [current] : [])])];
  if (fromCli.length === 0) {
    select.replaceChildren(...own);
    return;
  }
  const group = document.createElement('optgroup');
  group.label = 'From the command line';
  group.append(...fromCli.map((name) => option(name, name.slice('cli:'.length), current)));
  select.replaceChildren(...own, group);
}
