/**
 * The usage text of every `concord` command, kept apart from the commands themselves so that
 * `--help` never loads (let alone starts) what it describes.
 */
import { helpText } from './flags.js';
import { declareVerbs, verbUsage, type ClientVerb } from './verb-specs.js';

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
  ['lock NAME -- COMMAND [ARGS...]', 'run a command holding a lock (none: hold it until Ctrl-C)'],
  ['elect NAME [PROPOSAL]', 'campaign and hold leadership, or print leadership changes'],
  ['user add|delete|list|get|passwd|grant-role|revoke-role', 'users (with --user NAME[:PW] as root)'],
  ['role add|delete|list|get|grant-permission|revoke-permission', 'roles and key-range permissions'],
  ['auth enable|disable|status', 'turn access control on or off'],
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
