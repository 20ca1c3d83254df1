import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Content-addressed image files: the row holds metadata, the bytes live under DATA_DIR/blobs/<sha256>. */
export const blobs = sqliteTable('blobs', {
  id: text('id').primaryKey(), // sha256 hex of the bytes
  kind: text('kind', { enum: ['image', 'mask', 'preview'] }).notNull(),
  mime: text('mime').notNull(),
  bytes: integer('bytes').notNull(),
  width: integer('width').notNull(),
  height: integer('height').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** One edit session per conversation (a Discord thread, a Slack thread, a studio tab, a named CLI session). */
export const conversations = sqliteTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    platform: text('platform').notNull(),
    scope: text('scope').notNull(),
    channelId: text('channel_id').notNull(),
    threadId: text('thread_id').notNull().default(''),
    ownerId: text('owner_id').notNull(),
    headVersionId: text('head_version_id'),
    undoStack: text('undo_stack', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    redoStack: text('redo_stack', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    /** Optimistic concurrency: every save bumps it and must see the value it loaded. */
    rev: integer('rev').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('conversations_ref').on(t.platform, t.scope, t.channelId, t.threadId)],
);

/** The edit graph: every step (new image, mask change, caption, params, result) is a version; the images and results are numbered pictures. */
export const versions = sqliteTable(
  'versions',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    /** The picture number users see (sources and results, 1, 2, 3…); null on mask, caption and settings steps. */
    picture: integer('picture'),
    parentId: text('parent_id'),
    kind: text('kind', { enum: ['source', 'mask', 'caption', 'params', 'result'] }).notNull(),
    note: text('note').notNull().default(''),
    imageId: text('image_id').notNull().references(() => blobs.id),
    maskId: text('mask_id').references(() => blobs.id),
    maskCoverage: real('mask_coverage').notNull().default(0),
    caption: text('caption'),
    /** What a result's engine was told to avoid (the removed object, then the defaults); null on other steps. */
    negativePrompt: text('negative_prompt'),
    editType: text('edit_type'),
    object: text('object'),
    detections: text('detections', { mode: 'json' }).$type<Record<string, unknown>>(),
    params: text('params', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    engine: text('engine'),
    metrics: text('metrics', { mode: 'json' }).$type<Record<string, unknown>>(),
    previewId: text('preview_id').references(() => blobs.id),
    /** The job that produced a result version; unique so a re-delivered job can never add it twice. */
    jobId: text('job_id'),
    /** Who brought the picture this version descends from (null on rows from before it was recorded). */
    authorId: text('author_id'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('versions_number').on(t.conversationId, t.number),
    uniqueIndex('versions_picture').on(t.conversationId, t.picture),
    uniqueIndex('versions_job').on(t.jobId),
    index('versions_parent').on(t.parentId),
  ],
);

export const jobs = sqliteTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    conversationId: text('conversation_id').references(() => conversations.id, { onDelete: 'cascade' }),
    state: text('state', { enum: ['queued', 'running', 'done', 'failed', 'cancelled'] }).notNull(),
    /** Runs that ended in a failure of the job (the engine threw); a run cut short by a dead worker gives its attempt back. */
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    /** Runs whose worker died under them (killed, crashed): past JOB_MAX_CRASHES the job is taken for poison and fails in words. */
    crashes: integer('crashes').notNull().default(0),
    runAfter: integer('run_after').notNull(),
    leaseUntil: integer('lease_until'),
    workerId: text('worker_id'),
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    result: text('result', { mode: 'json' }).$type<Record<string, unknown>>(),
    error: text('error', { mode: 'json' }).$type<{ code: string; message: string }>(),
    progress: real('progress').notNull().default(0),
    ref: text('ref').notNull(),
    /** When the outcome (result, failure, cancellation) reached the conversation; null until then (an outbox). */
    deliveredAt: integer('delivered_at'),
    /** A process delivering the outcome holds it until then; after that another may (its deliverer died). */
    deliveryUntil: integer('delivery_until'),
    /** Messages of the outcome already sent (a result is three), so a resumed delivery sends only the rest. */
    deliveryStep: integer('delivery_step').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('jobs_claim').on(t.state, t.runAfter), index('jobs_undelivered').on(t.updatedAt).where(sql`delivered_at IS NULL`)],
);

/** Platform events already handled (Slack retries, Discord re-deliveries, double-clicks). */
export const seenEvents = sqliteTable(
  'seen_events',
  {
    platform: text('platform').notNull(),
    eventId: text('event_id').notNull(),
    seenAt: integer('seen_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.platform, t.eventId] })],
);

/** A person's own defaults for new pictures (`defaults strength 0.8`, Discord's /settings), per platform. */
export const userDefaults = sqliteTable(
  'user_defaults',
  {
    platform: text('platform').notNull(),
    userId: text('user_id').notNull(),
    params: text('params', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.platform, t.userId] })],
);

/** A server's or workspace's own settings, chosen by its admins (who may press result buttons). */
export const scopeSettings = sqliteTable(
  'scope_settings',
  {
    platform: text('platform').notNull(),
    scope: text('scope').notNull(),
    /** null: the bot's default (DISCORD_OWNER_ONLY for Discord; elsewhere only whoever brought the picture). */
    othersMayAct: integer('others_may_act', { mode: 'boolean' }),
    updatedBy: text('updated_by').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.platform, t.scope] })],
);
