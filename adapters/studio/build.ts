import path from 'node:path';
import { writeStudioAssets } from './assets.ts';

// `npm run build:studio [outDir]`: the studio's front end as static files (the server itself builds in memory).
const outDir = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, 'dist'));
for (const file of await writeStudioAssets(outDir)) console.log(`wrote ${path.relative(process.cwd(), file)}`);
