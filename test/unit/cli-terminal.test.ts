import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCliAdapter } from '../../adapters/cli/cli.ts';
import { createProgressDisplay, forTerminal } from '../../adapters/cli/terminal.ts';
import { loadConfig } from '../../src/config.ts';
import type { Core, IncomingTurn } from '../../src/contracts.ts';
import { exitCodeFor, type ErrorCode } from '../../src/errors.ts';
import { createLogger, holdLines } from '../../src/log.ts';

/** A stream that records what was written; `tty` makes it look like a terminal (with colours unless told otherwise). */
function recorder(tty: boolean, colors = true) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, { chunks, isTTY: tty, columns: 100, hasColors: () => colors, text: () => chunks.join('') });
}

const cyan = (text: string) => `\x1b[36m${text}\x1b[39m`;

describe('logs: readable on a terminal, JSON when piped or in production', () => {
  it('LOG_FORMAT wins; NODE_ENV=production means JSON; otherwise the stream decides', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadConfig({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT .*\(got "xml"\)/);
  });

  it.each([
    ['auto', true, 'pretty'],
    ['auto', false, 'json'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
  ] as const)('format %s on a %s-TTY stream writes %s', (format, tty, expected) => {
    const out = recorder(tty, false);
    createLogger('info', { format, destination: out }).info({ engine: 'classical', worker: 'in process', token: 'secret' }, 'brushtalk running');
    if (expected === 'json') expect(JSON.parse(out.text())).toMatchObject({ msg: 'brushtalk running', engine: 'classical', token: '[redacted]' });
    else expect(out.text()).toMatch(/^\d\d:\d\d:\d\d info {2}brushtalk running {2}engine=classical {2}worker="in process" {2}token=\[redacted\]\n$/);
  });

  it('a readable error line shows the error message, not its stack', () => {
    const out = recorder(false);
    createLogger('info', { format: 'pretty', destination: out }).error({ err: new TypeError('bad thing') }, 'turn failed');
    expect(out.text()).toMatch(/ error turn failed {2}error="TypeError: bad thing"\n$/);
    expect(out.text()).not.toMatch(/\n\s+at /);
  });

  it('held lines wait for release, then come out in order (npm start prints the URL first)', () => {
    const out = recorder(false);
    const held = holdLines(out);
    const log = createLogger('info', { destination: held });
    log.info('one');
    log.info('two');
    expect(out.chunks).toEqual([]);
    out.write('brushtalk studio: http://127.0.0.1:7860/\n');
    held.release();
    log.info('three');
    expect(out.chunks[0]).toMatch(/^brushtalk studio/);
    expect(out.chunks.slice(1).map((line) => JSON.parse(line).msg)).toEqual(['one', 'two', 'three']);
  });

  it('held lines come out by themselves when the start takes too long', async () => {
    const out = recorder(false);
    createLogger('info', { destination: holdLines(out, 20) }).warn('redis is not answering');
    expect(out.chunks).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(out.chunks.map((line) => JSON.parse(line).msg)).toEqual(['redis is not answering']);
  });
});

describe('the terminal', () => {
  it('shows `code` in cyan (or plain without colours) on a terminal, and leaves piped markdown as written', () => {
    const text = 'Say `mask box x,y,w,h` first, **then** what to change.';
    expect(forTerminal(text, recorder(true))).toBe(`Say ${cyan('mask box x,y,w,h')} first, \x1b[1mthen\x1b[22m what to change.`);
    expect(forTerminal(text, recorder(true, false))).toBe('Say mask box x,y,w,h first, then what to change.');
    expect(forTerminal(text, recorder(false))).toBe(text);
  });

  it('piped progress: a line per 10 % step, once each, always ending at 100 % (done); the next edit counts again', () => {
    const out = recorder(false);
    const progress = createProgressDisplay(out);
    for (const fraction of [0, 0.04, 0.15, 0.15, 0.5, 0.97]) progress.update(fraction);
    progress.done();
    progress.update(0.2);
    expect(out.chunks).toEqual(['… 0%\n', '… 10%\n', '… 50%\n', '… 90%\n', '… 100% (done)\n', '… 20%\n']);
  });

  it('terminal progress: one bar redrawn in place (cli-progress), ending at 100 %', () => {
    const out = recorder(true);
    const progress = createProgressDisplay(out);
    for (const fraction of [0, 0.3, 0.6]) progress.update(fraction);
    progress.done();
    const frames = out.text().split('\x1b[1G').filter((frame) => frame.startsWith('editing'));
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames.at(-1)).toMatch(/^editing █{30} 100%/);
    expect(out.text().split('\n').length).toBeLessThanOrEqual(2); // redrawn, not a line per step
  });
});

/** A core that answers every turn with a hint in markdown and a failed outcome. */
function fakeCore(said: string[]): Core {
  return {
    async handleTurn(turn: IncomingTurn, reply) {
      said.push(turn.text);
      await reply.text('The detector is not installed. Meanwhile, say `mask box x,y,w,h` first.');
      reply.ended?.({ failed: 'weights.missing' });
    },
    async settled() {},
    async view() {
      return null;
    },
    cliSessions: () => [],
    async picture() {
      return null;
    },
    status: () => {
      throw new Error('not used');
    },
    findInPicture: () => Promise.reject(new Error('not used')),
  };
}

describe('brushtalk chat on a terminal', () => {
  it('prompts with "> ", renders markdown, and quit exits 0 even after a failed turn', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const stdout = recorder(true);
    const said: string[] = [];
    const cli = createCliAdapter({ outDir: '/nonexistent', stdout, stderr: recorder(true), input, convert: async (png) => png });
    const running = cli.run(fakeCore(said), ['chat', '--session', 'tty']);
    input.write('remove the bench\n');
    input.write('quit\n');
    expect(await running).toBe(0);
    expect(said).toEqual(['remove the bench']);
    expect(stdout.text()).toContain(`session "tty" — say what to change, ${cyan('load <file>')} for a picture`);
    expect(stdout.text()).toContain(`Meanwhile, say ${cyan('mask box x,y,w,h')} first.`);
    expect(stdout.text()).not.toContain('`');
    expect(stdout.text().split('> ').length - 1).toBe(2); // before each line typed
  });

  it('the same turn as a one-shot `edit` exits with the code for its failure', async () => {
    const cli = createCliAdapter({ outDir: '/nonexistent', stdout: recorder(false), stderr: recorder(false), convert: async (png) => png });
    expect(await cli.run(fakeCore([]), ['edit', 'remove the bench'])).toBe(3);
  });
});

describe('exit codes', () => {
  it.each([
    [null, 0],
    ['vision.not_found', 1],
    ['engine.failed', 1],
    ['engine.not_generative', 1],
    ['image.unsupported_format', 1],
    ['internal', 1],
    ['command.unknown', 2],
    ['command.bad_arguments', 2],
    ['instruction.too_long', 2],
    ['agent.bad_arguments', 1],
    ['file.unreadable', 2],
    ['weights.unknown', 2],
    ['weights.missing', 3],
    ['config.invalid', 3],
    ['server.port_in_use', 3],
  ] as [ErrorCode | null, number][])('%s → %i', (code, exit) => {
    expect(exitCodeFor(code)).toBe(exit);
  });
});
