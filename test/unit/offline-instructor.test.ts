import { describe, expect, it } from 'vitest';
import type { InstructorResult, Turn, TurnContext } from '../../src/agent/instruction.ts';
import { classifyInstruction, interpretTurn } from '../../src/agent/offline-instructor.ts';
import { correctTypos, editDistance, normalise, stripFillers, tokens } from '../../src/agent/offline/text.ts';
import { readNounPhrase } from '../../src/agent/offline/phrase.ts';

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
  ['help', { kind: 'help', reason: 'question' }],
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
