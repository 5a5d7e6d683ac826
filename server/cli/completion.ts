/**
 * `concord completion bash|zsh`: a shell completion script generated from the same declarations
 * that parse the command line, so it cannot drift from them: the client verbs from commander's
 * tree (verb-specs.ts), `serve`'s flags from its flag table (flags.ts), and the other commands
 * (version, help) from their usage text, the one place they are described.
 *
 * Both scripts share the data functions (plain `case` statements that bash and zsh both run):
 *   _concord_subcommands PATH      the commands under PATH ("" for the top, "lease" for its group)
 *   _concord_options PATH          the flags of PATH
 *   _concord_values PATH FLAG      FLAG's values; `@file` for a file, `@any` for free text; status
 *                                  1 when FLAG takes no value
 *   _concord_descriptions PATH     "name:description" lines of the commands under PATH (zsh)
 */
import type { Command as CommanderCommand, Option } from 'commander';
import { COMMANDS } from './commands.js';
import { SERVE_FLAGS } from './flags.js';
import { COMMAND_SUMMARIES } from './usage.js';
import { declareVerbs } from './verb-specs.js';

/** One command of the tree the scripts complete. */
export interface CompletionNode {
  /** Space-separated path from the top ("" for `concord` itself, "lease grant"). */
  readonly path: string;
  readonly description: string;
  readonly subcommands: readonly CompletionNode[];
  readonly flags: readonly CompletionFlag[];
}

export interface CompletionFlag {
  /** Every spelling (`-w`, `--write-out`). */
  readonly names: readonly string[];
  /** undefined: a switch; `@file`, `@any`, or the values to offer. */
  readonly values: '@file' | '@any' | readonly string[] | undefined;
}

const HELP_FLAG: CompletionFlag = { names: ['-h', '--help'], values: undefined };
const FILE_FLAGS = new Set(['--cacert', '--cert', '--key', '--data-dir', '--config-file']);

function commanderFlag(o: Option): CompletionFlag {
  const names = [o.short, o.long].filter((n): n is string => n !== undefined);
  const takesValue = o.required || o.optional;
  const values = !takesValue
    ? undefined
    : o.argChoices !== undefined
      ? o.argChoices
      : names.some((n) => FILE_FLAGS.has(n))
        ? '@file'
        : '@any';
  return { names, values };
}

function fromCommander(cmd: CommanderCommand, parent: string): CompletionNode {
  const path = parent === '' ? cmd.name() : `${parent} ${cmd.name()}`;
  return {
    path,
    description: cmd.description().split('\n')[0]!,
    subcommands: cmd.commands.map((c) => fromCommander(c, path)),
    flags: [...cmd.options.map(commanderFlag), HELP_FLAG],
  };
}

function serveFlags(): CompletionFlag[] {
  return SERVE_FLAGS.map((f) => ({
    names: [`--${f.name}`],
    values:
      f.type === 'bool'
        ? undefined
        : f.type === 'enum'
          ? (f.values ?? [])
          : f.name.endsWith('-file') || f.name === 'data-dir'
            ? '@file'
            : '@any',
  }));
}

/** A command described only by its usage text: its `--flag[=VALUE]`s and lowercase subcommands. */
function fromUsage(name: string, usage: string): CompletionNode {
  const flags = new Map<string, CompletionFlag>();
  for (const m of usage.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*)(=)?/g))
    if (!flags.has(m[1]!))
      flags.set(m[1]!, { names: [m[1]!], values: m[2] === undefined ? undefined : '@any' });
  flags.delete('--help');
  const subs = new Set<string>();
  for (const m of usage.matchAll(new RegExp(`concord ${name} ([a-z][a-z-]*)\\b`, 'g'))) subs.add(m[1]!);
  return {
    path: name,
    description: '',
    subcommands: [...subs].map((s) => ({
      path: `${name} ${s}`,
      description: '',
      subcommands: [],
      flags: [],
    })),
    flags: [...flags.values(), HELP_FLAG],
  };
}

/** The whole tree: every command of `concord`, in `concord --help`'s order. */
export function completionTree(): CompletionNode {
  const verbs = declareVerbs();
  const top = COMMANDS.map((c): CompletionNode => {
    const declared = verbs.commands.find((v) => v.name() === c.name);
    if (declared !== undefined) return fromCommander(declared, '');
    if (c.name === 'serve')
      return { path: 'serve', description: '', subcommands: [], flags: [...serveFlags(), HELP_FLAG] };
    if (c.name === 'help')
      return {
        path: 'help',
        description: '',
        subcommands: COMMANDS.map((h) => ({
          path: `help ${h.name}`,
          description: '',
          subcommands: [],
          flags: [],
        })),
        flags: [],
      };
    return fromUsage(c.name, c.usage);
  });
  // The summaries of `concord --help` describe the top level.
  return {
    path: '',
    description: 'concord',
    subcommands: top,
    // `concord --name x` is `concord serve --name x`.
    flags: [HELP_FLAG, { names: ['--version'], values: undefined }, ...serveFlags()],
  };
}

function walk(node: CompletionNode, visit: (n: CompletionNode) => void): void {
  visit(node);
  node.subcommands.forEach((s) => walk(s, visit));
}

const leaf = (n: CompletionNode): string => n.path.split(' ').pop()!;

