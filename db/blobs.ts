import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { BlobStore } from '../src/store.ts';
import type { Db } from './open.ts';
import { blobs } from './schema.ts';

/** Image bytes live on disk, content-addressed; SQLite rows hold only ids and metadata. */
export function createBlobStore(db: Db, dir: string): BlobStore {
  const pathOf = (id: string) => path.join(dir, id.slice(0, 2), id);
  return {
    pathOf,
    async put(bytes, meta) {
      const id = createHash('sha256').update(bytes).digest('hex');
      const file = pathOf(id);
      try {
        await fs.access(file);
      } catch {
        await fs.mkdir(path.dirname(file), { recursive: true });
        // Write then rename: a crash never leaves a half-written file under a valid hash, and concurrent
        // writers of the same bytes (the same picture sent to two conversations) each rename a whole file.
        const temp = `${file}.${randomUUID()}.tmp`;
        await fs.writeFile(temp, bytes);
        await fs.rename(temp, file);
      }
      db.insert(blobs)
        .values({ id, kind: meta.kind, mime: meta.mime, bytes: bytes.byteLength, width: meta.width, height: meta.height, createdAt: Date.now() })
        .onConflictDoNothing()
        .run();
      return id;
    },
    async get(id) {
      return fs.readFile(pathOf(id));
    },
    meta(id) {
      const row = db.select().from(blobs).where(eq(blobs.id, id)).get();
      return row ? { id: row.id, kind: row.kind, mime: row.mime, bytes: row.bytes, width: row.width, height: row.height } : null;
    },
  };
}
