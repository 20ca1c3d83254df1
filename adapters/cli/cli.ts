import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { ChatAdapter, ConversationRef, Core, IncomingTurn, MaskInput, ReplyChannel } from '../../src/contracts.ts';
import { createCliReply, type CliOutput } from './reply.ts';

export const usage = `brushtalk — edit pictures by saying what to change

  brushtalk edit <image> "<instruction>" [--mask m.png | --box x,y,w,h] [--out out.png] [--session name]
  brushtalk edit "<instruction or command>" --session name      continue a session (e.g. "mask grow 12", "undo")
  brushtalk chat [--session name] [image]                         interactive; "load <file>" sends a picture
  brushtalk detect <image> "<phrase>" [--out mask.png]            find an object: writes its mask and an overlay
  brushtalk weights list|pull <id>|verify                         model files for detect/find (see weights/README.md)
  brushtalk history --session name
  brushtalk undo|redo --session name ·  brushtalk version N --session name
  brushtalk serve                                                 run the service (same as npm start)`;

export interface CliEnvironment {
  outDir: string;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  input?: NodeJS.ReadableStream;
}

class UsageError extends Error {}

function parseBox(raw: string): MaskInput {
  const parts = raw.split(/[\s,]+/).filter(Boolean);
  if (parts.length !== 4 || !parts.every((p) => /^\d+$/.test(p))) throw new UsageError(`--box takes x,y,w,h in pixels, e.g. --box 40,60,200,120 (got "${raw}")`);
  const [x, y, w, h] = parts.map(Number);
  return { kind: 'box', box: { x, y, w, h } };
}

async function readFileFor(what: string, file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read the ${what} "${file}": ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** The CLI as a chat adapter: a named session is a conversation on the 'cli' platform. */
export function createCliAdapter(env: CliEnvironment) {
  let failed = false;
  const outputs = new Map<string, CliOutput>();
  const outputFor = (session: string, resultPath?: string): CliOutput => {
    const existing = outputs.get(session);
    if (existing && !resultPath) return existing;
    const created: CliOutput = {
      dir: path.join(env.outDir, session.replace(/[^\w.-]+/g, '_')),
      resultPath,
      write: env.stdout,
      progress: env.stderr,
      onError: () => {
        failed = true;
      },
    };
    outputs.set(session, created);
    return created;
  };
  const refFor = (session: string): ConversationRef => ({ platform: 'cli', scope: 'local', channelId: session });
  const replies = new Map<string, ReplyChannel>();
  const replyFor = (session: string, resultPath?: string) => {
    if (resultPath || !replies.has(session)) replies.set(session, createCliReply(outputFor(session, resultPath)));
    return replies.get(session)!;
  };

  const adapter: ChatAdapter = {
    platform: 'cli',
    async start() {},
    replyTo: (ref) => replyFor(ref.channelId),
    async stop() {},
  };

  async function say(core: Core, session: string, text: string, extra: Partial<IncomingTurn> = {}, resultPath?: string): Promise<void> {
    const turn: IncomingTurn = { ref: refFor(session), messageId: randomUUID(), userId: os.userInfo().username, text, images: [], ...extra };
    await core.handleTurn(turn, replyFor(session, resultPath));
    await core.settled(turn.ref);
  }

  async function chat(core: Core, session: string, image: string | undefined): Promise<void> {
    if (image) await say(core, session, '', { images: [{ bytes: await readFileFor('image', image), name: image }] });
    const rl = readline.createInterface({ input: env.input ?? process.stdin, terminal: false });
    env.stdout(`session "${session}" — say what to change, "load <file>" for a picture, "help", or "quit".`);
    for await (const line of rl) {
      const text = line.trim();
      if (text === 'quit' || text === 'exit') break;
      const load = /^load\s+(.+)$/i.exec(text);
      try {
        if (load) await say(core, session, '', { images: [{ bytes: await readFileFor('image', load[1]), name: load[1] }] });
        else if (text) await say(core, session, text);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        env.stdout(`error: ${error.message}`);
      }
    }
    rl.close();
  }

  async function detect(core: Core, args: string[], out: string | undefined): Promise<void> {
    if (args.length !== 2) throw new UsageError('detect takes an image and a phrase, e.g. brushtalk detect photo.jpg "the left dog"');
    const [image, phrase] = args;
    const found = await core.findInPicture(await readFileFor('image', image), phrase);
    const maskPath = path.resolve(out ?? `${path.basename(image, path.extname(image))}-mask.png`);
    const overlayPath = maskPath.replace(/(\.png)?$/i, '-overlay.png');
    await fs.writeFile(maskPath, found.maskPng);
    await fs.writeFile(overlayPath, found.overlayPng);
    for (const line of found.lines) env.stdout(line);
    env.stdout(`mask: ${maskPath}`);
    env.stdout(`overlay: ${overlayPath}`);
  }

  /** Run one CLI invocation; returns the process exit code. */
  async function run(core: Core, argv: string[]): Promise<number> {
    failed = false;
    try {
      const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { session: { type: 'string', short: 's' }, mask: { type: 'string' }, box: { type: 'string' }, out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
      });
      const [command, ...args] = positionals;
      const session = values.session ?? 'default';
      if (values.help || !command || command === 'help') {
        env.stdout(usage);
        return 0;
      }
      if (values.mask && values.box) throw new UsageError('give either --mask or --box, not both');
      const mask: MaskInput | undefined = values.box
        ? parseBox(values.box)
        : values.mask
          ? { kind: 'image', bytes: await readFileFor('mask', values.mask) }
          : undefined;
      switch (command) {
        case 'edit': {
          if (args.length === 0 || args.length > 2) throw new UsageError('edit takes an image and an instruction, or just an instruction to continue a session');
          const [image, text] = args.length === 2 ? [args[0], args[1]] : [undefined, args[0]];
          const images = image ? [{ bytes: await readFileFor('image', image), name: image }] : [];
          await say(core, session, text, { images, ...(mask ? { mask } : {}) }, values.out);
          break;
        }
        case 'history':
        case 'undo':
        case 'redo':
          await say(core, session, command);
          break;
        case 'version':
          await say(core, session, `version ${args[0] ?? ''}`.trim());
          break;
        case 'chat':
          await chat(core, session, args[0]);
          break;
        case 'detect':
          await detect(core, args, values.out);
          break;
        default:
          throw new UsageError(`unknown command "${command}"`);
      }
      return failed ? 1 : 0;
    } catch (error) {
      if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        env.stderr(`error: ${(error as Error).message}\n\n${usage}`);
        return 2;
      }
      throw error;
    }
  }

  return { adapter, run };
}
