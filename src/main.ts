import type { DiscordAdapter } from '../adapters/discord/adapter.ts';
import type { SlackAdapter } from '../adapters/slack/adapter.ts';
import { usage } from '../adapters/cli/usage.ts';
import type { App } from './app.ts';
import type { Config } from './config.ts';
import { exitCodeFor, isBrushtalkError } from './errors.ts';
import { listenOrExplain } from './listen.ts';
import type { Logger } from './log.ts';

/**
 * The composition root: the only place that knows every part. `npm start` (no arguments, or `serve`) runs
 * the embedded service; `brushtalk edit|chat|history|undo|redo|version|detect` runs the command line on the
 * same database, with an in-process worker; `brushtalk weights list|pull|verify` manages model files;
 * `brushtalk eval instructions <file>` scores the instructor on a labelled set; `brushtalk worker` pulls edits
 * from Redis (REDIS_URL) and renders them — run as many as there are GPUs; `brushtalk discord deploy-commands` registers
 * the Discord slash commands (the bot itself runs in `serve` when DISCORD_TOKEN is set).
 *
 * Each command imports what it uses when it runs: `help` loads nothing (not even the configuration, so it
 * answers when that is wrong), the command line never loads the chat platforms or node:http (on Node 24 its
 * namespace loads undici), and Discord, Slack, the studio and BullMQ load only when configured.
 */
async function main(argv: string[]): Promise<number> {
  const [command = 'serve'] = argv;
  // The same text `cli.run` prints for help, before anything else: it needs no configuration, log or database.
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(usage);
    return 0;
  }
  const [{ loadConfig }, { createLogger, holdLines }] = await Promise.all([import('./config.ts'), import('./log.ts')]);
  const cliCommands = new Set(['edit', 'chat', 'history', 'undo', 'redo', 'version', 'detect']);
  const isCli = cliCommands.has(command);
  // The command line keeps its output readable: logs only warnings unless LOG_LEVEL says otherwise.
  const config = loadConfig(undefined, isCli || command === 'weights' || command === 'eval' ? { LOG_LEVEL: 'warn' } : {});
  // Readable on a terminal, JSON when piped or in production. `serve` holds its start-up lines until the
  // studio's URL is out: that is the line a person looks for.
  const logOutput = command === 'serve' ? holdLines(process.stderr) : process.stderr;
  const log = createLogger(config.logLevel, { format: config.logFormat, destination: logOutput });
  const releaseLogs = () => ('release' in logOutput ? logOutput.release() : undefined);
  if (command === 'weights') {
    const [{ runWeightsCommand }, { manifestPath }] = await Promise.all([import('../weights/cli.ts'), import('./vision/models.ts')]);
    return runWeightsCommand(argv.slice(1), { manifestPath, weightsDir: config.weightsDir, stdout: process.stdout, stderr: process.stderr });
  }
  if (command === 'eval') {
    const [{ evalInstructor }, { runEvalCommand }] = await Promise.all([import('./agent/models.ts'), import('./agent/eval.ts')]);
    return runEvalCommand(argv.slice(1), { instructor: (llm) => evalInstructor(config, log, llm), stdout: (t) => console.log(t), stderr: (t) => console.error(t) });
  }
  // The long-running commands: the last resort logs what every handler missed, and says whether to go on.
  if (command === 'serve' || command === 'worker') {
    // A fatal line written while start-up logs are held back still reaches stderr before the exit.
    const { installLastResort } = await import('./last-resort.ts');
    installLastResort({
      log,
      exit(code) {
        releaseLogs();
        process.exit(code);
      },
    });
  }
  if (command === 'worker') return runWorker(config, log);
  if (command === 'discord') {
    const { runDiscordCommand } = await import('../adapters/discord/cli.ts');
    return runDiscordCommand(argv.slice(1), { ...config.discord, stdout: (line) => console.log(line), stderr: (line) => console.error(line) });
  }
  if (command !== 'serve' && !isCli) {
    process.stderr.write(`error: unknown command "${command}" (brushtalk help lists them)\n`);
    return exitCodeFor('command.unknown');
  }
  const { createApp } = await import('./app.ts');
  if (!isCli) {
    try {
      return await serve(config, log, await createApp({ config, log }), releaseLogs);
    } finally {
      releaseLogs(); // whatever happened, the lines held for the URL come out
    }
  }
  const app = await createApp({ config, log });
  try {
    // The command line always renders in-process.
    app.startWorker();
    await app.ready();
    const [{ convertPng }, { createCliAdapter }] = await Promise.all([import('./images/codec.ts'), import('../adapters/cli/cli.ts')]);
    const cli = createCliAdapter({ outDir: config.outDir, stdout: process.stdout, stderr: process.stderr, convert: convertPng });
    app.attach(cli.adapter);
    return await cli.run(app.core, argv);
  } finally {
    await app.close();
  }
}

