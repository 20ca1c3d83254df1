import { describe, expect, it } from 'vitest';
import type { InstructorResult, Turn, TurnContext } from '../../src/agent/instruction.ts';
import { classifyInstruction, interpretTurn } from '../../src/agent/offline-instructor.ts';
import { correctTypos, editDistance, normalise, stripFillers, tokens } from '../../src/agent/offline/text.ts';
import { readNounPhrase } from '../../src/agent/offline/phrase.ts';
import { adjusted, planTurn, type EngineHints, type Plan } from '../../src/agent/offline-plan.ts';
import type { SessionSummary } from '../../src/agent/summary.ts';
import { helpText, parseCommand } from '../../src/turn/commands.ts';

type Expect = Partial<InstructorResult>;

// [instruction, expected (partial)] — classification and the object phrase, no source caption.
const classified: [string, Expect][] = [
  // removal
  ['remove the lamp', { type: 'removal', object: 'lamp', selector: null }],
  ['Delete the red umbrella', { type: 'removal', object: 'red umbrella' }],
  ['erase the graffiti on the wall', { type: 'removal', object: 'graffiti' }],
  ['get rid of the trash can', { type: 'removal', object: 'trash can' }],
  ['take out the power lines', { type: 'removal', object: 'power lines' }],
  ['take the sign away', { type: 'removal', object: 'sign' }],
  ['clean up the crumbs on the table', { type: 'removal', object: 'crumbs' }],
  ['the photo without the tourists', { type: 'removal', object: 'tourists' }],
  ['no sunglasses', { type: 'removal', object: 'sunglasses' }],
  ['i do not want the bin in the picture', { type: 'removal', object: 'bin' }],
  ['I want the car gone', { type: 'removal', object: 'car' }],
  ['make the bird disappear', { type: 'removal', object: 'bird' }],
  ['remove the rose from the dog\'s mouth', { type: 'removal', object: 'rose' }],
  ['remove the man\'s glasses', { type: 'removal', object: 'glasses' }],
  ['remove the boat on the right', { type: 'removal', object: 'boat', selector: 'right' }],
  ['delete both cats', { type: 'removal', object: 'cats', selector: 'all' }],
  ['remove the second car', { type: 'removal', object: 'car', selector: { nth: 2 } }],
  ['erase the left one', { type: 'removal', object: null, selector: 'left' }],
  ['remove the very large old wooden garden bench seat', { type: 'removal', object: 'old wooden garden bench seat', selector: 'largest' }],
  // addition
  ['add a hat', { type: 'addition', object: 'hat', selector: null }],
  ['add a party hat to the dog', { type: 'addition', object: 'party hat' }],
  ['put a vase of flowers on the table', { type: 'addition', object: 'vase' }],
  ['put a cup of coffee on the desk', { type: 'addition', object: 'cup of coffee' }],
  ['insert a rainbow in the sky', { type: 'addition', object: 'rainbow' }],
  ['place a cat on the sofa', { type: 'addition', object: 'cat' }],
  ['give him a crown', { type: 'addition', object: 'crown' }],
  ['give the dog a bone', { type: 'addition', object: 'bone' }],
  ['put sunglasses on her', { type: 'addition', object: 'sunglasses' }],
  ['draw a moon', { type: 'addition', object: 'moon' }],
  ['add two seagulls above the sea', { type: 'addition', object: 'two seagulls' }],
  ['with a scarf', { type: 'addition', object: 'scarf' }],
  ['include a new lamp next to the bed', { type: 'addition', object: 'new lamp' }],
  // local
  ['make the car red', { type: 'local', object: 'car', attribute: 'red' }],
  ['turn the apple golden', { type: 'local', object: 'apple', attribute: 'golden' }],
  ['change the cat to a dog', { type: 'local', object: 'cat', replacement: 'dog' }],
  ['turn the cat into a tiger', { type: 'local', object: 'cat', replacement: 'tiger' }],
  ['replace the mug with a wine glass', { type: 'local', object: 'mug', replacement: 'wine glass' }],
  ['swap the bike for a scooter', { type: 'local', object: 'bike', replacement: 'scooter' }],
  ['change the color of the door to green', { type: 'local', object: 'door', attribute: 'green' }],
  ["change the shirt's colour to yellow", { type: 'local', object: 'shirt', attribute: 'yellow' }],
  ['paint the fence dark blue', { type: 'local', object: 'fence', attribute: 'dark blue' }],
  ['make her smile', { type: 'local', object: 'face', attribute: 'smiling' }],
  ['make him look angry', { type: 'local', object: 'face', attribute: 'angry' }],
  ['make the left dog fluffy', { type: 'local', object: 'dog', selector: 'left', attribute: 'fluffy' }],
  ['the car should be green', { type: 'local', object: 'car', attribute: 'green' }],
  ['give her red hair', { type: 'local', object: 'hair', attribute: 'red' }],
  ['make it red', { type: 'local', object: null, attribute: 'red' }],
  ['make the dog bigger', { type: 'local', object: 'dog', attribute: 'bigger' }],
  ['close her eyes', { type: 'local', object: 'eyes', attribute: 'closed' }],
  ['give the cat blue eyes', { type: 'local', object: 'eyes', attribute: 'blue' }],
  ['he should wear sunglasses', { type: 'addition', object: 'sunglasses' }],
  ['make him wear a cowboy hat', { type: 'addition', object: 'cowboy hat' }],
  ['erase the man standing next to the car', { type: 'removal', object: 'man' }],
  ['the car parked outside should be red', { type: 'local', object: 'car', attribute: 'red' }],
  // global
  ["let's see it in winter", { type: 'global', object: null, selector: null }],
  ['make it snowy', { type: 'global' }],
  ['turn it into a watercolor painting', { type: 'global' }],
  ['in the style of van gogh', { type: 'global' }],
  ['make the photo black and white', { type: 'global' }],
  ['make the image brighter', { type: 'global' }],
  ['make it look vintage', { type: 'global' }],
  ['show it at night', { type: 'global' }],
  ['anime style please', { type: 'global' }],
  ['add some fog', { type: 'global' }],
  ['make it autumn', { type: 'global' }],
  ['at sunset', { type: 'global' }],
  // background
  ['change the background to a beach', { type: 'background', object: null }],
  ['put her on a beach', { type: 'background', object: null }],
  ['have her walk on water', { type: 'background' }],
  ['move him to paris', { type: 'background' }],
  ['replace the sky with a sunset', { type: 'background' }],
  ['forest background', { type: 'background' }],
  ['send them into space', { type: 'background' }],
  ['remove the background', { type: 'background' }],
  // politeness, questions, typos, emoji, case
  ['hmm, actually just remove the lamp', { type: 'removal', object: 'lamp' }],
  ['Could you please add a bird? Thanks!', { type: 'addition', object: 'bird' }],
  ['can you make it snowy?', { type: 'global' }],
  ['remvoe the lamp', { type: 'removal', object: 'lamp' }],
  ['delte the chair', { type: 'removal', object: 'chair' }],
  ['mak the car blue', { type: 'local', object: 'car', attribute: 'blue' }],
  ['chnage the backgorund to a forest', { type: 'background' }],
  ['🔥🔥 REMOVE THE CUP!!! 🔥', { type: 'removal', object: 'cup' }],
  ['how about adding a balloon', { type: 'addition', object: 'balloon' }],
];

