import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { ChatAdapter, ConversationRef, Core, IncomingTurn, MaskInput, ReplyChannel, TurnOutcome } from '../../src/contracts.ts';
import { BrushtalkError, exitCodeFor, isBrushtalkError } from '../../src/errors.ts';
import { cliSessionRef, localUserId } from '../../src/local-user.ts';
import { createCliReply, writePicture, type CliOutput, type SaveAs, type SavedFormat } from './reply.ts';
import { forTerminal, type TextStream } from './terminal.ts';
import { usage } from './usage.ts';

export { usage };

export interface CliEnvironment {
  outDir: string;
  stdout: TextStream;
  stderr: TextStream;
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  convert: CliOutput['convert'];
}

const savedFormats: Record<string, SavedFormat> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };
/** Names that are pictures, not instructions: `edit dog.png` lacks its instruction. */
const pictureName = /\.(png|jpe?g|webp|gif|avif|tiff?|heic|heif|bmp)$/i;
const example = 'brushtalk edit photo.jpg "remove the cup" --box 40,60,200,120';

const badArguments = (message: string) => new BrushtalkError('command.bad_arguments', message);

function parseBox(raw: string): MaskInput {
  const parts = raw.split(/[\s,]+/).filter(Boolean);
  if (parts.length !== 4 || !parts.every((p) => /^\d+$/.test(p))) throw badArguments(`--box takes x,y,w,h in pixels, e.g. --box 40,60,200,120 (got "${raw}")`);
  const [x, y, w, h] = parts.map(Number);
  return { kind: 'box', box: { x, y, w, h } };
}

/** Where --out writes, in the format its extension names; anything else is refused before any work. */
function saveTarget(file: string): SaveAs {
  const format = savedFormats[path.extname(file).toLowerCase()];
  if (!format) throw badArguments(`--out "${file}": name a .png, .jpg, .jpeg or .webp file (the extension picks the format)`);
  return { path: file, format };
}

const readProblems: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'that is a folder', EPERM: 'permission denied' };

async function readFileFor(what: string, file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new BrushtalkError('file.unreadable', `cannot read the ${what} "${file}": ${readProblems[code] ?? (code || String(error))}`, { cause: error });
  }
}

/** `edit <image> <instruction…>` or `edit <instruction…>`; words after the picture are the instruction even unquoted. */
function editArgs(args: string[]): { image?: string; text: string } {
  const [first, ...rest] = args;
  if (first === undefined) throw badArguments(`edit needs a picture and an instruction, e.g. ${example}`);
  if (!pictureName.test(first)) return { text: args.join(' ') };
  const text = rest.join(' ').trim();
  if (!text) throw badArguments(`"${first}" needs an instruction after it, e.g. brushtalk edit ${first} "remove the cup" --box 40,60,200,120`);
  return { image: first, text };
}

