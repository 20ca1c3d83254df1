import { randomInt } from 'node:crypto';
import type { Box, MaskInput } from '../contracts.ts';
import { BrushtalkError, isBrushtalkError, type ErrorCode } from '../errors.ts';
import { withinBudget } from '../images/budget.ts';
import { decodeImage, decodeMask, encodeMaskPng, encodePng, imagePixels, storedPictureLimits, type DecodeLimits } from '../images/codec.ts';
import { subtractMask, unionMask } from '../images/mask-ops.ts';
import { maskCoverage, type Mask, type RgbImage } from '../images/raster.ts';
import type { JobQueue, JobSpec } from '../jobs/queue.ts';
import type { Logger } from '../log.ts';
import type { EditParams } from '../session/params.ts';
import { pictureVersion } from '../session/pictures.ts';
import * as S from '../session/session.ts';
import type { BlobStore } from '../store.ts';
import type { VisionService } from '../vision/service.ts';
import type { EngineFacts } from '../engines/engine.ts';
import { admitEdit } from './admission.ts';
import { checkEditType, checkFillCoverage, checkReroll, clearType, isCapabilityRefusal, judgedType, readWords, usefulParams } from './capabilities.ts';
import type { MaskOp } from './commands.ts';
import { findObject, reselect, type FoundObject } from './find.ts';
import { describeHead, formatHistory } from './history.ts';
import { applyMaskOp } from './mask-edit.ts';
import { markByHand, withHandMarking } from './surface.ts';

export interface OpsDeps {
  blobs: BlobStore;
  queue: JobQueue;
  limits: DecodeLimits;
  vision?: VisionService;
  engine: EngineFacts;
  clock: S.Clock;
  /** Who is asking: edits carry it for the per-user cap and fair ordering; a new picture records it as its author. */
  userId?: string;
  /** The asker's own defaults, applied to a new picture. */
  defaults?: Partial<EditParams>;
  /** Edits a user / a conversation may have waiting or running; absent: no limit. */
  caps?: { perUser: number; perConversation: number };
  log?: Logger;
  /** The surface asking ('cli', 'studio', …): a failed search names the way to mark an area there. */
  platform?: string;
}

/**
 * Everything a turn can do to its conversation's session — the explicit commands and the agent's tools both
 * call these. State changes stay in memory (the turn saves once, with its jobs, at the end); pixels go to the
 * content-addressed store. Calls run one at a time in call order, because an LLM may ask for several tools
 * at once and they would otherwise race on the same session.
 */
export interface SessionOps {
  readonly session: S.EditSession;
  readonly jobs: readonly JobSpec[];
  /** True when undo/redo/checkout ran: the turn then keeps the stacks exactly as they are. */
  readonly navigated: boolean;
  /** What the engine can do (the agent tells the model; the refusals below use it). */
  readonly engine: EngineFacts;
  /** The turn's reference (in every error reply) and log: the agent's tools report failures with them. */
  readonly ref: string;
  readonly log: Logger | undefined;
  /** True once something was refused because the engine cannot do it (see capabilities.ts). */
  readonly refused: boolean;
  /** The code of the error the last operation threw; null when it succeeded (a turn whose agent ended on a failure failed). */
  readonly failure: ErrorCode | null;
  /** Throws the worded refusal when the engine cannot do an edit of this type (before any mask is made for it), judged as runEdit will. */
  checkEdit(instruction: string, editType: S.EditType | null): void;
  /** Remember the state now; the returned function puts it back (an agent that failed half-way). */
  checkpoint(): () => void;
  /** The current picture as stored (PNG), for a model that can see. */
  headPicture(): Promise<Uint8Array | null>;
  takeImage(bytes: Uint8Array, mask?: MaskInput, count?: number): Promise<string>;
  setMaskFrom(input: MaskInput): Promise<string>;
  maskOp(op: MaskOp, note: string): Promise<string>;
  find(text: string, combine?: 'replace' | 'add' | 'subtract'): Promise<string>;
  choose(words: string): Promise<string>;
  place(box: Box, object: string): Promise<string>;
  setCaption(text: string): Promise<string>;
  setParams(update: Partial<EditParams>): Promise<string>;
  reseed(): Promise<string>;
  runEdit(instruction: string, editType?: S.EditType | null): Promise<string>;
  history(): Promise<string>;
  undo(): Promise<string>;
  redo(): Promise<string>;
  checkout(number: number): Promise<string>;
  cancel(): Promise<string>;
}