describe('classifyInstruction', () => {
  it.each(classified)('%j', (text, expected) => {
    const result = classifyInstruction(text);
    expect(result).toMatchObject(expected);
    expect(result.confidence).toBeGreaterThanOrEqual(0.7);
    if (result.object) expect(result.object.split(' ').length).toBeLessThanOrEqual(5);
  });
});

// Ambiguous or weak cues: decided by precedence, and say so with confidence below 0.7.
const uncertain: [string, Expect][] = [
  ['make the car look like a cartoon', { type: 'local', object: 'car' }],
  ['a balloon', { type: 'addition', object: 'balloon' }],
  ['red', { type: 'local', object: null, attribute: 'red' }],
  ['the dog', { type: 'local' }],
  ['change the car', { type: 'local', object: 'car' }],
  ['asdfgh', { type: 'local', object: null }],
  ['on the moon', { type: 'background', object: null }],
  ['a painting on the wall', { type: 'addition', object: 'painting' }],
  ['put the dog in the snow', { type: 'global' }],
  ['beach', { type: 'background' }],
];

describe('classifyInstruction on ambiguous words', () => {
  it.each(uncertain)('%j', (text, expected) => {
    const result = classifyInstruction(text);
    expect(result).toMatchObject(expected);
    expect(result.confidence).toBeLessThan(0.7);
  });
});