/**
 * `npm start`: the health server, the studio and each configured platform, until SIGINT/SIGTERM. A part that
 * cannot start (a port in use) stops everything started before it, so the process exits instead of running
 * half a service.
 */
async function serve(config: Config, log: Logger, app: App, releaseLogs: () => void): Promise<number> {
  const stops: (() => Promise<unknown>)[] = [() => app.close()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
    stops.length = 0;
  };
  try {
    // A bot with REDIS_URL leaves rendering to `brushtalk worker`s.
    if (config.workerInProcess) app.startWorker();
    await app.ready();
    const healthPort = config.healthPort;
    const { startHealthServer } = await import('./health/server.ts');
    const health = healthPort === null ? null : await listenOrExplain({ what: 'The health server', envVar: 'HEALTH_PORT', port: healthPort, host: config.healthHost }, () => startHealthServer(healthPort, app.health, log, config.healthHost));
    if (health) stops.push(() => health.close());
    const mode = config.redis ? `bot on Redis queue "${config.redis.queueName}"` : 'embedded';
    log.info({ dataDir: config.dataDir, engine: app.engine.name, worker: config.workerInProcess ? 'in process' : 'remote' }, `brushtalk running (${mode})`);
    // The studio and each platform are imported only when they are on: every one brings its own dependencies.
    if (config.studio.enabled) {
      const { createStudioAdapter } = await import('../adapters/studio/studio.ts');
      const studio = createStudioAdapter({ core: app.core, log, host: config.studio.host, port: config.studio.port, maxUploadBytes: config.limits.maxBytes });
      app.attach(studio);
      await listenOrExplain({ what: 'The studio', envVar: 'STUDIO_PORT', port: config.studio.port, host: config.studio.host }, () => studio.start(app.core.handleTurn));
      stops.push(() => studio.stop());
      // Printed before the start-up logs (held until now): it is the line a person looks for after `npm start`.
      console.log(`brushtalk studio: ${studio.url()}`);
    } else log.info('the studio is off (STUDIO_ENABLED=false); the command line still works: npx brushtalk edit photo.jpg "remove the cup" --box 40,60,200,120');
    releaseLogs();
    // Slack when SLACK_BOT_TOKEN is set: Socket Mode with SLACK_APP_TOKEN, otherwise HTTP on SLACK_PORT.
    if (config.slack) {
      const { createSlackAdapter } = await import('../adapters/slack/adapter.ts');
      const slack: SlackAdapter = createSlackAdapter({ ...config.slack, listen: { port: config.slack.port, host: config.slack.host }, maxBytes: config.limits.maxBytes, core: app.core, log });
      app.attach(slack);
      await listenOrExplain({ what: 'The Slack adapter', envVar: 'SLACK_PORT', port: config.slack.port, host: config.slack.host }, () => slack.start(app.core.handleTurn));
      stops.push(() => slack.stop());
    }
    // Discord when DISCORD_TOKEN is set (register the commands once with `brushtalk discord deploy-commands`).
    const d = config.discord;
    if (d.token) {
      const [{ createDiscordAdapter }, { shrinkForUpload }] = await Promise.all([import('../adapters/discord/adapter.ts'), import('./images/codec.ts')]);
      const discord: DiscordAdapter = createDiscordAdapter({ token: d.token, ownerOnly: d.ownerOnly, threadPerSession: d.threadPerSession, messageContent: d.messageContent, apiBase: d.apiBase, log, maxInputBytes: config.limits.maxBytes, shrink: shrinkForUpload });
      app.attach(discord);
      await discord.start(app.core.handleTurn);
      stops.push(() => discord.stop());
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  await untilSignal();
  log.info('shutting down');
  await stopAll();
  return 0;
}

/** `brushtalk worker`: render edits from Redis until SIGTERM, then finish or hand back the current job. */
async function runWorker(config: Config, log: Logger): Promise<number> {
  const [{ startStandaloneWorker }, { createDefaultEngine }] = await Promise.all([import('./worker.ts'), import('./engines/select.ts')]);
  const worker = startStandaloneWorker({ config, log, engine: await createDefaultEngine(config, log) });
  await worker.ready();
  const healthPort = config.healthPort;
  const { startHealthServer } = await import('./health/server.ts');
  const health = healthPort === null ? null : await listenOrExplain({ what: 'The health server', envVar: 'HEALTH_PORT', port: healthPort, host: config.healthHost }, () => startHealthServer(healthPort, worker.health, log, config.healthHost));
  log.info({ queue: config.redis?.queueName, concurrency: config.jobs.concurrency }, 'brushtalk worker running');
  await untilSignal();
  log.info('worker stopping: finishing the current job');
  await health?.close();
  await worker.stop();
  return 0;
}

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Worded for the person at the terminal; the exit status comes from the one table in errors.ts.
    const message = isBrushtalkError(error) ? error.userMessage : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`brushtalk: ${message}\n`);
    process.exitCode = exitCodeFor(isBrushtalkError(error) ? error.code : 'internal');
  },
);
