/**
 * Restoration and enhancement: edits of the picture's quality, not of a thing in it (dehaze, denoise, deblur,
 * sharpen, brighten, restore, colorize, "fix the blurry shot", "clean up the grain", "remove the noise").
 * BrushEdit has no category for them; they touch every pixel, so they are global edits. What is ours: which words
 * mean a quality edit, and that a defect noun ("noise", "grain", "haze") after a removal verb is not an object.
 */
import type { GlobalCue } from './caption.ts';

/** Verbs that change the picture's quality by themselves: "dehaze", "sharpen the image". Value: caption cue. */
const qualityVerbs: Readonly<Record<string, string | null>> = {
  dehaze: null, denoise: null, deblur: null, declutter: null, sharpen: null, unblur: null, upscale: null, enhance: null, restore: null,
  retouch: null, repair: null, improve: null, correct: null, fix: null, clarify: null, stabilize: null, focus: null, refocus: null,
  brighten: 'brightly lit', lighten: 'brightly lit', darken: 'dimly lit', dim: 'dimly lit', colorize: 'in color', colorise: 'in color',
  desaturate: 'with muted colors', clean: null, tone: null, saturate: 'with vivid colors', warm: 'in warm tones', cool: 'in cool tones', whiten: null, age: 'as an old photo',
};

/** Whole-picture defects: "remove the noise", "get rid of the grain", "reduce the glare". */
const defects = new Set([
  'noise', 'grain', 'graininess', 'blur', 'blurriness', 'haze', 'haziness', 'glare', 'artifacts', 'artefacts', 'artifact', 'cast', 'noisiness',
  'pixelation', 'compression', 'distortion', 'exposure', 'overexposure', 'underexposure', 'shake', 'vignetting', 'banding', 'jpeg', 'quality',
  'sharpness', 'focus', 'lighting', 'colors', 'colours', 'color', 'colour', 'white', 'balance', 'brightness', 'contrast', 'saturation', 'shadows',
  'highlights', 'tint', 'tones', 'damage', 'resolution', 'clarity', 'detail', 'details',
]);

/** Adjectives that say what is wrong with the whole picture: "this photo is blurry", "it looks washed out". */
const complaints: Readonly<Record<string, string | null>> = {
  blurry: null, blurred: null, noisy: null, grainy: null, hazy: null, dark: 'brightly lit', underexposed: 'brightly lit', overexposed: null,
  washed: 'with vivid colors', dull: 'with vivid colors', faded: null, pixelated: null, soft: null, dim: 'brightly lit', bright: null,
};

/** Nouns that name the picture itself. */
const pictureWords = /^(image|picture|photo|photograph|pic|shot|it|this|everything|scan|selfie|portrait|snapshot|frame|whole|entire|old)$/;

const cueFor = (phrase: string | null): GlobalCue | null => (phrase ? { kind: 'phrase', phrase } : null);

export interface QualityEdit {
  cue: GlobalCue | null;
  confidence: number;
}

/** The words after the verb name the picture, a defect, or nothing at all ("dehaze", "dehaze the photo"). */
function aboutPicture(rest: readonly string[]): boolean {
  const words = rest.filter((w) => !/^(the|a|an|this|that|my|our|it|up|down|out|a|bit|little|please|,|in|of|on|from|and|too|some|all|more|much|so|is|looks)$/.test(w) && !Object.hasOwn(qualityVerbs, w));
  return words.every((w) => pictureWords.test(w) || defects.has(w) || Object.hasOwn(complaints, w) || /^(motion|camera|red|yellow|blue|green|colou?r|light|night|jpeg|whole|entire|grainy|blurry|dark|noisy|damaged|old|faded)$/.test(w));
}

/**
 * A quality edit read from a command (first word a verb): "dehaze the photo", "sharpen the image", "fix the blurry
 * shot", "clean up the grain", "remove the noise", "get rid of the motion blur", "reduce the glare". Null otherwise.
 */
export function qualityEdit(list: readonly string[]): QualityEdit | null {
  const verb = list[0] ?? '';
  const rest = list.slice(1);
  if (Object.hasOwn(qualityVerbs, verb) && (rest.length === 0 || aboutPicture(rest))) {
    if (verb === 'fix' || verb === 'correct' || verb === 'improve') {
      if (rest.length === 0) return null;
    }
    return { cue: cueFor(qualityVerbs[verb]), confidence: rest.length === 0 ? 0.8 : 0.85 };
  }
  const removing = /^(remove|reduce|clean|eliminate|erase|delete|smooth|take|get|lose|kill|cut|minimize|minimise|lower|boost|increase|raise|bump|adjust|balance|even|straighten)$/.test(verb);
  const named = rest.filter((w) => defects.has(w));
  if (removing && named.length > 0 && aboutPicture(rest.filter((w) => w !== 'rid' && w !== 'of' && w !== 'out' && w !== 'up' && w !== 'down'))) {
    const boosted = /^(boost|increase|raise|bump)$/.test(verb);
    const phrase = boosted && rest.includes('contrast') ? 'in high contrast' : boosted && /satur|colou?r/.test(rest.join(' ')) ? 'with vivid colors' : boosted && rest.some((w) => /bright|exposure/.test(w)) ? 'brightly lit' : null;
    return { cue: cueFor(phrase), confidence: 0.8 };
  }
  // "make the photo less grainy", "make it sharper": the picture, less of a defect (or a cleaner one). The cue is
  // what fixing that complaint shows ("less dark": brightly lit); a sharper picture shows the same things.
  if (/^(make|get|render|have)$/.test(verb)) {
    const at = rest.findIndex((w) => /^(sharper|clearer|crisper|cleaner|less)$/.test(w));
    const less = rest[at] === 'less';
    const said = rest[at + 1] ?? '';
    const subject = rest.slice(0, Math.max(0, at));
    if (at >= 0 && (!less || Object.hasOwn(complaints, said)) && rest.length - at <= 3 && subject.every((w) => pictureWords.test(w) || /^(the|this|that|my|a|bit|little|lot|much)$/.test(w))) {
      return { cue: cueFor(less ? complaints[said] : null), confidence: 0.8 };
    }
  }
  // "remove the scratches from this old photo": damage of an old print.
  if (removing && /^(scratches|dust|stains|creases|tears|spots)$/.test(rest.find((w) => /s$/.test(w)) ?? '') && rest.includes('old') && rest.some((w) => pictureWords.test(w))) {
    return { cue: null, confidence: 0.75 };
  }
  return null;
}

/** A complaint about the whole picture: "this photo is blurry", "it is too dark", "the picture is way too noisy". */
export function qualityComplaint(list: readonly string[]): QualityEdit | null {
  const is = list.findIndex((w) => /^(is|looks|seems|was)$/.test(w));
  if (is < 0) return null;
  if (!list.slice(0, is).every((w) => pictureWords.test(w) || /^(the|this|that|my|way)$/.test(w))) return null;
  const said = list.slice(is + 1).find((w) => Object.hasOwn(complaints, w));
  return said ? { cue: cueFor(complaints[said]), confidence: 0.75 } : null;
}