// [instruction, source caption, target caption]
const captions: [string, string | undefined, string | null][] = [
  ["remove the rose from the dog's mouth", 'a dog holding a rose in its mouth on grass', 'a dog on grass'],
  ['remove the collar', 'a dog with a red collar on a porch', 'a dog on a porch'],
  ['delete the cat', 'a cat and a dog on a sofa', 'a dog on a sofa'],
  ['remove the cat', 'a cat sitting on a sofa', 'a sofa'],
  ['erase the man', 'a man standing next to a car on a street', 'a car on a street'],
  ['remove the grass', 'a dog on grass', 'a dog'],
  ['remove the umbrella', 'a man on a street', 'a man on a street'],
  ['remove the lamp', undefined, null],
  ['make the car red', 'a blue car parked on a street', 'a red car parked on a street'],
  ['make the car orange', 'a car parked on a street', 'an orange car parked on a street'],
  ['change the cat to a dog', 'a cat sitting on a sofa', 'a dog sitting on a sofa'],
  ['make her smile', 'a woman standing in a park', 'a smiling woman standing in a park'],
  ['make the car red', undefined, 'a red car'],
  ['change the cat to an owl', undefined, 'an owl'],
  ['add a hat to the dog', 'a dog on grass', 'a dog with a hat on grass'],
  ['add a bird in the sky', 'a dog on grass', 'a dog on grass with a bird in the sky'],
  ['give him an umbrella', 'a man standing on a street', 'a man with an umbrella standing on a street'],
  ['add a hat', undefined, 'a hat'],
  ['add two birds', undefined, 'two birds'],
  ['make it winter', 'a dog on grass', 'a dog on grass, in winter'],
  ['turn it into a watercolor painting', 'a dog on grass', 'a watercolor painting of a dog on grass'],
  ['in the style of van gogh', 'a dog on grass', 'a dog on grass, in the style of van gogh'],
  ['show it at night', 'a city street', 'a city street, at night'],
  ['make it a watercolor', undefined, 'a watercolor painting'],
  ['put her on a beach', 'a woman standing on a street', 'a woman standing on a beach'],
  ['change the background to a forest', 'a red car parked on a street', 'a red car parked in a forest'],
  ['have her walk on water', 'a woman standing in a park', 'a woman walking on water'],
  ['move him to paris', 'a man', 'a man in paris'],
  ['replace the sky with a sunset', 'a house under a blue sky', 'a house under a sunset sky'],
  ['put her on a beach', undefined, 'a beach'],
];

describe('target captions', () => {
  it.each(captions)('%j on %j', (text, source, target) => {
    expect(classifyInstruction(text, source).targetCaption).toBe(target);
  });

  it('never mentions what was removed', () => {
    const caption = classifyInstruction('get rid of the bicycle', 'a bicycle leaning against a wall next to a door').targetCaption;
    expect(caption).not.toMatch(/bicycle/);
    expect(caption).toMatch(/door/);
  });
});

const ctx = (over: Partial<TurnContext> = {}): TurnContext => ({ hasMask: true, hasDetections: true, caption: 'a blue car parked on a street', object: 'car', ...over });

