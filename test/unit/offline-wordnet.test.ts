import { describe, expect, it } from 'vitest';
import type { InstructorResult } from '../../src/agent/instruction.ts';
import { classifyInstruction } from '../../src/agent/offline-instructor.ts';
import * as lexicon from '../../src/agent/offline/lexicon.ts';

// Instructions whose deciding noun is in none of the hand lists: WordNet decides what it is.
const cases: [string, string, Partial<InstructorResult>][] = [
  ['add a gazebo next to the pond', 'gazebo', { type: 'addition', object: 'gazebo' }],
  ['make it look like gouache', 'gouache', { type: 'global', confidence: 0.75, targetCaption: 'a gouache painting of a dog on a wooden floor' }],
  ['turn it into a lithograph', 'lithograph', { type: 'global', targetCaption: 'a lithograph of a dog on a wooden floor' }],
  ['render it in pointillism', 'pointillism', { type: 'global', targetCaption: 'a dog on a wooden floor, in pointillism style' }],
  ['turn the sofa into velvet', 'velvet', { type: 'local', object: 'sofa', attribute: 'velvet', confidence: 0.8 }],
  ['add some drizzle', 'drizzle', { type: 'global', confidence: 0.7, targetCaption: 'a dog on a wooden floor, in the drizzle' }],
  ['add a blizzard', 'blizzard', { type: 'global' }],
  ['make it hail', 'hail', { type: 'global', targetCaption: 'a dog on a wooden floor, in the hail' }],
  ['turn the plaza into a bayou', 'bayou', { type: 'background', targetCaption: 'a dog in a bayou' }],
  ['fjord', 'fjord', { type: 'background', confidence: 0.5 }],
  ['drizzle', 'drizzle', { type: 'global', confidence: 0.5 }],
];

const listed = (word: string): boolean =>
  Object.values(lexicon).some((list) =>
    list instanceof Set ? list.has(word) : Array.isArray(list) ? list.includes(word) : typeof list === 'object' && Object.hasOwn(list, word));

describe('WordNet decides for nouns the lists lack', () => {
  it.each(cases)('%j', (text, word, expected) => {
    expect(listed(word)).toBe(false); // else the lists decide, and this case tests nothing new
    expect(classifyInstruction(text, 'a dog on a wooden floor')).toMatchObject(expected);
  });

  it('leaves listed words and made things to the existing rules', () => {
    // "marble" is a listed adjective; "a marble" with an article is the toy; grass is no made thing.
    expect(classifyInstruction('turn the floor into marble')).toMatchObject({ type: 'local', object: 'floor', attribute: 'marble' });
    expect(classifyInstruction('turn the sofa into a cobblestone')).toMatchObject({ type: 'local', replacement: 'cobblestone' });
    expect(classifyInstruction('turn the grass into sand')).toMatchObject({ type: 'local', replacement: 'sand' });
    // Clouds and lightning are added to a sky; a fresco on the wall is a thing.
    expect(classifyInstruction('add some clouds')).toMatchObject({ type: 'addition', object: 'clouds' });
    expect(classifyInstruction('add lightning in the sky')).toMatchObject({ type: 'addition' });
    expect(classifyInstruction('add a fresco to the wall')).toMatchObject({ type: 'addition', object: 'fresco' });
    expect(classifyInstruction('put them in a savanna')).toMatchObject({ type: 'background' });
  });

  it('a new material replaces the old one in the caption, and "table" is furniture (its second sense)', () => {
    expect(classifyInstruction('turn the table into granite', 'a dog sitting on a wooden table in a garden')).toMatchObject({
      type: 'local', object: 'table', attribute: 'granite', targetCaption: 'a dog sitting on a granite table in a garden',
    });
    expect(classifyInstruction('turn the floor into velvet', 'a dog on a wooden floor')).toMatchObject({ targetCaption: 'a dog on a velvet floor' });
  });
});

describe('"less" is a quality taken away, not added', () => {
  const car = 'a red shiny car parked on a street at dusk';
  it.each([
    ['make the photo less grainy', { type: 'global', targetCaption: car }],
    ['make it a bit less noisy', { type: 'global', targetCaption: car }],
    ['make the picture sharper', { type: 'global', targetCaption: car }],
    ['make it less dark', { type: 'global', targetCaption: `${car}, brightly lit` }],
    ['make the car less shiny', { type: 'local', object: 'car', targetCaption: 'a red car parked on a street at dusk' }],
    ['make the car more shiny', { type: 'local', object: 'car', targetCaption: car }],
  ] as [string, Partial<InstructorResult>][])('%j', (text, expected) => {
    expect(classifyInstruction(text, car)).toMatchObject(expected);
  });
});

describe('a setting keeps its own preposition when qualified', () => {
  it('"move them to a beach at sunset" is on a beach', () => {
    expect(classifyInstruction('move them to a beach at sunset', 'a woman holding a cup in front of a city street')).toMatchObject({
      type: 'background', targetCaption: 'a woman holding a cup on a beach at sunset',
    });
  });
});
