import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  InteractionContextType,
  PermissionFlagsBits,
  REST,
  Routes,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { maxInstructionChars } from '../../src/contracts.ts';

/** The context-menu entry's name is what users see in Apps → …, and what interactions carry back. */
export const editImageMenuName = 'Edit image';

// Guild and bot DMs only: a user-installed app could not post results with the bot token after 15 minutes.
const contexts = [InteractionContextType.Guild, InteractionContextType.BotDM];

const instruction = (description: string) =>
  ({ type: ApplicationCommandOptionType.String, name: 'instruction', description, required: true, max_length: maxInstructionChars }) as const;

const paramOptions = [
  { type: ApplicationCommandOptionType.Integer, name: 'samples', description: 'How many results to draw (1-4)', min_value: 1, max_value: 4 },
  { type: ApplicationCommandOptionType.Integer, name: 'seed', description: 'Random seed, for a repeatable result', min_value: 0, max_value: 4_294_967_295 },
  { type: ApplicationCommandOptionType.Number, name: 'strength', description: 'How much the masked area may change (0-1)', min_value: 0, max_value: 1 },
] as const;

export const commandDefinitions: RESTPostAPIApplicationCommandsJSONBody[] = [
  {
    name: 'edit',
    description: 'Edit a picture: say what to change',
    contexts,
    options: [
      { type: ApplicationCommandOptionType.Attachment, name: 'image', description: 'The picture to edit (PNG, JPEG, WebP)', required: true },
      instruction('What to change, e.g. "remove the cup on the left"'),
      ...paramOptions,
    ],
  },
  { name: 'refine', description: 'Continue the edit in this channel or thread', contexts, options: [instruction('What to change next, e.g. "make it bigger" or "mask grow 12"')] },
  { name: 'history', description: "List this conversation's versions", contexts },
  { name: 'undo', description: 'Go back one step', contexts },
  {
    name: 'settings',
    description: 'Your own defaults for every new picture (no options: show them)',
    contexts,
    options: [
      ...paramOptions,
      { type: ApplicationCommandOptionType.Integer, name: 'steps', description: 'Sampling steps (1-100)', min_value: 1, max_value: 100 },
      { type: ApplicationCommandOptionType.Number, name: 'guidance', description: 'How closely to follow the words (e.g. 7.5)', min_value: 0, max_value: 30 },
      { type: ApplicationCommandOptionType.Boolean, name: 'reset', description: 'Forget your defaults' },
    ],
  },
  {
    name: 'server-settings',
    description: "This server's rules for the bot (no options: show them)",
    contexts: [InteractionContextType.Guild],
    // Shown to members who can manage the server; server admins may widen it under Integrations.
    default_member_permissions: String(PermissionFlagsBits.ManageGuild),
    options: [
      {
        type: ApplicationCommandOptionType.String,
        name: 'buttons',
        description: 'Who may press the buttons under a result',
        choices: [
          { name: 'only whoever brought the picture', value: 'owner' },
          { name: 'everyone in the channel', value: 'everyone' },
        ],
      },
    ],
  },
  { name: editImageMenuName, type: ApplicationCommandType.Message, contexts },
];

export interface DeployOptions {
  token: string;
  applicationId: string;
  /** A guild id registers instantly for development; without one the commands go global (up to an hour to appear). */
  guildId?: string;
  apiBase?: string;
}

/** Replace the application's commands (a PUT is idempotent: commands no longer listed are removed). */
export async function deployCommands(options: DeployOptions): Promise<{ route: string; count: number }> {
  const rest = new REST({ api: options.apiBase ?? 'https://discord.com/api' }).setToken(options.token);
  const route = options.guildId ? Routes.applicationGuildCommands(options.applicationId, options.guildId) : Routes.applicationCommands(options.applicationId);
  const registered = (await rest.put(route, { body: commandDefinitions })) as unknown[];
  return { route, count: registered.length };
}