export function createSessionOps(deps: OpsDeps, loaded: S.EditSession, ref: string): SessionOps {
  let session = loaded;
  const jobs: JobSpec[] = [];
  let navigated = false;
  let refused = false;
  let failure: ErrorCode | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T> | T): Promise<T> => {
    const result = chain.then(work);
    chain = result.then(
      () => (failure = null),
      (error: unknown) => (failure = failureOf(error)),
    );
    return result;
  };
  const head = () => S.requireHead(session);
  /** Runs a capability check, remembering a refusal so the interpreter can drop what was made for it. */
  const honest = <T>(check: () => T): T => {
    try {
      return check();
    } catch (error) {
      if (isCapabilityRefusal(error)) refused = true;
      failure = failureOf(error); // checkEdit runs outside serial
      throw error;
    }
  };
  const now = () => describeHead(session, head());

  async function storeMask(mask: Mask): Promise<{ id: string; coverage: number }> {
    const coverage = maskCoverage(mask);
    if (coverage === 0) throw new BrushtalkError('mask.empty', 'That leaves the mask empty: mark the area to change.');
    const id = await deps.blobs.put(await encodeMaskPng(mask), { kind: 'mask', mime: 'image/png', width: mask.width, height: mask.height });
    return { id, coverage };
  }

  async function currentMask(): Promise<Mask | null> {
    const v = head();
    return v.maskId ? decodeMask(await deps.blobs.get(v.maskId), v.width, v.height, storedPictureLimits(deps.limits)) : null;
  }

  async function maskFromInput(input: MaskInput, width: number, height: number): Promise<Mask> {
    if (input.kind === 'image') return decodeMask(input.bytes, width, height, deps.limits);
    return applyMaskOp(null, { op: 'shape', shape: 'box', mode: 'replace', box: input.box }, width, height);
  }

  async function useFound(found: FoundObject, note: string, combine: 'replace' | 'add' | 'subtract'): Promise<string> {
    const previous = combine === 'replace' ? null : await currentMask();
    const mask = !previous ? found.mask : combine === 'add' ? unionMask(previous, found.mask) : subtractMask(previous, found.mask);
    const stored = await storeMask(mask);
    const { detections } = found;
    session = S.setMask(session, stored.id, stored.coverage, note, deps.clock, { detections, object: detections.phrase });
    const chosen = detections.selected.map((i) => i + 1).join(', ');
    const boxes = found.boxesOnly ? ' (no segmenter installed: the mask is the boxes; `npx brushtalk weights pull` adds one)' : '';
    return `Found ${detections.boxes.length} × "${detections.phrase}" (threshold ${detections.threshold}); using ${chosen} of ${detections.boxes.length}${boxes}. ${now()}.`;
  }

  /** The current picture decoded for the vision service, held inside the pixel budget while `use` runs. */
  async function withHeadImage<T>(use: (vision: VisionService, image: RgbImage, key: string) => Promise<T>): Promise<T> {
    if (!deps.vision) throw new BrushtalkError('engine.unavailable', `Finding objects is not set up on this server; mark the area yourself: ${markByHand(deps.platform)}.`);
    const { vision } = deps;
    const v = head();
    return withinBudget(deps.limits.budget, v.width * v.height, async () => use(vision, await decodeImage(await deps.blobs.get(v.imageId), storedPictureLimits(deps.limits)), v.imageId));
  }

  return {
    get session() {
      return session;
    },
    get jobs() {
      return jobs;
    },
    get navigated() {
      return navigated;
    },
    ref,
    log: deps.log,
    engine: deps.engine,
    get refused() {
      return refused;
    },
    get failure() {
      return failure;
    },
    checkEdit(instruction, editType) {
      honest(() => checkEditType(deps.engine, instruction, judgedType(instruction, editType, S.headVersion(session))));
    },
    checkpoint() {
      const saved = { session, jobCount: jobs.length, navigated, refused };
      return () => {
        session = saved.session;
        jobs.length = saved.jobCount;
        navigated = saved.navigated;
        refused = saved.refused;
      };
    },
    async headPicture() {
      const v = S.headVersion(session);
      return v ? deps.blobs.get(v.imageId) : null;
    },
    takeImage: (bytes, maskInput, count = 1) =>
      // The full-size picture is held from decoding to its stored PNG: inside the process's pixel budget.
      serial(async () => withinBudget(deps.limits.budget, await imagePixels(bytes, deps.limits), async () => {
        const decoded = await decodeImage(bytes, deps.limits);
        const imageId = await deps.blobs.put(await encodePng(decoded), { kind: 'image', mime: 'image/png', width: decoded.width, height: decoded.height });
        const mask = maskInput ? await storeMask(await maskFromInput(maskInput, decoded.width, decoded.height)) : null;
        session = S.addSource(
          session,
          {
            imageId,
            width: decoded.width,
            height: decoded.height,
            maskId: mask?.id ?? null,
            maskCoverage: mask?.coverage ?? 0,
            ...(deps.userId ? { authorId: deps.userId } : {}),
            ...(deps.defaults ? { params: deps.defaults } : {}),
          },
          randomInt(0, 2 ** 32 - 1),
          deps.clock,
        );
        const extra = count > 1 ? ` I took the first of the ${count} pictures.` : '';
        return `Got the picture (${decoded.width}×${decoded.height}, ${decoded.format}): ${now()}.${extra}`;
      })),
    setMaskFrom: (input) =>
      serial(async () => {
        const v = head();
        const stored = await storeMask(await maskFromInput(input, v.width, v.height));
        session = S.setMask(session, stored.id, stored.coverage, input.kind === 'box' ? 'mask from box' : 'mask from picture', deps.clock);
        return `Mask updated: ${now()}.`;
      }),
    maskOp: (op, note) =>
      serial(async () => {
        const v = head();
        if (op.op === 'clear') {
          session = S.setMask(session, null, 0, note, deps.clock);
          return 'Mask cleared.';
        }
        const stored = await storeMask(applyMaskOp(await currentMask(), op, v.width, v.height));
        session = S.setMask(session, stored.id, stored.coverage, note, deps.clock);
        return `Mask updated: ${now()}.`;
      }),
    find: (text, combine = 'replace') =>
      serial(async () => {
        const found = await withHeadImage((vision, image, key) => findObject(vision, image, key, text)).catch((error: unknown) => Promise.reject(withHandMarking(error, deps.platform)));
        return useFound(found, `find ${text}`, combine);
      }),
    choose: (words) =>
      serial(async () => {
        const v = head();
        if (!v.detections) throw new BrushtalkError('command.bad_arguments', 'There is nothing to choose from yet: first `find the dog`.');
        const detections = v.detections;
        return useFound(await withHeadImage((vision, image, key) => reselect(vision, image, key, detections, words)), `select ${words}`, 'replace');
      }),
    place: (box, object) =>
      serial(async () => {
        const v = head();
        const stored = await storeMask(applyMaskOp(null, { op: 'shape', shape: 'box', mode: 'replace', box }, v.width, v.height));
        session = S.setMask(session, stored.id, stored.coverage, `place ${object} at ${box.x},${box.y},${box.w},${box.h}`, deps.clock);
        return `The ${object} goes in ${box.w}×${box.h} px at ${box.x},${box.y}. ${now()}.`;
      }),
    setCaption: (text) =>
      serial(() => {
        session = S.setCaption(session, text, deps.clock);
        return `Caption set: ${now()}.`;
      }),
    setParams: (update) =>
      serial(() => {
        const useful = honest(() => usefulParams(deps.engine, update));
        session = S.setParams(session, useful.update, deps.clock);
        return [`Set ${head().note}.`, useful.said].filter(Boolean).join(' ');
      }),
    reseed: () =>
      serial(() => {
        honest(() => checkReroll(deps.engine));
        session = S.setParams(session, { seed: randomInt(0, 2 ** 32 - 1) }, deps.clock);
        return `New ${head().note}.`;
      }),
    runEdit: (instruction, editType = null) =>
      serial(async () => {
        const source = head();
        // The offline rules' reading of these words, once: the type to judge the edit by, the fallback caption
        // (rewritten from what the picture shows now) and the object a removal names.
        const words = readWords(instruction, pictureVersion(session, source).caption ?? undefined);
        // Nothing is queued for an edit this engine cannot do: a fill-only engine would return grey or smears.
        honest(() => checkEditType(deps.engine, instruction, judgedType(instruction, editType, source, words)));
        const type = editType ?? clearType(words) ?? source.editType;
        const spec = S.planEdit(session, instruction, type, { caption: words?.targetCaption, object: words?.object });
        honest(() => checkFillCoverage(deps.engine, source.maskCoverage));
        spec.completesSource = source.kind !== 'source' && !loaded.versions.some((v) => v.id === source.id);
        const admitted = await admitEdit(deps, spec, jobs, ref);
        jobs.push(admitted.job);
        const note = deps.engine.generative
          ? ''
          : ' The classical engine fills the region from its surroundings (good for removals); adding or changing things needs BrushNet: weights/convert/README.md says how to get its weights.';
        return `Editing with ${deps.engine.name} (job ${ref}). ${admitted.place}${note}`;
      }),
    history: () => serial(() => formatHistory(session)),
    undo: () =>
      serial(() => {
        session = S.undo(session);
        navigated = true;
        return `Undone. Now at ${now()}.`;
      }),
    redo: () =>
      serial(() => {
        session = S.redo(session);
        navigated = true;
        return `Redone. Now at ${now()}.`;
      }),
    checkout: (number) =>
      serial(() => {
        session = S.checkout(session, number);
        navigated = true;
        return `Now at ${now()}. Edits from here start a new branch.`;
      }),
    cancel: () =>
      serial(async () => {
        const active = await deps.queue.activeJobs(session.id);
        const cancelled = (await Promise.all(active.map((job) => deps.queue.cancel(job.id)))).filter(Boolean).length;
        return cancelled === 0 ? 'Nothing is running in this conversation.' : `Cancelled ${cancelled} edit${cancelled === 1 ? '' : 's'}.`;
      }),
  };
}

/** A setting the engine ignores ("seed 42" on a deterministic engine) is an answer (see turn.ts), not a failure. */
const failureOf = (error: unknown): ErrorCode | null => (!isBrushtalkError(error) ? 'internal' : error.code === 'engine.deterministic' ? null : error.code);
