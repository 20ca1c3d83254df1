import { and, eq } from 'drizzle-orm';
import type { EditParams } from '../src/session/params.ts';
import type { SettingsStore } from '../src/store.ts';
import type { Db } from './open.ts';
import { scopeSettings, userDefaults } from './schema.ts';

/** Per-user defaults and per-server choices, one row each. */
export function createSettingsStore(db: Db, now: () => number = Date.now): SettingsStore {
  return {
    userDefaults(platform, userId) {
      const row = db.select().from(userDefaults).where(and(eq(userDefaults.platform, platform), eq(userDefaults.userId, userId))).get();
      return row ? (row.params as Partial<EditParams>) : null;
    },
    setUserDefaults(platform, userId, params) {
      if (params === null) {
        db.delete(userDefaults).where(and(eq(userDefaults.platform, platform), eq(userDefaults.userId, userId))).run();
        return;
      }
      const row = { platform, userId, params: params as Record<string, unknown>, updatedAt: now() };
      db.insert(userDefaults).values(row).onConflictDoUpdate({ target: [userDefaults.platform, userDefaults.userId], set: { params: row.params, updatedAt: row.updatedAt } }).run();
    },
    othersMayAct(platform, scope) {
      const row = db.select().from(scopeSettings).where(and(eq(scopeSettings.platform, platform), eq(scopeSettings.scope, scope))).get();
      return row?.othersMayAct ?? null;
    },
    setOthersMayAct(platform, scope, value, updatedBy) {
      const row = { platform, scope, othersMayAct: value, updatedBy, updatedAt: now() };
      db.insert(scopeSettings)
        .values(row)
        .onConflictDoUpdate({ target: [scopeSettings.platform, scopeSettings.scope], set: { othersMayAct: value, updatedBy, updatedAt: row.updatedAt } })
        .run();
    },
  };
}
