/**
 * The client verbs of `concord` (get, put, del, txn, watch, lease, member, endpoint, compaction, the
 * recipes' views queue/registry/config, and completion; snapshot, maintenance and the recipe verbs
 * lock/elect/semaphore are declared by the modules called at the end of declareVerbs), their
 * arguments and flags as commander declares them, with etcdctl's names so habits carry over. This
 * module only declares: it imports no client, so `--help` (usage.ts renders these declarations)
 * never loads what it describes. client-verbs.ts attaches the runners.
 */
import { Argument, Command, Option } from 'commander';
import { AUTH_VERBS, declareAuthVerbs, withUserFlags } from './auth-verb-specs.js';
import { declareMaintenanceVerbs, MAINTENANCE_VERBS } from './maintenance-verb-specs.js';
import {
  declareRecipeVerbs,
  ELECT_EXIT_STATUS,
  LOCK_EXIT_STATUS,
  RECIPE_VERBS,
  SEMAPHORE_EXIT_STATUS,
} from './recipe-verb-specs.js';
import { OUTPUT_FORMATS } from './render.js';
import { declareSnapshotVerbs } from './snapshot-spec.js';

/**
 * The flags every client verb takes, each also settable from the environment. Except the switch
 * --insecure-skip-tls-verify: commander would turn it on for ANY value of its variable (even
 * "false"), so client-verbs.ts reads CONCORD_INSECURE_SKIP_TLS_VERIFY itself (true|false|1|0).
 */
function withGlobals(cmd: Command): Command {
  return withUserFlags(cmd)
    .addOption(
      new Option('--endpoints <urls>', 'comma-separated client URLs of members')
        .env('CONCORD_ENDPOINTS')
        .default('http://127.0.0.1:2379'),
    )
    .addOption(
      new Option('--dial-timeout <duration>', 'deadline of one connection attempt (e.g. 2s, 500ms)')
        .env('CONCORD_DIAL_TIMEOUT')
        .default('2s'),
    )
    .addOption(
      new Option('--command-timeout <duration>', 'deadline of a short command, retries included')
        .env('CONCORD_COMMAND_TIMEOUT')
        .default('5s'),
    )
    .addOption(
      new Option('-w, --write-out <format>', 'output format')
        .choices(OUTPUT_FORMATS)
        .env('CONCORD_WRITE_OUT')
        .default('simple'),
    )
    .addOption(new Option('--cacert <file>', 'CA bundle to verify the members (TLS)').env('CONCORD_CACERT'))
    .addOption(new Option('--cert <file>', 'client certificate (mutual TLS)').env('CONCORD_CERT'))
    .addOption(new Option('--key <file>', 'client private key (mutual TLS)').env('CONCORD_KEY'))
    .addOption(
      new Option(
        '--insecure-skip-tls-verify',
        'do not verify the members’ certificates (testing only) (env: CONCORD_INSECURE_SKIP_TLS_VERIFY=true|false)',
      ),
    );
}

/** The environment variable of --insecure-skip-tls-verify (see withGlobals). */
export const INSECURE_ENV = 'CONCORD_INSECURE_SKIP_TLS_VERIFY';

/** The exit status table, appended to every client verb's usage (docs/cli.md has the same). */
export const CLIENT_EXIT_STATUS = [
  'exit status:',
  '  0    done',
  '  1    other failure (endpoint health: an endpoint is unhealthy)',
  '  2    usage error (nothing was sent)',
  '  3    no member reachable, or none could serve',
  '  4    timed out, or a write whose outcome is unknown',
  '  5    revision compacted or in the future',
  '  6    lease, member, user or role not found',
  '  7    request refused as invalid or too large',
  '  8    space quota exhausted (NOSPACE alarm)',
  '  9    authentication failed or permission denied',
  '  130  interrupted (SIGINT/SIGTERM)',
].join('\n');

