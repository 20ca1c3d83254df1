import { describe, expect, it } from 'vitest';
import { isBrushtalkError } from '../../src/errors.ts';
import { parseCommand, type Command } from '../../src/turn/commands.ts';

const parsed: [string, Command][] = [
  ['mask grow 12', { type: 'mask', text: 'mask grow 12', mask: { op: 'grow', px: 12 } }],
  ['MASK Shrink 3', { type: 'mask', text: 'MASK Shrink 3', mask: { op: 'shrink', px: 3 } }],
  ['mask box 10,20,30,40', { type: 'mask', text: 'mask box 10,20,30,40', mask: { op: 'shape', shape: 'box', mode: 'replace', box: { x: 10, y: 20, w: 30, h: 40 } } }],
  ['mask ellipse 1 2 3 4', { type: 'mask', text: 'mask ellipse 1 2 3 4', mask: { op: 'shape', shape: 'ellipse', mode: 'replace', box: { x: 1, y: 2, w: 3, h: 4 } } }],
  ['mask add box 1,2,3,4', { type: 'mask', text: 'mask add box 1,2,3,4', mask: { op: 'shape', shape: 'box', mode: 'add', box: { x: 1, y: 2, w: 3, h: 4 } } }],
  ['mask cut ellipse 1,2,3,4', { type: 'mask', text: 'mask cut ellipse 1,2,3,4', mask: { op: 'shape', shape: 'ellipse', mode: 'cut', box: { x: 1, y: 2, w: 3, h: 4 } } }],
  ['mask move -20,5', { type: 'mask', text: 'mask move -20,5', mask: { op: 'move', dx: -20, dy: 5 } }],
  ['mask invert', { type: 'mask', text: 'mask invert', mask: { op: 'invert' } }],
  ['mask clear', { type: 'mask', text: 'mask clear', mask: { op: 'clear' } }],
  ['mask all', { type: 'mask', text: 'mask all', mask: { op: 'all' } }],
  ['caption a dog on grass', { type: 'caption', text: 'a dog on grass' }],
  ['seed 42', { type: 'params', update: { seed: 42 } }],
  ['seed', { type: 'reseed' }],
  ['steps 30', { type: 'params', update: { steps: 30 } }],
  ['samples 2', { type: 'params', update: { samples: 2 } }],
  ['guidance 7.5', { type: 'params', update: { guidance: 7.5 } }],
  ['strength 0.8', { type: 'params', update: { strength: 0.8 } }],
  ['blend off', { type: 'params', update: { blend: false } }],
  ['Blend ON', { type: 'params', update: { blend: true } }],
  ['undo', { type: 'undo' }],
  ['/redo', { type: 'redo' }],
  ['history', { type: 'history' }],
  ['version 3', { type: 'version', number: 3 }],
  ['help', { type: 'help' }],
  ['cancel', { type: 'cancel' }],
  ['defaults', { type: 'defaults', update: 'show' }],
  ['defaults clear', { type: 'defaults', update: 'clear' }],
  ['defaults strength 0.8 samples 2 blend off', { type: 'defaults', update: { strength: 0.8, samples: 2, blend: false } }],
  ['buttons', { type: 'buttons', everyone: 'show' }],
  ['buttons Everyone', { type: 'buttons', everyone: true }],
  ['buttons owner', { type: 'buttons', everyone: false }],
  ['remove the cup from the table', { type: 'edit', instruction: 'remove the cup from the table' }],
  ['undo the red colour please', { type: 'edit', instruction: 'undo the red colour please' }],
  // the plain words for `cancel`, and edits that only contain them
  ['stop', { type: 'cancel' }],
  ['Stop!', { type: 'cancel' }],
  ['cancel that', { type: 'cancel' }],
  ["stop, that's enough thanks", { type: 'cancel' }],
  ['seed please', { type: 'reseed' }],
  ['please stop the edit', { type: 'cancel' }],
  ['wait, stop it now', { type: 'cancel' }],
  ['could you cancel the current job please', { type: 'cancel' }],
  ['abort abort', { type: 'cancel' }],
  ['stop sign', { type: 'edit', instruction: 'stop sign' }],
  ['remove the stop sign', { type: 'edit', instruction: 'remove the stop sign' }],
  ['stop the car from looking blurry', { type: 'edit', instruction: 'stop the car from looking blurry' }],
  // a setting moved in words goes to the agent, which knows the current value
  ['strength up', { type: 'edit', instruction: 'strength up' }],
  ['steps down', { type: 'edit', instruction: 'steps down' }],
  ['Guidance higher', { type: 'edit', instruction: 'Guidance higher' }],
];

describe('command parser', () => {
  it.each(parsed)('parses %j', (text, command) => {
    expect(parseCommand(text)).toEqual(command);
  });

  const refused: [string, string, RegExp][] = [
    ['mask grow', 'command.bad_arguments', /Usage: `mask grow 12`/],
    ['mask grow -3', 'command.bad_arguments', /from 1 to 512, not "-3"/],
    ['mask grow 9999', 'command.bad_arguments', /from 1 to 512/],
    ['mask box 1,2,3', 'command.bad_arguments', /four whole numbers x,y,w,h/],
    ['mask box 1,2,0,4', 'command.bad_arguments', /no area/],
    ['mask box a,b,c,d', 'command.bad_arguments', /four whole numbers/],
    ['mask add circle 1,2,3,4', 'command.bad_arguments', /which shape/],
    ['mask move 5', 'command.bad_arguments', /mask move dx,dy/],
    ['mask invert now', 'command.bad_arguments', /takes no arguments/],
    ['mask wobble', 'command.bad_arguments', /I don't know `mask wobble`/],
    ['mask', 'command.bad_arguments', /Mask commands/],
    ['seed -1', 'command.bad_arguments', /seed must be a whole number/i],
    ['seed 1.5', 'command.bad_arguments', /seed must be a whole number/i],
    ['steps many', 'command.bad_arguments', /steps must be a whole number/],
    ['guidance high', 'command.bad_arguments', /Usage: `guidance 7.5`/],
    ['blend maybe', 'command.bad_arguments', /blend on/],
    ['version zero', 'command.bad_arguments', /version must be a whole number/i],
    ['defaults strength', 'command.bad_arguments', /Usage: `defaults strength 0.8 samples 2`/],
    ['defaults seed -1', 'command.bad_arguments', /seed must be a whole number/i],
    ['defaults undo now', 'command.bad_arguments', /"undo" is not a setting/],
    ['buttons nobody', 'command.bad_arguments', /`buttons owner`/],
    ['/frobnicate', 'command.unknown', /don't know the command `\/frobnicate`/],
  ];
  it.each(refused)('refuses %j and explains the syntax', (text, code, message) => {
    try {
      parseCommand(text);
      expect.unreachable('should have thrown');
    } catch (error) {
      expect(isBrushtalkError(error) && error.code).toBe(code);
      expect((error as Error).message).toMatch(message);
    }
  });
});
