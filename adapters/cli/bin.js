#!/usr/bin/env node
// `npx brushtalk …` and `npm start` land here: the compiled build of the current sources (built first if they
// changed), or the sources through tsx when it cannot be built. See scripts/launch.js.
import { launch } from '../../scripts/launch.js';

await launch();
