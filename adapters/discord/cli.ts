import { parseArgs } from 'node:util';
import { deployCommands } from './commands.ts';

export const discordUsage = `brushtalk discord deploy-commands [--guild] [--global]
  --guild    register in DISCORD_GUILD_ID only: appears at once (development; the default when it is set)
  --global   register for every server: may take up to an hour to appear (production)
  needs DISCORD_TOKEN and DISCORD_APPLICATION_ID`;

export interface DiscordCommandEnv {
  token: string | null;
  applicationId: string | null;
  guildId: string | null;
  apiBase: string;
  stdout(line: string): void;
  stderr(line: string): void;
}

/** `brushtalk discord …`: registering slash commands is a separate step from running the bot, as Discord advises. */
export async function runDiscordCommand(argv: string[], env: DiscordCommandEnv): Promise<number> {
  let values: { guild?: boolean; global?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { guild: { type: 'boolean' }, global: { type: 'boolean' } } }));
  } catch (error) {
    env.stderr(`${(error as Error).message}\n\n${discordUsage}`);
    return 2;
  }
  if (positionals[0] !== 'deploy-commands' || (values.guild && values.global)) {
    env.stderr(discordUsage);
    return 2;
  }
  if (!env.token || !env.applicationId) {
    env.stderr(`Set DISCORD_TOKEN and DISCORD_APPLICATION_ID (developer portal → your application → General Information / Bot).\n\n${discordUsage}`);
    return 2;
  }
  const guild = values.global ? undefined : (env.guildId ?? undefined);
  if (values.guild && !guild) {
    env.stderr('--guild needs DISCORD_GUILD_ID (right-click the server → Copy Server ID, with Developer Mode on).');
    return 2;
  }
  const { route, count } = await deployCommands({ token: env.token, applicationId: env.applicationId, guildId: guild, apiBase: env.apiBase });
  env.stdout(`registered ${count} commands (${guild ? `guild ${guild}` : 'global'}): PUT ${route}`);
  return 0;
}
