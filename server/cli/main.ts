#!/usr/bin/env node
/**
 * The `concord` command. `concord serve [flags]` runs a member (see `concord serve --help`).
 */
import { helpText } from './flags.js';
import { InvalidConfigError, loadConfig } from './config.js';

async function serve(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (err) {
    if (err instanceof InvalidConfigError) {
      process.stderr.write(`concord: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { startMember } = await import('../member/start-member.js');
  const member = await startMember(config);
  process.stderr.write(`concord: member ${config.name} serving clients on ${member.clientUrls.join(', ')}\n`);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) process.exit(130);
    process.stderr.write(`concord: ${signal}: stopping gracefully (again to force)\n`);
    member.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`concord: stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const failure = await member.closed();
  return failure === undefined ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case undefined:
    case 'serve':
      return serve(rest);
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(
        [
          'usage: concord <command>',
          '  serve [flags]                       run a member (concord serve --help)',
          '  lock NAME -- COMMAND [ARGS…]        run a command while holding a lock',
          '  elect NAME [VALUE]                  campaign and print leadership changes',
          '  semaphore list|set-limit|release    inspect and operate a locksmith-style semaphore',
          '',
        ].join('\n'),
      );
      return 0;
    case 'lock':
    case 'elect':
    case 'semaphore': {
      const { runRecipeCommand } = await import('./recipes-commands.js');
      return runRecipeCommand(verb, rest);
    }
    case '--version':
    case 'version': {
      const { packageVersion } = await import('../api/index.js');
      process.stdout.write(`concord ${packageVersion()}\n`);
      return 0;
    }
    default:
      if (verb.startsWith('--')) return serve(argv);
      process.stderr.write(`concord: unknown command '${verb}' (try: concord serve --help)\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`concord: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