/** The CLI as a chat adapter: a named session is a conversation on the 'cli' platform. */
export function createCliAdapter(env: CliEnvironment) {
  let errorsShown = 0;
  let lastOutcome: TurnOutcome = { failed: null };
  const outputFor = (session: string, saveAs?: SaveAs): CliOutput => ({
    dir: path.join(env.outDir, session.replace(/[^\w.-]+/g, '_')),
    saveAs,
    stdout: env.stdout,
    stderr: env.stderr,
    convert: env.convert,
    onError: () => void errorsShown++,
    onEnded: (outcome) => void (lastOutcome = outcome),
  });
  const refFor = (session: string): ConversationRef => cliSessionRef(session);
  const replies = new Map<string, ReplyChannel>();
  const replyFor = (session: string, saveAs?: SaveAs) => {
    if (saveAs || !replies.has(session)) replies.set(session, createCliReply(outputFor(session, saveAs)));
    return replies.get(session)!;
  };
  const line = (text: string) => env.stdout.write(`${forTerminal(text, env.stdout)}\n`);

  const adapter: ChatAdapter = {
    platform: 'cli',
    async start() {},
    replyTo: (ref) => replyFor(ref.channelId),
    async stop() {},
  };

  /** One turn and the edits it queued; a job that failed after the turn counts as the turn failing. */
  async function say(core: Core, session: string, text: string, extra: Partial<IncomingTurn> = {}, saveAs?: SaveAs): Promise<TurnOutcome> {
    const turn: IncomingTurn = { ref: refFor(session), messageId: randomUUID(), userId: localUserId(), text, images: [], ...extra };
    lastOutcome = { failed: null };
    await core.handleTurn(turn, replyFor(session, saveAs));
    const outcome = lastOutcome;
    const shown = errorsShown;
    await core.settled(turn.ref);
    return outcome.failed === null && errorsShown > shown ? { failed: 'engine.failed' } : outcome;
  }

  async function chat(core: Core, session: string, image: string | undefined): Promise<void> {
    if (image) await say(core, session, '', { images: [{ bytes: await readFileFor('picture', image), name: image }] });
    const input = env.input ?? process.stdin;
    // A person at a terminal gets a prompt and line editing; piped input is read as it comes.
    const terminal = input.isTTY === true && env.stdout.isTTY === true;
    const rl = readline.createInterface({ input, output: terminal ? (env.stdout as NodeJS.WritableStream) : undefined, terminal });
    rl.setPrompt('> ');
    line(`session "${session}" — say what to change, \`load <file>\` for a picture, \`help\`, or \`quit\`.`);
    if (terminal) rl.prompt();
    for await (const raw of rl) {
      const text = raw.trim();
      if (text === 'quit' || text === 'exit') break;
      const load = /^load\s+(.+)$/i.exec(text);
      try {
        if (load) await say(core, session, '', { images: [{ bytes: await readFileFor('picture', load[1]), name: load[1] }] });
        else if (text) await say(core, session, text);
      } catch (error) {
        // A refusal is part of the conversation: say it and go on (the turn's own errors are already shown).
        if (!isBrushtalkError(error)) throw error;
        line(`error: ${error.userMessage}`);
      }
      if (terminal) rl.prompt();
    }
    rl.close();
  }

  async function detect(core: Core, args: string[], out: string | undefined): Promise<void> {
    if (args.length !== 2) throw badArguments('detect takes a picture and a phrase, e.g. brushtalk detect photo.jpg "the left dog"');
    const [image, phrase] = args;
    const target = saveTarget(out ?? `${path.basename(image, path.extname(image))}-mask.png`);
    const found = await core.findInPicture(await readFileFor('picture', image), phrase);
    const ext = path.extname(target.path);
    const overlay = { ...target, path: `${target.path.slice(0, -ext.length)}-overlay${ext}` };
    for (const text of found.lines) line(text);
    line(`mask: ${await writePicture(target, found.maskPng, env.convert)}`);
    line(`overlay: ${await writePicture(overlay, found.overlayPng, env.convert)}`);
  }

  async function command(core: Core, argv: string[]): Promise<TurnOutcome> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { session: { type: 'string', short: 's' }, mask: { type: 'string' }, box: { type: 'string' }, out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
    });
    const [name, ...args] = positionals;
    const session = values.session ?? 'default';
    if (values.help || !name || name === 'help') {
      line(usage);
      return { failed: null };
    }
    if (values.mask && values.box) throw badArguments('give either --mask or --box, not both');
    const saveAs = values.out && name === 'edit' ? saveTarget(values.out) : undefined;
    const mask: MaskInput | undefined = values.box ? parseBox(values.box) : values.mask ? { kind: 'image', bytes: await readFileFor('mask', values.mask) } : undefined;
    switch (name) {
      case 'edit': {
        const { image, text } = editArgs(args);
        const images = image ? [{ bytes: await readFileFor('picture', image), name: image }] : [];
        return say(core, session, text, { images, ...(mask ? { mask } : {}) }, saveAs);
      }
      case 'history':
      case 'undo':
      case 'redo':
        return say(core, session, name);
      case 'version':
        return say(core, session, `version ${args[0] ?? ''}`.trim());
      case 'chat':
        await chat(core, session, args[0]);
        return { failed: null };
      case 'detect':
        await detect(core, args, values.out);
        return { failed: null };
      default:
        throw new BrushtalkError('command.unknown', `unknown command "${name}" (brushtalk help lists them)`);
    }
  }

  /** Run one CLI invocation; returns the process exit code (src/errors.ts's exitCodeFor decides it). */
  async function run(core: Core, argv: string[]): Promise<number> {
    try {
      return exitCodeFor((await command(core, argv)).failed);
    } catch (error) {
      const parse = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? badArguments(`${(error as Error).message.split('. ')[0]} (brushtalk help lists the options)`) : null;
      const known = parse ?? (isBrushtalkError(error) ? error : null);
      if (!known) throw error;
      env.stderr.write(`error: ${known.userMessage}\n`);
      return exitCodeFor(known.code);
    }
  }

  return { adapter, run };
}