/** Declares every client verb under a root named `concord`; returns the root. */
export function declareVerbs(): Command {
  const root = new Command('concord')
    .exitOverride()
    // A fixed width: the usage is the same on a terminal, in a pipe and in the help test.
    .configureHelp({ helpWidth: 100 })
    .showSuggestionAfterError(true)
    .helpOption('-h, --help', 'print this usage');

  withGlobals(
    root
      .command('get')
      .description('Gets the key, or the keys in [key, range_end) (etcdctl get)')
      .argument('<key>')
      .argument('[range_end]')
      .option('--prefix', 'get the keys with the prefix key')
      .option('--from-key', 'get the keys ≥ key (byte order)')
      .option('--rev <revision>', 'read at this revision (0: the latest)', '0')
      .option('--limit <n>', 'at most this many keys (0: no limit)', '0')
      .addOption(
        new Option('--sort-by <target>', 'sort by this field').choices([
          'KEY',
          'VERSION',
          'CREATE',
          'MODIFY',
          'VALUE',
        ]),
      )
      .addOption(new Option('--order <order>', 'sort order').choices(['ASCEND', 'DESCEND']))
      .option('--keys-only', 'print only the keys')
      .option('--count-only', 'print only the number of keys')
      .option('--print-value-only', 'print only the values (simple output)')
      .option('--consistency <l|s>', 'l: linearizable, s: serializable (local, may be stale)', 'l'),
  );

  withGlobals(
    root
      .command('put')
      .description('Puts the key with the value; the value is read from stdin when omitted (etcdctl put)')
      .argument('<key>')
      .argument('[value]')
      .option('--lease <id>', 'attach the key to this lease (hexadecimal, as lease grant prints it)')
      .option('--prev-kv', 'print the previous key-value'),
  );

  withGlobals(
    root
      .command('del')
      .description('Deletes the key, or the keys in [key, range_end); prints how many (etcdctl del)')
      .argument('<key>')
      .argument('[range_end]')
      .option('--prefix', 'delete the keys with the prefix key')
      .option('--from-key', 'delete the keys ≥ key (byte order)')
      .option('--prev-kv', 'print the deleted key-values'),
  );

  withGlobals(
    root
      .command('txn')
      .description(
        [
          'Runs a transaction read from stdin (etcdctl txn): compares, an empty line, the requests',
          'run when they all hold, an empty line, the requests run otherwise. A compare is',
          '`mod("key") > "5"` (c|create, m|mod, val|value, ver|version, lease; =, !=, <, >); a request',
          'is `get`, `put` or `del` with their arguments and flags. Prints SUCCESS or FAILURE, then',
          'the answer of each request.',
        ].join('\n'),
      )
      .option('-i, --interactive', 'prompt for each section (on stderr)'),
  );

  withGlobals(
    root
      .command('watch')
      .description(
        [
          'Prints every change of the key, or of [key, range_end), until interrupted (etcdctl watch).',
          'After `--`, COMMAND runs once per event with ETCD_WATCH_REVISION, ETCD_WATCH_KEY,',
          'ETCD_WATCH_EVENT_TYPE (PUT|DELETE) and ETCD_WATCH_VALUE in its environment (as etcdctl',
          'sets them), the same as CONCORD_WATCH_*, and CONCORD_WATCH_PREV_VALUE with --prev-kv.',
        ].join('\n'),
      )
      .usage('[options] <key> [range_end] [-- COMMAND [ARGS...]]')
      .argument('<key>')
      .argument('[range_end]')
      .option('--prefix', 'watch the keys with the prefix key')
      .option('--rev <revision>', 'first revision to deliver (0: changes from now on)', '0')
      .option('--prev-kv', 'print the previous key-value of each event'),
  );

  const lease = root.command('lease').description('Lease operations (lease ids are hexadecimal)');
  withGlobals(lease.command('grant').description('Creates a lease with a TTL in seconds').argument('<ttl>'));
  withGlobals(lease.command('revoke').description('Revokes a lease and deletes its keys').argument('<id>'));
  withGlobals(
    lease
      .command('timetolive')
      .description('Prints the remaining TTL of a lease')
      .argument('<id>')
      .option('--keys', 'also print the keys attached to it'),
  );
  withGlobals(lease.command('list').description('Lists every lease'));
  withGlobals(
    lease
      .command('keep-alive')
      .description('Keeps a lease alive until interrupted')
      .argument('<id>')
      .option('--once', 'renew once and exit'),
  );

  const member = root.command('member').description('Membership');
  withGlobals(member.command('list').description('Lists the members of the cluster'));

  const endpoint = root.command('endpoint').description('The status and health of endpoints');
  withGlobals(
    endpoint
      .command('status')
      .description('Prints the status of each endpoint (or of every member with --cluster)')
      .option('--cluster', "use every member's client URLs from member list"),
  );
  withGlobals(
    endpoint
      .command('health')
      .description('Checks that each endpoint commits a read (or every member with --cluster)')
      .option('--cluster', "use every member's client URLs from member list"),
  );

  withGlobals(
    root
      .command('compaction')
      .description('Discards the history before a revision (etcdctl compaction)')
      .argument('<revision>')
      .option('--physical', 'answer only once the space is reclaimed'),
  );

  withGlobals(
    root
      .command('queue')
      .description(
        'The work queues of the queue recipe: every queue and its depth, or one queue: pending items by priority, claimed items (consumer, age, session TTL), acked ids',
      )
      .argument('[name]'),
  );
  withGlobals(
    root
      .command('registry')
      .description(
        'The service registry of the registry recipe: services, instances, their address, metadata and lease TTL',
      )
      .argument('[service]'),
  );
  withGlobals(
    root
      .command('config')
      .description('The typed config documents under a prefix: version, revisions, JSON type and value')
      .argument('<prefix>'),
  );

  root
    .command('completion')
    .description('Prints a shell completion script (bash: source <(concord completion bash))')
    .addArgument(new Argument('<shell>').choices(['bash', 'zsh']));
  declareSnapshotVerbs(root, withGlobals);
  declareMaintenanceVerbs(root, { member, endpoint }, withGlobals);
  declareRecipeVerbs(root, withGlobals);
  declareAuthVerbs(root, withGlobals);
  return root;
}