// [turn, expected]
const turns: [string, Turn, TurnContext?][] = [
  // mask
  ['bigger', { kind: 'mask', op: 'grow', px: 12 }],
  ['make the mask a bit bigger', { kind: 'mask', op: 'grow', px: 6 }],
  ['much smaller', { kind: 'mask', op: 'shrink', px: 24 }],
  ['grow it by 30 px', { kind: 'mask', op: 'grow', px: 30 }],
  ['shrink the selection 8 pixels', { kind: 'mask', op: 'shrink', px: 8 }],
  ['the mask is too small', { kind: 'mask', op: 'grow', px: 12 }],
  ['a little tighter', { kind: 'mask', op: 'shrink', px: 6 }],
  ['make the mask way bigger', { kind: 'mask', op: 'grow', px: 24 }, ctx({ hasMask: false })],
  // mask add / subtract
  ['also the collar', { kind: 'mask-add', object: 'collar' }],
  ['include the leash too', { kind: 'mask-add', object: 'leash' }],
  ['and the shadow', { kind: 'mask-add', object: 'shadow' }],
  ['the wheels as well', { kind: 'mask-add', object: 'wheels' }],
  ['add the roof rack to the mask', { kind: 'mask-add', object: 'roof rack' }],
  ['not the tail', { kind: 'mask-subtract', object: 'tail' }],
  ['leave the head out', { kind: 'mask-subtract', object: 'head' }],
  ['except the collar', { kind: 'mask-subtract', object: 'collar' }],
  ["don't touch the wheels", { kind: 'mask-subtract', object: 'wheels' }],
  ['keep the logo as is', { kind: 'mask-subtract', object: 'logo' }],
  // select
  ['only the left one', { kind: 'select', selector: 'left' }],
  ['the other one', { kind: 'select', selector: 'other' }],
  ['both of them', { kind: 'select', selector: 'all' }],
  ['the second one', { kind: 'select', selector: { nth: 2 } }],
  ['no, the one on the right', { kind: 'select', selector: 'right' }],
  ['just the biggest', { kind: 'select', selector: 'largest' }],
  // reseed
  ['another seed', { kind: 'reseed' }],
  ['try again', { kind: 'reseed' }],
  ['different result please', { kind: 'reseed' }],
  ['reroll', { kind: 'reseed' }],
  ['give me another one', { kind: 'reseed' }],
  // history
  ['undo', { kind: 'undo' }],
  ['undo that', { kind: 'undo' }],
  ['revert', { kind: 'undo' }],
  ['go back', { kind: 'undo' }],
  ['redo', { kind: 'redo' }],
  ['go back to version 2', { kind: 'version', number: 2 }],
  ['show me v3', { kind: 'version', number: 3 }],
  ['back to the original', { kind: 'version', number: 1 }],
  // caption
  ["use 'a golden retriever on grass' as the caption", { kind: 'caption', text: 'a golden retriever on grass' }],
  ['caption should be "A Red Barn at Dusk"', { kind: 'caption', text: 'A Red Barn at Dusk' }],
  ['set the caption to a quiet lake', { kind: 'caption', text: 'a quiet lake' }],
  // params
  ['seed 42', { kind: 'params', update: { seed: 42 } }],
  ['use 40 steps', { kind: 'params', update: { steps: 40 } }],
  ['turn off blending', { kind: 'params', update: { blend: false } }],
  // help
  ['', { kind: 'help', reason: 'empty' }],
  ['   ', { kind: 'help', reason: 'empty' }],
  ['🤔🤔', { kind: 'help', reason: 'empty' }],
  ['what can you do?', { kind: 'help', reason: 'question' }],
  ['help', { kind: 'help', reason: 'commands' }],
  ['asdf qwer zxcv', { kind: 'help', reason: 'nonsense' }],
  ['blorp', { kind: 'help', reason: 'nonsense' }],
];

describe('interpretTurn', () => {
  it.each(turns)('%j', (text, expected, context) => {
    expect(interpretTurn(text, context ?? ctx())).toEqual(expected);
  });
});

// Follow-up edits: "it" is the conversation's object, and the caption is the conversation's caption.
const followUps: [string, TurnContext, Expect][] = [
  ['now make it red', ctx(), { type: 'local', object: 'car', attribute: 'red', targetCaption: 'a red car parked on a street' }],
  ['remove it', ctx({ caption: 'a car and a tree' }), { type: 'removal', object: 'car', targetCaption: 'a tree' }],
  ['make it bigger', ctx({ hasMask: false }), { type: 'local', object: 'car', attribute: 'bigger' }],
  ['also remove the tree', ctx(), { type: 'removal', object: 'tree' }],
  ['now put it in the snow', ctx({ object: null }), { type: 'global' }],
  ['remove the left dog', ctx(), { type: 'removal', object: 'dog', selector: 'left' }],
  ['can you make it snowy?', ctx(), { type: 'global', object: null }],
  ['add a spoiler', ctx(), { type: 'addition', object: 'spoiler', targetCaption: 'a blue car parked on a street with a spoiler' }],
];

