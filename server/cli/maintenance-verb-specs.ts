/**
 * The maintenance and membership verbs of `concord`, declared with etcdctl's names and flags:
 * `endpoint hashkv [--cluster]`, `alarm list|disarm`, `defrag [--cluster]`, `move-leader <id>`,
 * `member add|remove|update|promote`. Like verb-specs.ts (which calls this), it only declares and
 * imports no client; maintenance-verbs.ts has the runners.
 */
import type { Command } from 'commander';

/** The top-level verbs declared here (verb-specs.ts lists them in CLIENT_VERBS). */
export const MAINTENANCE_VERBS = ['alarm', 'defrag', 'move-leader'] as const;

/** The groups of verb-specs.ts this module adds subcommands to. */
interface Groups {
  readonly member: Command;
  readonly endpoint: Command;
}

/** Declares the verbs; `withGlobals` adds the global flags (verb-specs.ts). */
export function declareMaintenanceVerbs(
  root: Command,
  groups: Groups,
  withGlobals: (cmd: Command) => Command,
): void {
  withGlobals(
    groups.endpoint
      .command('hashkv')
      .description(
        "Prints each endpoint's KV history hash (or every member's with --cluster); equal hashes at one revision mean equal data",
      )
      .option('--cluster', "use every member's client URLs from member list")
      .option('--rev <revision>', 'hash up to this revision (0: the latest of the first endpoint)', '0'),
  );
  withGlobals(
    groups.member
      .command('add')
      .description('Adds a member to the cluster; prints the flags to start it with')
      .argument('<name>')
      .requiredOption('--peer-urls <urls>', 'comma-separated peer URLs of the new member')
      .option('--learner', 'add it as a non-voting learner'),
  );
  withGlobals(groups.member.command('remove').description('Removes a member').argument('<memberID>'));
  withGlobals(
    groups.member
      .command('update')
      .description("Updates a member's peer URLs")
      .argument('<memberID>')
      .requiredOption('--peer-urls <urls>', 'comma-separated new peer URLs'),
  );
  withGlobals(
    groups.member
      .command('promote')
      .description('Promotes a learner to a voting member')
      .argument('<memberID>'),
  );
  const alarm = root.command('alarm').description('Alarms of the cluster (NOSPACE, CORRUPT)');
  withGlobals(alarm.command('list').description('Lists the raised alarms'));
  withGlobals(alarm.command('disarm').description('Clears every raised alarm'));
  withGlobals(
    root
      .command('defrag')
      .description(
        'Drops compacted history and returns freed memory to the OS, on each endpoint (or every member with --cluster)',
      )
      .option('--cluster', "use every member's client URLs from member list"),
  );
  withGlobals(
    root
      .command('move-leader')
      .description(
        'Hands Raft leadership to another voting member (memberID in hex, as member list prints it)',
      )
      .argument('<memberID>'),
  );
}
