/**
 * The recipe verbs of `concord` as commander declares them: `lock` (etcdctl lock), `elect`
 * (etcdctl elect) and `semaphore list|set-limit|release` (the locksmith-style semaphore of
 * recipes/semaphore.ts). Like verb-specs.ts (which calls this), declarations only: no client is
 * imported, so `--help` never loads what it describes; recipe-verbs.ts has the runners.
 */
import type { Command } from 'commander';

/** The top-level verbs declared here (verb-specs.ts lists them in CLIENT_VERBS). */
export const RECIPE_VERBS = ['lock', 'elect', 'semaphore'] as const;

/** The exit status of `lock` and `elect`, whose numbers differ from the other verbs' at 1. */
export const LOCK_EXIT_STATUS = [
  'exit status (with COMMAND): the exit status of COMMAND; 1 if the lock may have been lost',
  'while it ran (COMMAND was sent SIGTERM), 127 if it could not be started; without COMMAND:',
  '130 after releasing the lock on SIGINT/SIGTERM, 1 if the lock was lost. Otherwise as below.',
].join('\n');

export const ELECT_EXIT_STATUS = [
  'exit status: 0 after resigning (campaign) or when stopped (observe) on SIGINT/SIGTERM, 1 if',
  'leadership was lost. Otherwise as below.',
].join('\n');

export const SEMAPHORE_EXIT_STATUS =
  'exit status: release: 1 when HOLDER held no slot (nothing changed). Otherwise as below.';

/** Declares the verbs under `root`; `withGlobals` adds the global flags (verb-specs.ts). */
export function declareRecipeVerbs(root: Command, withGlobals: (cmd: Command) => Command): void {
  withGlobals(
    root
      .command('lock')
      .description(
        [
          'Acquires the lock NAME (waiting in line, FIFO) and, with COMMAND, runs it while holding',
          'the lock and releases the lock when it exits (etcdctl lock). COMMAND gets the fencing',
          'token in CONCORD_LOCK_TOKEN and the name in CONCORD_LOCK_NAME, and is sent SIGTERM if',
          'the lock may be lost. Without COMMAND, prints the lock key and the fencing token and',
          'holds the lock until SIGINT/SIGTERM. --command-timeout bounds each request, not the wait.',
        ].join('\n'),
      )
      .usage('[options] <name> [-- COMMAND [ARGS...]]')
      .argument('<name>')
      .argument('[command...]', 'the command to run (after --)')
      .option('--ttl <seconds>', "TTL of the lock's session lease", '10'),
  );
  withGlobals(
    root
      .command('elect')
      .description(
        [
          'With PROPOSAL, campaigns in the election NAME (waiting in line), prints the leadership',
          'once elected and holds it until SIGINT/SIGTERM, then resigns (etcdctl elect). Without',
          'PROPOSAL (or with --listen), observes: prints the leader, then every change of leader.',
        ].join('\n'),
      )
      .argument('<name>')
      .argument('[proposal]')
      .option('-l, --listen', 'observe the leader changes (even with a PROPOSAL, etcdctl’s flag)')
      .option('--ttl <seconds>', "TTL of the campaign's session lease", '10'),
  );
  const semaphore = root
    .command('semaphore')
    .description("The semaphore recipe's records: limit and holders (locksmith's operations)");
  withGlobals(
    semaphore
      .command('list')
      .description('Prints the limit and the holders of the semaphore NAME')
      .argument('<name>'),
  );
  withGlobals(
    semaphore
      .command('set-limit')
      .description('Changes the limit (the holders above a lower limit keep their slots)')
      .argument('<name>')
      .argument('<limit>'),
  );
  withGlobals(
    semaphore
      .command('release')
      .description("Frees HOLDER's slot (the operator's unlock; the holder's slot signal fires)")
      .argument('<name>')
      .argument('<holder>'),
  );
}
