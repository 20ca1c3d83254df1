/**
 * The BrushNet model folder contract, `<weightsDir>/<id>/` (design §3.3). Pure file checks and JSON parsing,
 * no onnxruntime, so the main thread can refuse a missing model before it starts a worker.
 *
 *   tokenizer/tokenizer.json, tokenizer/tokenizer_config.json   CLIP BPE (SD1.5's tokenizer folder)
 *   text_encoder/model.onnx   input_ids [B,77] int64 (int32 accepted) → last_hidden_state [B,77,768]
 *   vae_encoder/model.onnx    sample [B,3,H,W] in [-1,1] → latent_parameters [B,8,h,w] = (mean, logvar), as
 *                             optimum exports it; a 4-channel output is taken as the mean itself. brushtalk
 *                             uses the mean (no sampling), × scalingFactor.
 *   unet/model.onnx           the FUSED BrushNet branch + UNet: sample [2B,4,h,w], timestep [1] float32 (int64
 *                             accepted), encoder_hidden_states [2B,77,768], brushnet_cond [2B,5,h,w] =
 *                             (masked-image latent × scalingFactor, mask with 1 on KEPT pixels),
 *                             conditioning_scale [1] float32 → noise_pred [2B,4,h,w] (ε)
 *   vae_decoder/model.onnx    latent_sample [B,4,h,w] (already ÷ scalingFactor) → sample [B,3,H,W] in [-1,1]
 *   brushtalk.json            { format, sampleSize, latentChannels, textDim, scalingFactor, scheduler: ScheduleConfig,
 *                             baseScheduler? (the base model's raw scheduler_config.json) }
 *
 * Each scheduler's spacing is scheduler.spacings[name]; a folder without `spacings` (exported before they were
 * written) gets them derived from baseScheduler as diffusers would (DDIM 'leading' for SD1.5's file), and a
 * folder with neither runs every scheduler at scheduler.spacing.
 *
 * 768 and 4 are SD1.5's widths: the text width (the UNet's cross_attention_dim) is brushtalk.json's textDim and the
 * latent channels its latentChannels (brushnet_cond then has latentChannels + 1), as the export read them from the
 * models' configs. h = H/8, w = W/8. The batch of the unet is 2B under classifier-free guidance ([uncond…, cond…]), B without.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { BrushtalkError } from '../../errors.ts';
import { diffusersSpacings, type ScheduleConfig } from './scheduler.ts';

export const brushNetFiles = {
  tokenizer: 'tokenizer/tokenizer.json',
  tokenizerConfig: 'tokenizer/tokenizer_config.json',
  textEncoder: 'text_encoder/model.onnx',
  vaeEncoder: 'vae_encoder/model.onnx',
  unet: 'unet/model.onnx',
  vaeDecoder: 'vae_decoder/model.onnx',
  manifest: 'brushtalk.json',
} as const;

export interface BrushNetFolder {
  dir: string;
  /** Latent side the base model was trained at (64 for SD1.5's 512 px). */
  sampleSize: number;
  latentChannels: number;
  /** Width of the text encoder's hidden states, the UNet's cross_attention_dim (768 for SD1.5's CLIP ViT-L/14). */
  textDim: number;
  scalingFactor: number;
  schedule: ScheduleConfig;
}

const spacing = z.enum(['linspace', 'leading', 'trailing']);

const manifestSchema = z.object({
  format: z.literal('brushtalk-brushnet/1'),
  sampleSize: z.number().int().positive().default(64),
  latentChannels: z.number().int().positive().default(4),
  textDim: z.number().int().positive().default(768),
  scalingFactor: z.number().positive().default(0.18215),
  scheduler: z.object({
    numTrainTimesteps: z.number().int().positive(),
    betaStart: z.number().positive(),
    betaEnd: z.number().positive(),
    betaSchedule: z.enum(['scaled_linear', 'linear']),
    spacing,
    spacings: z.object({ ddim: spacing, 'dpmpp-2m': spacing, unipc: spacing }).partial().optional(),
    stepsOffset: z.number().int().min(0),
    predictionType: z.enum(['epsilon', 'v_prediction']),
    setAlphaToOne: z.boolean().optional(),
  }),
  baseScheduler: z.record(z.string(), z.unknown()).optional(),
});

type Manifest = z.infer<typeof manifestSchema>;

/** The schedule with per-scheduler spacings and DDIM's final ᾱ filled in from the base's raw config where absent. */
function scheduleOf(m: Manifest, file: string): ScheduleConfig {
  const { spacings, setAlphaToOne, ...rest } = m.scheduler;
  const base = m.baseScheduler;
  let derived: ScheduleConfig['spacings'];
  try {
    derived = spacings ?? (base ? diffusersSpacings(base) : undefined);
  } catch (error) {
    throw new BrushtalkError('weights.corrupt', `${file}: baseScheduler ${(error as Error).message}.`);
  }
  // DDIMScheduler's default set_alpha_to_one is true; SD-style configs set it to false.
  const alphaToOne = setAlphaToOne ?? (base ? base.set_alpha_to_one !== false : false);
  return { ...rest, ...(derived ? { spacings: derived } : {}), setAlphaToOne: alphaToOne };
}

/** What to tell someone whose folder is missing: the pull command, or the export script for their own base model. */
function howToInstall(modelId: string, dir: string): string {
  return `Run: npx brushtalk weights pull ${modelId} (files go to ${dir}), or export your own SD1.5 base + BrushNet checkpoint with the script in weights/convert/ into that folder.`;
}

/** Check the folder is complete and read brushtalk.json; 'weights.missing' names the fix, 'weights.corrupt' the bad field. */
export function readBrushNetFolder(weightsDir: string, modelId: string): BrushNetFolder {
  const dir = path.join(weightsDir, modelId);
  const missing = Object.values(brushNetFiles).filter((file) => !fs.existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    const what = missing.length === Object.keys(brushNetFiles).length ? `${dir} does not exist or is empty` : `${dir} lacks ${missing.join(', ')}`;
    throw new BrushtalkError('weights.missing', `The BrushNet model "${modelId}" is not installed (${what}). ${howToInstall(modelId, dir)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(dir, brushNetFiles.manifest), 'utf8'));
  } catch (cause) {
    throw new BrushtalkError('weights.corrupt', `${path.join(dir, brushNetFiles.manifest)} is not valid JSON.`, { cause });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BrushtalkError('weights.corrupt', `${path.join(dir, brushNetFiles.manifest)}: ${issue.path.join('.') || 'file'} ${issue.message}.`);
  }
  const m = parsed.data;
  const schedule = scheduleOf(m, path.join(dir, brushNetFiles.manifest));
  return { dir, sampleSize: m.sampleSize, latentChannels: m.latentChannels, textDim: m.textDim, scalingFactor: m.scalingFactor, schedule };
}
