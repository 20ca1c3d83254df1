import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBrushNetFolder } from '../../src/engines/brushnet/folder.ts';
import { tempDataDir } from '../helpers/env.ts';
import { tinyBrushNetId, writeTinyBrushNet } from '../helpers/tiny-brushnet.ts';

/**
 * weights/convert/export_brushnet.py writes brushtalk.json, and src/engines/brushnet/folder.ts reads it: the two
 * must agree. The writer needs no torch, so CI runs it on the scheduler configs real base models ship with.
 */
const python = spawnSync('python3', ['--version']).status === 0 ? 'python3' : null;
const writer = `
import json, sys, types
sys.path.insert(0, 'weights/convert')
import folder_contract as e
given = json.load(sys.stdin)
args = types.SimpleNamespace(checkpoint_name=None, brushnet='/ckpt/segmentation_mask_brushnet_ckpt', tiny=False, base_name=None,
    base='/models/realisticVisionV60B1_v51VAE', fp16=True, opset=17, source_repo='TencentARC/BrushNet', source_revision='0' * 40)
widths = {'latent_channels': given['vae']['latent_channels'], 'text_dim': given['unet']['cross_attention_dim']}
info = e.brushtalk_info(args, given['scheduler'], types.SimpleNamespace(**given['vae']), types.SimpleNamespace(**given['unet']), widths)
print(json.dumps(info))
`;

function exportInfo(scheduler: Record<string, unknown>) {
  const input = JSON.stringify({ scheduler, vae: { latent_channels: 4, scaling_factor: 0.18215 }, unet: { sample_size: 64, cross_attention_dim: 768 } });
  return spawnSync(python!, ['-c', writer], { input, encoding: 'utf8', cwd: path.join(import.meta.dirname, '..', '..') });
}

// SD1.5's own scheduler_config.json (saved by an old diffusers: no timestep_spacing) and a fine-tune's that names it.
const sd15 = { _class_name: 'PNDMScheduler', beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000, steps_offset: 1, skip_prk_steps: true, set_alpha_to_one: false, trained_betas: null, clip_sample: false };
const realisticVision = { ...sd15, _class_name: 'DPMSolverMultistepScheduler', timestep_spacing: 'leading', prediction_type: 'epsilon' };

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe.skipIf(!python)('the export script and the BrushNet loader agree on brushtalk.json', () => {
  const all = (s: string) => ({ ddim: s, 'dpmpp-2m': s, unipc: s });
  it.each([
    ['SD1.5 (no timestep_spacing → each class default: UniPC linspace, DDIM leading)', sd15, 'linspace', { ddim: 'leading', 'dpmpp-2m': 'linspace', unipc: 'linspace' }],
    ['a fine-tune naming "leading"', realisticVision, 'leading', all('leading')],
  ])('%s', (_name, scheduler, spacing, spacings) => {
    const run = exportInfo(scheduler);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    const dir = writeTinyBrushNet(temp.dir);
    fs.writeFileSync(path.join(dir, 'brushtalk.json'), run.stdout);
    const folder = readBrushNetFolder(temp.dir, tinyBrushNetId);
    expect(folder).toMatchObject({ sampleSize: 64, latentChannels: 4, textDim: 768, scalingFactor: 0.18215 });
    expect(folder.schedule).toEqual({
      numTrainTimesteps: 1000, betaStart: 0.00085, betaEnd: 0.012, betaSchedule: 'scaled_linear',
      spacing, spacings, stepsOffset: 1, predictionType: 'epsilon', setAlphaToOne: false,
    });
  });

  it('reads a folder exported before per-scheduler spacings by the base config it recorded', () => {
    const run = exportInfo(sd15);
    expect(run.status).toBe(0);
    const info = JSON.parse(run.stdout);
    delete info.scheduler.spacings;
    delete info.scheduler.setAlphaToOne;
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    const dir = writeTinyBrushNet(temp.dir);
    fs.writeFileSync(path.join(dir, 'brushtalk.json'), JSON.stringify(info));
    const old = readBrushNetFolder(temp.dir, tinyBrushNetId).schedule;
    expect([old.spacings?.ddim, old.spacings?.unipc, old.setAlphaToOne]).toEqual(['leading', 'linspace', false]);
    // A hand-written folder with neither: its one spacing is every scheduler's.
    delete info.baseScheduler;
    fs.writeFileSync(path.join(dir, 'brushtalk.json'), JSON.stringify(info));
    expect(readBrushNetFolder(temp.dir, tinyBrushNetId).schedule.spacings).toBeUndefined();
  });

  it('refuses a base model whose schedule brushtalk cannot reproduce, before any export work', () => {
    const run = exportInfo({ ...sd15, trained_betas: [0.1, 0.2] });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/base scheduler_config: it has trained_betas; brushtalk's schedulers cannot reproduce it/);
  });
});