describe('interpretTurn on follow-up edits', () => {
  it.each(followUps)('%j', (text, context, expected) => {
    const turn = interpretTurn(text, context);
    expect(turn.kind).toBe('edit');
    if (turn.kind === 'edit') expect(turn.edit).toMatchObject(expected);
  });
});

describe('text helpers', () => {
  it('measures transpositions as one edit', () => {
    expect(editDistance('remvoe', 'remove')).toBe(1);
    expect(editDistance('delte', 'delete')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('corrects the verb slot and long keywords, never known words', () => {
    expect(correctTypos(['remvoe', 'the', 'lamp']).tokens).toEqual(['remove', 'the', 'lamp']);
    expect(correctTypos(['mak', 'it', 'blue']).tokens[0]).toBe('make');
    expect(correctTypos(['mask', 'bigger']).tokens).toEqual(['mask', 'bigger']);
    expect(correctTypos(['the', 'backgorund']).tokens).toEqual(['the', 'background']);
    expect(correctTypos(['the', 'cat']).corrected).toBe(0);
  });

  it('drops politeness at both ends, but keeps a bare word', () => {
    expect(stripFillers(tokens(normalise('Hey, could you please remove the cup for me, thanks')))).toEqual(['remove', 'the', 'cup']);
    expect(stripFillers(['no', 'hat'])).toEqual(['no', 'hat']);
    expect(stripFillers(['no', ',', 'make', 'it', 'blue'])).toEqual(['make', 'it', 'blue']);
    expect(stripFillers(['ok'])).toEqual(['ok']);
  });

  it('reads noun phrases with the head noun last and selectors apart', () => {
    expect(readNounPhrase(tokens('the dog on the left'))).toMatchObject({ object: 'dog', selector: 'left' });
    expect(readNounPhrase(tokens('all of the cats'))).toMatchObject({ object: 'cats', selector: 'all' });
    expect(readNounPhrase(tokens("the girl's red scarf"))).toMatchObject({ object: 'red scarf', selector: null });
    expect(readNounPhrase(tokens('a bunch of flowers'))).toMatchObject({ object: 'bunch of flowers' });
    expect(readNounPhrase(tokens('it'))).toMatchObject({ object: null, pronoun: true });
  });
});

// Issue 13, "conversation, not a manual": what a follow-up does, end to end through the pure parts of a turn —
// the command parser first (as the turn does), then the offline instructor's reading and its plan of tool calls.
const params = { seed: 7, samples: 1, steps: 50, guidance: 7.5, strength: 1, blend: true };
const afterEdit: SessionSummary = {
  version: 3, kind: 'result', image: { width: 96, height: 64 }, maskPercent: 4.2, maskDrawn: false, caption: 'a dog on grass', editType: 'removal',
  object: 'cat', detections: { phrase: 'cat', count: 1, selected: [1] }, lastInstruction: 'remove the cat', versions: 3, firstResult: 2, params,
};
const pictureOnly: SessionSummary = {
  ...afterEdit, version: 1, kind: 'source', maskPercent: null, caption: null, editType: null, object: null, detections: null, lastInstruction: null, versions: 1, firstResult: null,
};
const noPicture: SessionSummary = { ...pictureOnly, version: null, kind: null, image: null, versions: 0, params: null };

function respond(text: string, summary: SessionSummary, engine?: EngineHints): Plan | { command: string } {
  const command = parseCommand(text);
  if (command.type !== 'edit') return { command: command.type };
  const context = { hasMask: summary.maskPercent !== null, hasDetections: summary.detections !== null, caption: summary.caption, object: summary.object };
  return planTurn(interpretTurn(text, context), text, summary, engine);
}

const rerun = { name: 'run_edit', args: { instruction: 'remove the cat' } };
const undo = { calls: [{ name: 'undo', args: {} }] };
const first = { calls: [{ name: 'checkout', args: { version: 1 } }] };
const reset = { calls: [{ name: 'checkout', args: { version: 1 } }], reply: 'Back to the original picture (v1); every version is kept — `history` lists them.' };
const reseed = { calls: [{ name: 'set_params', args: { new_seed: true } }, rerun] };
const history = { calls: [{ name: 'history', args: {} }] };
const set = (args: Record<string, unknown>) => ({ calls: [{ name: 'set_params', args }, rerun] });
const cancel = { command: 'cancel' };
const say = (reply: string) => ({ calls: [], reply });
const next = 'say what to change next, or `undo`.';
const ask = say('Do you want to undo it, try another seed, or change the mask (`mask grow 10`)?');

// [what someone typed after an edit, what happens]
const afterAnEdit: [string, Plan | { command: string }][] = [
  // take it back
  ['ugh undo that', undo],
  ['nah go back', undo],
  ["that's worse, undo", undo],
  ['Thats worse', undo],
  ['it looks even worse now lol', undo],
  ['I liked the previous one better', undo],
  ['hmm the last one was better tbh', undo],
  ['prefer the one before', undo],
  ['undoo', undo],
  ['take me back to the previous version', undo],
  ['i want the old one back', undo],
  // the first result of these attempts ("the first one"), not the photo
  ['go back to the first one', { calls: [{ name: 'checkout', args: { version: 2 } }] }],
  ['I preferred the first one', { calls: [{ name: 'checkout', args: { version: 2 } }] }],
  ['the first try was better', { calls: [{ name: 'checkout', args: { version: 2 } }] }],
  // the first picture
  ['revert to original', first],
  ['show me the original again', first],
  ['the original was better', first],
  ['go back to the beginning', first],
  ['reset', reset],
  ['start over pls', reset],
  ['can we just start from scratch?', reset],
  // another result
  ['can u try again', reseed],
  ['one more', reseed],
  ['try agian', reseed],
  ['another one please', reseed],
  ['nice but try something else', reseed],
  // relative settings (strength 1, steps 50, guidance 7.5 now)
  ['make it stronger pls', set({ strength: 1.1 })],
  ['Stronger!', set({ strength: 1.1 })],
  ['a bit weaker', set({ strength: 0.8 })],
  ['too much, tone it down', set({ strength: 0.8 })],
  ["it's barely visible", set({ strength: 1.1 })],
  ['more steps', set({ steps: 75 })],
  ['use fewer steps', set({ steps: 33 })],
  ['more detail please', set({ steps: 75 })],
  ['follow the caption more closely', set({ guidance: 11.5 })],
  ['less guidance', set({ guidance: 5 })],
  ['strength up', set({ strength: 1.1 })],
  ['way too strong', set({ strength: 0.8 })],
  ['be more creative', set({ guidance: 5 })],
  // stop what is running
  ['stop', cancel],
  ['cancel that', cancel],
  ['STOP IT!!', cancel],
  ['please stop the edit', cancel],
  // the versions
  ['show history', history],
  ['show me the versions', history],
  ['what have we done so far?', history],
  ['list all versions', history],
  // small talk: one line
  ['thanks!', say(`You're welcome — ${next}`)],
  ['perfect thanks', say(`You're welcome — ${next}`)],
  ['thx a lot 🙏', say(`You're welcome — ${next}`)],
  ['Thank you so much!!', say(`You're welcome — ${next}`)],
  ['love it!!', say(`Glad you like it — ${next}`)],
  ['looks great', say(`Glad you like it — ${next}`)],
  ['lol', say(`😄 Say what to change next, or \`undo\`.`)],
  ['hey there', say(`Hi! Say what to change next, or \`undo\`.`)],
  ['ok', say(`OK — ${next}`)],
  ['keep it', say('Kept as it is (v3). Say what to change whenever you like.')],
  ['bye!', say('Bye! Every version stays here; pick up where you left off any time.')],
  // unclear: one question, three things to try
  ['hmm not quite', ask],
  ['nope', ask],
  ["that's not what I wanted", ask],
  ['meh', ask],
  ['what now?', ask],
  ['still not right', ask],
  ['idk', ask],
  ['asdfgh', say(`Sorry, I didn't catch that. ${ask.reply}`)],
  // help: the short answer, unless the commands are asked for
  ['what can you do?', say(expect.stringMatching(/^I edit the picture from plain words — "remove the bird".*`mask box x,y,w,h`; `help` lists every command\.$/) as unknown as string)],
  ['help', { command: 'help' }],
  ['help me', say(helpText)],
  // a remark, then the request; a request with "again" in front; lemmatised or unusual wording of a setting
  ['hmm thats too much, make it smaller', { calls: [{ name: 'edit_mask', args: { action: 'shrink', amount: 12 } }, rerun] }],
  ['do it again but stronger', set({ strength: 1.1 })],
  ['again, but fewer steps', set({ steps: 33 })],
  ['bump the steps up', set({ steps: 75 })],
  ['make 2 versions', set({ samples: 2 })],
  ['turn blending off', set({ blend: false })],
  ['the prompt should say a sandy beach', { calls: [{ name: 'set_caption', args: { caption: 'a sandy beach' } }, rerun] }],
  ['seed please', { command: 'reseed' }],
  ['can I get a different version?', reseed],
];

describe('follow-ups after an edit (issue 13)', () => {
  it.each(afterAnEdit)('%j', (text, expected) => {
    expect(respond(text, afterEdit)).toEqual(expected);
  });

  it('never answers a follow-up with the whole command list unless asked', () => {
    for (const [text] of afterAnEdit) {
      if (/^help/.test(text)) continue;
      const plan = respond(text, afterEdit);
      if ('reply' in plan) expect(plan.reply).not.toContain(helpText);
    }
  });
});

const editsStayEdits = [
  'remove the dog', 'make him stronger', 'make the sky more dramatic', 'remove the stop sign', 'add more detail to the dress', 'no hats',
  'make the car red', 'thanks, now remove the lamp', 'put her on a beach', 'ok now make it winter', 'remove the watermark please', 'yes make it red', 'make the colors more intense',
];

describe('instructions that look like follow-ups stay instructions', () => {
  it.each(editsStayEdits)('%j', (text) => {
    const plan = respond(text, afterEdit);
    expect('calls' in plan && plan.calls[0]?.name).toBe('classify_edit');
  });
});

describe('follow-ups answer from where the conversation is', () => {
  it('before any edit: settings wait for the first edit, suggestions are instructions', () => {
    expect(respond('stronger', pictureOnly)).toEqual({ calls: [{ name: 'set_params', args: { strength: 1.1 } }] });
    expect(respond('thanks', pictureOnly)).toEqual(say(`You're welcome — say what to change, e.g. "remove the bird", "make it winter" or "add a hat".`));
    expect(respond('hmm not quite', pictureOnly)).toEqual(say('I edit pictures by instruction — "remove the bird", "make it winter" or "add a hat": what should change in this one?'));
    expect(respond('hmm not quite', { ...pictureOnly, maskPercent: 12, maskDrawn: true })).toEqual(
      say('What should the marked area become — "remove it", "a wooden table" — or should the mask change (`mask grow 10`)?'),
    );
    expect(respond('no', { ...pictureOnly, version: 2, kind: 'mask', maskPercent: 3, detections: { phrase: 'cat', count: 2, selected: [1] } })).toEqual(
      say('Should I edit what I found ("remove it", "make it red"), pick another match (`select other`), or find something else (`find the cat`)?'),
    );
  });

  it('without a picture: say to send one', () => {
    expect(respond('hi', noPicture)).toEqual(say('Hi! Send a picture and say what to change, e.g. "remove the bird".'));
    expect(respond('huh', noPicture)).toEqual(say('I edit pictures by instruction: send one and say what to change, e.g. "remove the bird" or "make it winter".'));
  });

  it('relative settings stop at the ends of their range', () => {
    expect(respond('stronger', { ...afterEdit, params: { ...params, strength: 1.1 } })).toEqual(say('Strength is already 1.1, as high as it goes (0–1.1).'));
    expect(respond('weaker', { ...afterEdit, params: { ...params, strength: 0.1 } })).toEqual(set({ strength: 0 }));
    expect(respond('more steps', { ...afterEdit, params: { ...params, steps: 80 } })).toEqual(set({ steps: 100 }));
    expect(respond('fewer steps', { ...afterEdit, params: { ...params, steps: 1 } })).toEqual(say('Steps is already 1, as low as it goes (1–100).'));
    expect(adjusted('steps', 'up', 1)).toBe(2);
    expect(adjusted('guidance', 'up', 0)).toBe(0.5);
    expect(adjusted('guidance', 'down', 30)).toBe(20);
    expect(adjusted('strength', 'down', 0.3)).toBe(0.1);
  });

  it('suggests only what the engine can do', () => {
    expect(respond('hmm not quite', afterEdit, { generative: true, deterministic: true })).toEqual(
      say('Do you want to undo it, change the caption (`caption …`), or change the mask (`mask grow 10`)?'),
    );
    // The classical engine: seeds and captions change nothing, so only the mask is offered.
    expect(respond('hmm not quite', afterEdit, { generative: false, deterministic: true })).toEqual(
      say('Do you want to undo it, or change the mask (`mask grow 10`, `mask shrink 10`, or paint it again)?'),
    );
    const fill = respond('what can you do?', afterEdit, { generative: false, deterministic: true });
    expect('reply' in fill && fill.reply).toMatch(/^This server removes things \("remove the bird"\) and fills an area you mark .* needs BrushNet weights/);
  });
});

describe('says when unsure (issue 14)', () => {
  it('asks one short question instead of guessing, and goes ahead when the words are clear', () => {
    expect(respond('a balloon', pictureOnly)).toEqual(say('Add a new balloon ("add a red kite"), or change something that is there ("make the kite red")?'));
    expect(respond('relocate the bench and the man to a seaside promenade', pictureOnly)).toEqual(
      say('Change the bench ("make the car red"), or the whole picture ("make it look vintage")?'),
    );
    const clear = respond('add a balloon', pictureOnly);
    expect('calls' in clear && clear.calls.map((c) => c.name)).toEqual(['classify_edit', 'place_object', 'set_caption', 'run_edit']);
    // A mask the user drew says where: the words need not be sure.
    const drawn = respond('a balloon', { ...pictureOnly, maskPercent: 5, maskDrawn: true });
    expect('calls' in drawn && drawn.calls.at(-1)?.name).toBe('run_edit');
  });

  it('reads people\'s phrasing: quality edits, passive voice, scene swaps, described additions, real words kept', () => {
    const read = (text: string) => classifyInstruction(text);
    expect(read('dehaze the photo')).toMatchObject({ type: 'global', object: null });
    expect(read('clean up the grain in this photo')).toMatchObject({ type: 'global' });
    expect(read('fix the blurry shot')).toMatchObject({ type: 'global' });
    expect(read('give it an oil-painting look')).toMatchObject({ type: 'global' });
    expect(read('add a vintage film filter')).toMatchObject({ type: 'global' });
    expect(read('swap the city for a forest')).toMatchObject({ type: 'background' });
    expect(read('move them to a beach at sunset')).toMatchObject({ type: 'background' });
    expect(read('the lamp should be taken away')).toMatchObject({ type: 'removal', object: 'lamp' });
    expect(read('a boat is to be added')).toMatchObject({ type: 'addition', object: 'boat' });
    expect(read('position a vase next to the sofa')).toMatchObject({ type: 'addition', object: 'vase' });
    expect(read('put a bright red kite in the sky')).toMatchObject({ type: 'addition', object: 'bright red kite' });
    expect(read('add a winter hat')).toMatchObject({ type: 'addition', object: 'winter hat' });
    expect(read('remove the grey and white rabbit')).toMatchObject({ type: 'removal', object: 'grey and white rabbit' });
    expect(read('remove the fireplace')).toMatchObject({ type: 'removal', object: 'fireplace' });
    expect(correctTypos(['make', 'the', 'boy', 'dive']).tokens).toEqual(['make', 'the', 'boy', 'dive']);
    expect(correctTypos(['insret', 'a', 'bird']).tokens[0]).toBe('insert');
  });
});
