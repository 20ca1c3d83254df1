import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBlobStore } from '../../db/blobs.ts';
import { getJob } from '../../db/jobs.ts';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { openDatabase } from '../../db/open.ts';
import { markSeen, pruneSeen } from '../../db/seen.ts';
import { createSessionStore } from '../../db/store.ts';
import { isBrushtalkError } from '../../src/errors.ts';
import * as S from '../../src/session/session.ts';
import { tempDataDir } from '../helpers/env.ts';

const ref = { platform: 'discord', scope: 'guild1', channelId: 'c1', threadId: 't1' };
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setup() {
  const temp = tempDataDir();
  const file = `${temp.dir}/brushtalk.db`;
  const database = openDatabase(file);
  cleanups.push(() => database.close(), temp.cleanup);
  return { temp, file, database, store: createSessionStore(database.db, 3), blobs: createBlobStore(database.db, `${temp.dir}/blobs`) };
}

describe('database', () => {
  it('applies the committed migrations with WAL, foreign keys and a busy timeout', () => {
    const { database } = setup();
    expect(database.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(database.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(database.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
    const tables = database.sqlite.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all().map((r) => (r as { name: string }).name);
    expect(tables).toEqual(expect.arrayContaining(['blobs', 'conversations', 'jobs', 'seen_events', 'versions', '__drizzle_migrations']));
  });

  it('reopening an existing file keeps its data and does not re-run migrations', async () => {
    const { file, blobs, database } = setup();
    await blobs.put(Buffer.from('x'), { kind: 'image', mime: 'image/png', width: 1, height: 1 });
    database.close();
    const again = openDatabase(file);
    cleanups.push(() => again.close());
    expect(again.sqlite.prepare('SELECT count(*) AS n FROM blobs').get()).toEqual({ n: 1 });
  });

  it('migrating a database from before picture numbers numbers its sources and results 1, 2, 3… per conversation', async () => {
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    const file = `${temp.dir}/old.db`;
    // The schema as it was at migration 0003: the committed files up to it, with a journal cut there.
    const old = `${temp.dir}/migrations-0003`;
    fs.mkdirSync(`${old}/meta`, { recursive: true });
    const committed = path.join(import.meta.dirname, '../../db/migrations');
    const journal = JSON.parse(fs.readFileSync(`${committed}/meta/_journal.json`, 'utf8')) as { entries: { tag: string }[] };
    journal.entries = journal.entries.slice(0, 4);
    for (const entry of journal.entries) fs.copyFileSync(`${committed}/${entry.tag}.sql`, `${old}/${entry.tag}.sql`);
    fs.writeFileSync(`${old}/meta/_journal.json`, JSON.stringify(journal));
    const sqlite = new Database(file);
    migrate(drizzle(sqlite), { migrationsFolder: old });
    sqlite.prepare("INSERT INTO blobs (id, kind, mime, width, height, bytes, created_at) VALUES ('img', 'image', 'image/png', 4, 4, 1, 0)").run();
    const kinds: Record<string, string[]> = { a: ['source', 'mask', 'caption', 'result', 'params', 'result', 'source', 'mask'], b: ['source', 'result'] };
    for (const [conversation, steps] of Object.entries(kinds)) {
      sqlite
        .prepare("INSERT INTO conversations (id, platform, scope, channel_id, owner_id, created_at, updated_at) VALUES (?, 'test', 's', ?, 'u', 0, 0)")
        .run(conversation, conversation);
      const insert = sqlite.prepare("INSERT INTO versions (id, conversation_id, number, kind, image_id, params, created_at) VALUES (?, ?, ?, ?, 'img', '{}', 0)");
      steps.forEach((kind, i) => insert.run(`${conversation}${i + 1}`, conversation, i + 1, kind));
    }
    sqlite.close();

    const migrated = openDatabase(file);
    cleanups.push(() => migrated.close());
    const rows = migrated.sqlite.prepare('SELECT conversation_id AS c, number, picture FROM versions ORDER BY c, number').all();
    expect(rows.map((r) => { const { c, number, picture } = r as { c: string; number: number; picture: number | null }; return `${c}${number}:${picture ?? '-'}`; })).toEqual([
      'a1:1', 'a2:-', 'a3:-', 'a4:2', 'a5:-', 'a6:3', 'a7:4', 'a8:-', 'b1:1', 'b2:2',
    ]);
    // The numbering is unique per conversation from now on.
    expect(() => migrated.sqlite.prepare("UPDATE versions SET picture = 1 WHERE id = 'a4'").run()).toThrow(/UNIQUE/);
  });

  it('stores blobs by sha256 on disk, never in rows, and dedupes equal bytes', async () => {
    const { blobs, database } = setup();
    const a = await blobs.put(Buffer.from('same bytes'), { kind: 'image', mime: 'image/png', width: 2, height: 3 });
    const b = await blobs.put(Buffer.from('same bytes'), { kind: 'image', mime: 'image/png', width: 2, height: 3 });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.readFileSync(blobs.pathOf(a), 'utf8')).toBe('same bytes');
    expect((await blobs.get(a)).toString()).toBe('same bytes');
    expect(blobs.meta(a)).toMatchObject({ width: 2, height: 3, bytes: 10 });
    const columns = database.sqlite.prepare("SELECT name, type FROM pragma_table_info('blobs')").all() as { type: string }[];
    expect(columns.some((c) => c.type.toUpperCase() === 'BLOB')).toBe(false);
  });

  it('stores the same bytes from many concurrent writers as one whole file', async () => {
    const { blobs, database } = setup();
    const bytes = Buffer.alloc(256 * 1024, 7);
    const ids = await Promise.all(Array.from({ length: 20 }, () => blobs.put(bytes, { kind: 'image', mime: 'image/png', width: 1, height: 1 })));
    expect(new Set(ids).size).toBe(1);
    expect((await blobs.get(ids[0])).equals(bytes)).toBe(true);
    expect(fs.readdirSync(path.dirname(blobs.pathOf(ids[0])))).toEqual([ids[0]]); // no temp files left behind
    expect(database.sqlite.prepare('SELECT count(*) AS n FROM blobs').get()).toEqual({ n: 1 });
  });

  it('saves and loads a session graph with its head and stacks', async () => {
    const { store, blobs } = setup();
    const img = await blobs.put(Buffer.from('img'), { kind: 'image', mime: 'image/png', width: 8, height: 6 });
    let n = 0;
    const clock = { newId: () => `v${++n}`, now: () => 5 };
    let session = S.addSource(S.createSession('conv1', ref, 'owner'), { imageId: img, width: 8, height: 6 }, 3, clock);
    session = S.setCaption(session, 'a cat', clock);
    expect(store.save(session)).toBe(1);
    const loaded = store.loadByRef(ref)!;
    expect(loaded).toMatchObject({ id: 'conv1', ownerId: 'owner', headId: 'v2', undo: ['v1'], redo: [], rev: 1, ref });
    expect(loaded.versions.map((v) => [v.number, v.kind, v.width, v.height, v.caption])).toEqual([
      [1, 'source', 8, 6, null],
      [2, 'caption', 8, 6, 'a cat'],
    ]);
    const undone = S.undo(loaded);
    expect(store.save(undone)).toBe(2);
    expect(store.loadById('conv1')).toMatchObject({ headId: 'v1', redo: ['v2'], rev: 2 });
  });

  it('refuses a save from a stale revision (no lost updates) and a second creation of the same conversation', async () => {
    const { store, blobs } = setup();
    const img = await blobs.put(Buffer.from('img'), { kind: 'image', mime: 'image/png', width: 8, height: 6 });
    let n = 0;
    const clock = { newId: () => `v${++n}`, now: () => 5 };
    const first = S.addSource(S.createSession('conv1', ref, 'a'), { imageId: img, width: 8, height: 6 }, 3, clock);
    store.save(first);
    const twin = S.addSource(S.createSession('conv2', ref, 'b'), { imageId: img, width: 8, height: 6 }, 3, clock);
    expect(() => store.save(twin)).toThrow(expect.objectContaining({ code: 'session.conflict' }));
    const a = store.loadByRef(ref)!;
    const b = store.loadByRef(ref)!;
    store.save(S.setCaption(a, 'from a', clock));
    try {
      store.save(S.setCaption(b, 'from b', clock));
      expect.unreachable();
    } catch (error) {
      expect(isBrushtalkError(error) && error.code).toBe('session.conflict');
    }
    expect(store.loadByRef(ref)!.versions.map((v) => v.caption)).toEqual([null, 'from a']);
  });

  it('inserts jobs in the same transaction as the session, and not at all when the save fails', async () => {
    const { store, blobs, database } = setup();
    const img = await blobs.put(Buffer.from('img'), { kind: 'image', mime: 'image/png', width: 8, height: 6 });
    const clock = { newId: () => 'v1', now: () => 5 };
    const session = S.addSource(S.createSession('conv1', ref, 'a'), { imageId: img, width: 8, height: 6 }, 3, clock);
    store.save(session, [{ id: 'job1', kind: 'inpaint', conversationId: 'conv1', payload: { a: 1 }, ref: 'T-1' }]);
    expect(getJob(database.db, 'job1')).toMatchObject({ state: 'queued', attempts: 0, maxAttempts: 3, payload: { a: 1 } });
    const stale = { ...store.loadByRef(ref)!, rev: 0 };
    expect(() => store.save(stale, [{ id: 'job2', kind: 'inpaint', conversationId: 'conv1', payload: {}, ref: 'T-2' }])).toThrow();
    expect(getJob(database.db, 'job2')).toBeNull();
  });

  it('remembers seen events for idempotency, and forgets them after a week', () => {
    const { database } = setup();
    expect(markSeen(database.db, 'slack', 'ev1')).toBe(true);
    expect(markSeen(database.db, 'slack', 'ev1')).toBe(false);
    expect(markSeen(database.db, 'discord', 'ev1')).toBe(true);
    const eightDaysAgo = Date.now() - 8 * 24 * 3600 * 1000;
    expect(markSeen(database.db, 'slack', 'old', eightDaysAgo)).toBe(true);
    expect(pruneSeen(database.db)).toBe(1);
    expect(markSeen(database.db, 'slack', 'old')).toBe(true); // forgotten: a new event with that id counts again
    expect(markSeen(database.db, 'slack', 'ev1')).toBe(false); // recent ones stay
  });
});
