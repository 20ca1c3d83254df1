import { createCliAdapter, usage } from '../adapters/cli/cli.ts';
import { runWeightsCommand } from '../weights/cli.ts';
import { createDefaultInterpreter } from './agent/models.ts';
import { runEvalCommand } from './agent/eval.ts';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { isBrushtalkError } from './errors.ts';
import { createLogger } from './log.ts';
import { manifestPath } from './vision/models.ts';

/**
 * The composition root: the only place that knows every part. `npm start` (no arguments, or `serve`) runs
 * the embedded service; `brushtalk edit|chat|history|undo|redo|version|detect` runs the command line on the
 * same database, with an in-process worker; `brushtalk weights list|pull|verify` manages model files;
 * `brushtalk eval instructions <file>` scores the instructor on a labelled set.
 */
async function main(argv: string[]): Promise<number> {
  const [command = 'serve'] = argv;
  const cliCommands = new Set(['edit', 'chat', 'history', 'undo', 'redo', 'version', 'detect', 'help', '--help', '-h']);
  const isCli = cliCommands.has(command);
  // The command line keeps its output readable: logs only warnings unless LOG_LEVEL says otherwise.
  const config = loadConfig(undefined, isCli || command === 'weights' || command === 'eval' ? { LOG_LEVEL: 'warn' } : {});
  const log = createLogger(config.logLevel);
  if (command === 'weights') {
    return runWeightsCommand(argv.slice(1), { manifestPath, weightsDir: config.weightsDir, stdout: process.stdout, stderr: process.stderr });
  }
  if (command === 'eval') {
    const { instructor } = createDefaultInterpreter(config, log);
    return runEvalCommand(argv.slice(1), { instructor, stdout: (t) => console.log(t), stderr: (t) => console.error(t) });
  }
  if (command !== 'serve' && !isCli) {
    process.stderr.write(`unknown command "${command}"\n\n${usage}\n`);
    return 2;
  }
  const app = createApp({ config, log });
  app.startWorker();

  if (isCli) {
    const cli = createCliAdapter({ outDir: config.outDir, stdout: (line) => console.log(line), stderr: (line) => console.error(line) });
    app.attach(cli.adapter);
    try {
      return await cli.run(app.core, argv);
    } finally {
      await app.close();
    }
  }

  log.info({ dataDir: config.dataDir, engine: app.engine.name }, 'brushtalk running (embedded): worker started');
  log.info('no chat adapters are configured yet; try the command line: npx brushtalk edit photo.jpg "remove the cup" --box 40,60,200,120');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log.info('shutting down');
  await app.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = isBrushtalkError(error) ? error.userMessage : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`brushtalk: ${message}\n`);
    process.exitCode = 1;
  },
);