/** A word for a single-quoted shell string. */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function dataFunctions(tree: CompletionNode, summaries: ReadonlyMap<string, string>): string {
  const subs: string[] = [];
  const opts: string[] = [];
  const values: string[] = [];
  const descs: string[] = [];
  walk(tree, (n) => {
    if (n.subcommands.length > 0) {
      subs.push(`    ${sq(n.path)}) echo ${sq(n.subcommands.map(leaf).join(' '))} ;;`);
      const lines = n.subcommands.map((s) => {
        const d = (n.path === '' ? summaries.get(leaf(s)) : undefined) ?? s.description;
        return `${leaf(s)}:${d.replace(/\s+/g, ' ')}`;
      });
      descs.push(`    ${sq(n.path)}) printf '%s\\n' ${lines.map(sq).join(' ')} ;;`);
    }
    if (n.flags.length > 0)
      opts.push(`    ${sq(n.path)}) echo ${sq(n.flags.flatMap((f) => f.names).join(' '))} ;;`);
    for (const f of n.flags) {
      if (f.values === undefined) continue;
      const v = typeof f.values === 'string' ? f.values : f.values.join(' ');
      values.push(`    ${f.names.map((name) => sq(`${n.path}|${name}`)).join('|')}) echo ${sq(v)} ;;`);
    }
  });
  return [
    '_concord_subcommands() {',
    '  case "$1" in',
    ...subs,
    '  esac',
    '}',
    '_concord_options() {',
    '  case "$1" in',
    ...opts,
    '  esac',
    '}',
    '_concord_values() {',
    '  case "$1|$2" in',
    ...values,
    '    *) return 1 ;;',
    '  esac',
    '}',
    '_concord_descriptions() {',
    '  case "$1" in',
    ...descs,
    '  esac',
    '}',
  ].join('\n');
}

/**
 * The walk both scripts share: the command path named by the words before the cursor (a word
 * extends it only when it is a subcommand of the path so far, so flags and operands are skipped),
 * stopping at `--` (what follows is a command of its own: watch, lock).
 */
const PATH_WALK = (words: string, first: number, end: string): string[] => [
  '  local cmdpath="" i w subs',
  `  for ((i = ${first}; i < ${end}; i++)); do`,
  `    w="\${${words}[i]}"`,
  '    if [[ "$w" == "--" ]]; then cmdpath="--"; break; fi',
  '    subs=" $(_concord_subcommands "$cmdpath") "',
  '    if [[ "$subs" == *" $w "* ]]; then cmdpath="${cmdpath:+$cmdpath }$w"; fi',
  '  done',
];

export function bashScript(tree: CompletionNode = completionTree(), summaries = topSummaries()): string {
  return [
    '# bash completion for concord. Generated by `concord completion bash` from the command',
    '# declarations; load it with:  source <(concord completion bash)',
    dataFunctions(tree, summaries),
    '_concord() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" values',
    ...PATH_WALK('COMP_WORDS', 1, 'COMP_CWORD'),
    '  if [[ "$cmdpath" == "--" ]]; then COMPREPLY=($(compgen -c -- "$cur")); return 0; fi',
    '  if [[ "$prev" == -* ]] && values="$(_concord_values "$cmdpath" "$prev")"; then',
    '    case "$values" in',
    '      @file) COMPREPLY=($(compgen -f -- "$cur")) ;;',
    '      @any) COMPREPLY=() ;;',
    '      *) COMPREPLY=($(compgen -W "$values" -- "$cur")) ;;',
    '    esac',
    '    return 0',
    '  fi',
    '  if [[ "$cur" == -* ]]; then',
    '    COMPREPLY=($(compgen -W "$(_concord_options "$cmdpath")" -- "$cur"))',
    '  else',
    '    COMPREPLY=($(compgen -W "$(_concord_subcommands "$cmdpath")" -- "$cur"))',
    '  fi',
    '}',
    'complete -F _concord concord',
    '',
  ].join('\n');
}

export function zshScript(tree: CompletionNode = completionTree(), summaries = topSummaries()): string {
  return [
    '#compdef concord',
    '# zsh completion for concord. Generated by `concord completion zsh` from the command',
    '# declarations; load it with:  source <(concord completion zsh)',
    '# or save it as _concord in a directory of $fpath.',
    dataFunctions(tree, summaries),
    '_concord() {',
    '  local cur="${words[CURRENT]}" prev="${words[CURRENT-1]}" values',
    // zsh's `path` is tied to PATH: the walk's variable is cmdpath.
    ...PATH_WALK('words', 2, 'CURRENT'),
    '  if [[ "$cmdpath" == "--" ]]; then _command_names -e; return; fi',
    '  if [[ "$prev" == -* ]] && values="$(_concord_values "$cmdpath" "$prev")"; then',
    '    case "$values" in',
    '      @file) _files ;;',
    "      @any) _message 'value' ;;",
    '      *) compadd -- ${=values} ;;',
    '    esac',
    '    return',
    '  fi',
    '  if [[ "$cur" == -* ]]; then',
    '    compadd -- ${=$(_concord_options "$cmdpath")}',
    '  else',
    '    local -a described',
    '    described=(${(f)"$(_concord_descriptions "$cmdpath")"})',
    "    (( ${#described} )) && _describe 'command' described",
    '  fi',
    '}',
    'if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then _concord "$@"; else compdef _concord concord; fi',
    '',
  ].join('\n');
}

/** One-line descriptions of the top-level commands, from `concord --help`'s list. */
function topSummaries(): ReadonlyMap<string, string> {
  return new Map(COMMAND_SUMMARIES.map(([usage, summary]) => [usage.split(' ')[0]!, summary]));
}

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

export function completionScript(shell: Shell): string {
  return shell === 'bash' ? bashScript() : zshScript();
}
