/**
 * A process with the last-resort handlers installed, for test/integration/last-resort.test.ts. Reads commands
 * on stdin: `reject` (a promise nobody awaits rejects), `throw` (a timer callback throws), `ping` (answers pong).
 */
import readline from 'node:readline';
import { installLastResort } from '../../src/last-resort.ts';
import { createLogger } from '../../src/log.ts';

installLastResort({ log: createLogger('info') });
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === 'reject') void Promise.reject(new Error('an adapter forgot to await this'));
  if (line === 'throw') setTimeout(() => {
    throw new Error('a callback threw');
  }, 0);
  if (line === 'ping') process.stdout.write('pong\n');
});
process.stdout.write('ready\n');
