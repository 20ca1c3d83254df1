import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from 'discord.js';
import type { DiscordAdapter } from '../../adapters/discord/adapter.ts';

/**
 * Recorded interaction payloads (test/fixtures/discord/*.json) with `"{{name}}"` placeholders, fed through
 * discord.js's own InteractionCreate action — the code path a gateway INTERACTION_CREATE takes.
 */
const dir = path.join(import.meta.dirname, '..', 'fixtures', 'discord');

let counter = 0n;
/** A fresh snowflake for now (Discord epoch 2015), unique within the run. */
export function snowflake(): string {
  return String(((BigInt(Date.now()) - 1_420_070_400_000n) << 22n) + (counter++ % 4096n));
}

export function fixture(name: string, vars: Record<string, string | number> = {}): any {
  const text = readFileSync(path.join(dir, `${name}.json`), 'utf8');
  const all: Record<string, string | number> = { interaction_id: snowflake(), token: `tok-${snowflake()}`, ...vars };
  return JSON.parse(
    text.replace(/"\{\{(\w+)\}\}"/g, (_, key: string) => {
      if (!(key in all)) throw new Error(`fixture ${name}: no value for {{${key}}}`);
      return JSON.stringify(all[key]);
    }),
  );
}

/** What the gateway's GUILD_CREATE does: the guild and its channels enter the cache. */
export function cacheGuild(client: Client): void {
  (client.guilds as unknown as { _add(data: unknown): unknown })._add(fixture('guild'));
}

/** Emit one interaction as discord.js would on INTERACTION_CREATE, and wait until the adapter handled it. */
export async function deliver(adapter: DiscordAdapter, payload: any): Promise<void> {
  (adapter.client as unknown as { actions: { InteractionCreate: { handle(data: unknown): void } } }).actions.InteractionCreate.handle(payload);
  await adapter.idle();
}