/** The names of the client verbs (the top-level commands declareVerbs declares). */
export const CLIENT_VERBS = [
  'get',
  'put',
  'del',
  'watch',
  'lease',
  'member',
  'endpoint',
  'compaction',
  'txn',
  'queue',
  'registry',
  'config',
  'completion',
  'snapshot',
  ...MAINTENANCE_VERBS,
  ...RECIPE_VERBS,
  ...AUTH_VERBS,
] as const;
export type ClientVerb = (typeof CLIENT_VERBS)[number];

/** The verbs whose exit status differs from the table's (lock passes on its command's). */
const VERB_EXIT_STATUS: Readonly<Partial<Record<ClientVerb, string>>> = {
  lock: LOCK_EXIT_STATUS,
  elect: ELECT_EXIT_STATUS,
  semaphore: SEMAPHORE_EXIT_STATUS,
};

/**
 * The usage of one verb: commander's help with `usage:` as every other command's, and the exit
 * table. With `sub` naming one of a group's subcommands (lease grant), that subcommand's.
 */
export function verbUsage(root: Command, verb: ClientVerb, sub?: string): string {
  const group = root.commands.find((c) => c.name() === verb)!;
  const cmd = group.commands.find((c) => c.name() === sub) ?? group;
  const help = cmd
    .helpInformation()
    .trimEnd()
    .replace(/^Usage:/, 'usage:');
  // completion talks to no member: only the usage error applies.
  if (verb === 'completion') return `${help}\n\nexit status: 0 printed, 2 unknown shell.`;
  const own = VERB_EXIT_STATUS[verb];
  return `${help}\n\n${own === undefined ? '' : `${own}\n`}${CLIENT_EXIT_STATUS}`;
}
