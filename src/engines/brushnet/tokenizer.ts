/**
 * CLIP tokenization for the SD1.5 text encoder (design §3.3): always 77 ids, BOS first, EOS after the
 * prompt, padded with the pad token (EOS for SD1.5), truncated so that EOS survives.
 *
 * The BPE itself comes from transformers.js reading the model folder's tokenizer/tokenizer.json offline;
 * the framing (BOS/EOS/pad/truncate) is done here rather than by the library's padding options, so the
 * 77-id contract holds whatever the folder's tokenizer_config says about max lengths or padding sides.
 */
import { BrushtalkError } from '../../errors.ts';
import { localModelOptions, offlineTransformers } from '../../vision/transformers.ts';

export const CLIP_LENGTH = 77;
export const CLIP_BOS = 49406;
export const CLIP_EOS = 49407;

export interface ClipSpecialIds {
  bos: number;
  eos: number;
  pad: number;
}

export interface ClipTokenizer {
  /** Exactly CLIP_LENGTH ids for one prompt. */
  encode(text: string): number[];
}

/** Frame BPE ids (no special tokens) as the text encoder expects: [BOS, …ids (≤ 75), EOS, pad…]. */
export function frameClipIds(ids: readonly number[], special: ClipSpecialIds = { bos: CLIP_BOS, eos: CLIP_EOS, pad: CLIP_EOS }): number[] {
  const body = ids.slice(0, CLIP_LENGTH - 2);
  const out = [special.bos, ...body, special.eos];
  while (out.length < CLIP_LENGTH) out.push(special.pad);
  return out;
}

/**
 * Load `<weightsDir>/<modelId>/tokenizer/` (tokenizer.json + tokenizer_config.json). Special ids are read from
 * the tokenizer itself (CLIP's <|startoftext|> / <|endoftext|>), so a folder with a different vocabulary fails
 * loudly instead of feeding the text encoder shifted ids.
 */
export async function loadClipTokenizer(weightsDir: string, modelId: string): Promise<ClipTokenizer> {
  const tf = offlineTransformers(weightsDir);
  let tokenizer: Awaited<ReturnType<typeof tf.AutoTokenizer.from_pretrained>>;
  try {
    tokenizer = await tf.AutoTokenizer.from_pretrained(`${modelId}/tokenizer`, { local_files_only: localModelOptions.local_files_only });
  } catch (cause) {
    throw new BrushtalkError('weights.corrupt', `The BrushNet tokenizer in ${weightsDir}/${modelId}/tokenizer could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const idOf = (token: string): number | undefined => {
    const id = tokenizer.convert_tokens_to_ids(token);
    return typeof id === 'number' && id >= 0 ? id : undefined;
  };
  const bos = idOf('<|startoftext|>');
  const eos = idOf('<|endoftext|>');
  if (bos === undefined || eos === undefined) {
    throw new BrushtalkError('weights.corrupt', `The BrushNet tokenizer in ${weightsDir}/${modelId}/tokenizer is not a CLIP tokenizer (no <|startoftext|>/<|endoftext|> tokens).`);
  }
  // SD1.5's tokenizer_config names <|endoftext|> as the pad token; follow the folder if it says otherwise.
  const pad = (tokenizer.pad_token ? idOf(tokenizer.pad_token) : undefined) ?? eos;
  return {
    encode: (text) => frameClipIds(tokenizer.encode(text, { add_special_tokens: false }), { bos, eos, pad }),
  };
}
