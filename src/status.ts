import type { Config } from './config.ts';
import type { ServiceStatus } from './contracts.ts';
import type { EngineFacts } from './engines/engine.ts';
import { isBrushtalkError } from './errors.ts';

/**
 * What this service can do right now and what to run to do more — shown by the studio's status panel and
 * useful in logs at start-up.
 */
export function serviceStatus(
  config: Config,
  engine: EngineFacts,
  checkModel: (kind: 'detector' | 'segmenter') => void,
): ServiceStatus {
  const model = (kind: 'detector' | 'segmenter') => {
    try {
      checkModel(kind);
      return { model: config.models[kind], installed: true, hint: null };
    } catch (error) {
      return { model: config.models[kind], installed: false, hint: isBrushtalkError(error) ? error.userMessage : String(error) };
    }
  };
  return {
    engine: {
      name: engine.name,
      generative: engine.generative,
      deterministic: engine.deterministic,
      hint: engine.generative
        ? null
        : (engine.standingInFor
            ? `Removals work now. BrushNet is installed but cannot run: ${engine.standingInFor}`
            : 'Removals work now. For generative edits (add, replace, restyle), export BrushNet weights: see weights/convert/README.md.') +
          (engine.deterministic ? ' This engine gives the same picture for every seed, so re-rolls are off.' : ''),
    },
    detector: model('detector'),
    segmenter: model('segmenter'),
    llm: config.llm
      ? { configured: true, model: config.llm.model, hint: null }
      : { configured: false, model: null, hint: 'Using the built-in offline instructor. Set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server, to use a language model.' },
  };
}
