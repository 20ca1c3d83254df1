/**
 * `node --import ./package-log.mjs …`: appends the name of every npm package the process imports to the file
 * named by PACKAGE_LOG, one a line, so a test can check what a command loads. Plain JavaScript: it is loaded
 * before the program registers tsx.
 */
import { register } from 'node:module';

register('./package-log-hooks.mjs', import.meta.url);
