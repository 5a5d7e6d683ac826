/**
 * The usage text of every `concord` command, kept apart from the commands themselves so that
 * `--help` never loads (let alone starts) what it describes.
 */
import { helpText } from './flags.js';
import { declareVerbs, verbUsage, type ClientVerb } from './verb-specs.js';

const ENDPOINTS_NOTE =
  '  --endpoints=URL[,URL...]   members to talk to (default $CONCORD_ENDPOINTS, else http://127.0.0.1:2379)';

export const LOCK_USAGE = [
  'usage: concord lock NAME [--ttl=SEC] [--endpoints=URLS] -- COMMAND [ARGS...]',
  '',
  'Runs COMMAND while holding the lock NAME. The command gets the fencing token in',
  'CONCORD_LOCK_TOKEN; it is sent SIGTERM if the lock may be lost.',
  "exit status: the command's, 1 if the lock was lost, 2 on a usage error, 130 when interrupted.",
  '',
  "  --ttl=SEC                  lease TTL of the lock's session (default 10)",
  ENDPOINTS_NOTE,
].join('\n');

export const ELECT_USAGE = [
  'usage: concord elect NAME VALUE [--ttl=SEC] [--endpoints=URLS]   campaign, resign on Ctrl-C',
  '       concord elect NAME [--endpoints=URLS]                     print every leader change',
  '',
  'exit status: 0 after resigning, 1 if leadership was lost, 2 on a usage error.',
  '',
  "  --ttl=SEC                  lease TTL of the campaign's session (default 10)",
  ENDPOINTS_NOTE,
].join('\n');

export const SEMAPHORE_USAGE = [
  'usage: concord semaphore list NAME [--endpoints=URLS]              the limit and the holders',
  '       concord semaphore set-limit NAME N [--endpoints=URLS]       change the limit',
  "       concord semaphore release NAME HOLDER [--endpoints=URLS]    free a holder's slot",
  '',
  'exit status: 0 done, 1 (release) the holder held no slot or the request failed, 2 on a usage error.',
  '',
  ENDPOINTS_NOTE,
].join('\n');

export const SERVE_EXIT_STATUS = [
  'exit status:',
  '  0    stopped gracefully (SIGTERM or SIGINT)',
  '  1    could not start (address in use, data directory locked by another member, unreadable',
  '       data) or failed while running',
  '  2    invalid flags or configuration (nothing was started or created)',
  '  130  forced to stop by a second signal',
].join('\n');

export const SERVE_USAGE = `${helpText()}\n\n${SERVE_EXIT_STATUS}`;

export const VERSION_USAGE = 'usage: concord version   (or concord --version): print the version of Concord';

export const HELP_USAGE = 'usage: concord help [COMMAND]   (or COMMAND --help): print the usage of COMMAND';

/** The usage of a client verb (or of one subcommand of a group such as `lease grant`). */
export function clientVerbUsage(verb: ClientVerb, sub?: string): string {
  return verbUsage(declareVerbs(), verb, sub);
}

/** One line per command, for `concord --help`. */
export const COMMAND_SUMMARIES: readonly (readonly [string, string])[] = [
  ['serve [flags]', 'run a member (the default command)'],
  ['get KEY [RANGE_END]', 'read keys (--prefix, --rev, --limit, --sort-by, -w json ...)'],
  ['put KEY [VALUE]', 'write a key (the value from stdin when omitted)'],
  ['del KEY [RANGE_END]', 'delete keys'],
  ['watch KEY [-- COMMAND]', 'print (or run a command on) every change'],
  ['lease grant|revoke|timetolive|list|keep-alive', 'lease operations'],
  ['member list|add|remove|update|promote', 'list and change the members'],
  ['endpoint status|health|hashkv [--cluster]', 'status, health and KV hash of members'],
  ['compaction REV [--physical]', 'discard history before a revision'],
  ['txn [-i]', 'run a transaction read from stdin (compares, success, failure)'],
  ['queue [NAME]', "the queue recipe's queues: depth, claimed items, acked ids"],
  ['registry [SERVICE]', "the registry recipe's services, instances and lease TTLs"],
  ['config PREFIX', 'typed config documents under a prefix, with their versions'],
  ['completion bash|zsh', 'print a shell completion script'],
  ['snapshot save|status|restore FILE', 'back up a member, check a backup, restore a member from one'],
  ['alarm list|disarm', 'list or clear the alarms (NOSPACE, CORRUPT)'],
  ['defrag [--cluster]', 'drop compacted history, return memory to the OS'],
  ['move-leader MEMBER_ID', 'hand Raft leadership to another member'],
  ['user add|delete|list|get|passwd|grant-role|revoke-role', 'users (with --user NAME[:PW] as root)'],
  ['role add|delete|list|get|grant-permission|revoke-permission', 'roles and key-range permissions'],
  ['auth enable|disable|status', 'turn access control on or off'],
  ['lock NAME -- COMMAND [ARGS...]', 'run a command while holding a lock'],
  ['elect NAME [VALUE]', 'campaign, or print leadership changes'],
  ['semaphore list|set-limit|release', 'inspect and operate a locksmith-style semaphore'],
  ['version', 'print the version'],
  ['help [COMMAND]', 'print the usage of a command'],
];

export function topUsage(): string {
  const width = Math.max(...COMMAND_SUMMARIES.map(([c]) => c.length)) + 2;
  return [
    'usage: concord <command> [args]',
    '',
    ...COMMAND_SUMMARIES.map(([c, s]) => `  ${c.padEnd(width)}${s}`),
    '',
    'concord <command> --help prints the usage of one command; docs/cli.md is the reference.',
  ].join('\n');
}

/** `--help` or `-h` among a command's own arguments (not among those after `--`, which are COMMAND's). */
export function wantsHelp(args: readonly string[]): boolean {
  const dash = args.indexOf('--');
  const own = dash === -1 ? args : args.slice(0, dash);
  return own.includes('--help') || own.includes('-h');
}
