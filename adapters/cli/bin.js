#!/usr/bin/env node
// `npx brushtalk …` lands here: load TypeScript through tsx, then run the composition root.
import { register } from 'tsx/esm/api';

register();
await import('../../src/main.ts');
