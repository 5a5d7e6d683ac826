/**
 * The runners of the client verbs declared in verb-specs.ts. Everything goes through the public
 * SDK (client/index.ts): one short-lived Client per command (or per endpoint for `endpoint`).
 * Output follows render.ts; failures go to stderr as `concord <verb>: <message>` with the exit
 * status of exit-codes.ts.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CommanderError, type Command, type OptionValues } from 'commander';
import {
  Client,
  type ClientOptions,
  type KeyValue,
  type LeaseLostError,
  type RangeOptions,
  type ResponseHeader,
  type SortOrder,
  type SortTarget,
  type StatusResponse,
  type WatchEvent,
} from '../../client/index.js';
import { completionScript, type Shell } from './completion.js';
import { CommandTimeoutError, ExitCode, exitCodeOf, UsageError } from './exit-codes.js';
import { keyRangeOf, type KeyRange } from './key-range.js';
import {
  configJson,
  configLines,
  configView,
  jsonFieldLines,
  listQueues,
  queueJson,
  queueLines,
  queueListJson,
  queueListLines,
  queueView,
  registryJson,
  registryLines,
  registryView,
} from './recipe-views.js';
import {
  b64,
  deleteFields,
  deleteJson,
  deleteSimple,
  fieldLines,
  headerFields,
  headerJson,
  humanBytes,
  kvFields,
  kvJson,
  leaseHex,
  memberHex,
  omitEmpty,
  prefixed,
  multiMemberFormat,
  putFields,
  putJson,
  putSimple,
  quoted,
  rangeFields,
  rangeJson,
  rangeSimple,
  table,
  text,
  type Field,
  type Json,
  type OutputFormat,
} from './render.js';
import { buildTxn, readTxn, txnOutput } from './txn-verb.js';
import { CLIENT_VERBS, declareVerbs, INSECURE_ENV, type ClientVerb } from './verb-specs.js';
import { runPerEvent } from './watch-exec.js';
import { startTicker } from './progress.js';
import { SNAPSHOT_RUNNERS } from './snapshot-verbs.js';
import { maintenanceRunners } from './maintenance-verbs.js';
import { recipeRunners } from './recipe-verbs.js';
import { authRunners, credentialsOf, type Credentials } from './auth-commands.js';

export interface VerbIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Reads the whole of stdin (put without a value). */
  readonly stdin: () => Promise<Uint8Array>;
  /** Stdin line by line, as it comes (txn; default: process.stdin through readline). */
  readonly stdinLines?: () => AsyncIterable<string>;
  /** Aborts on SIGINT/SIGTERM. */
  readonly interrupt: AbortSignal;
}

export interface Globals {
  readonly endpoints: readonly string[];
  readonly dialTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly format: OutputFormat;
  /** Whether -w (or CONCORD_WRITE_OUT) chose the format; if not, multi-member answers are tables. */
  readonly formatGiven: boolean;
  readonly clientOptions: ClientOptions;
}

/** What a runner gets: its operands, its flags, the global flags, and the words after `--`. */
export interface Invocation {
  readonly args: readonly string[];
  readonly opts: OptionValues;
  /** Read on first use: `completion` has none, and its runner never asks. */
  readonly globals: Globals;
  readonly exec: readonly string[];
  readonly io: VerbIo;
}

export type Runner = (inv: Invocation) => Promise<number>;

export function isClientVerb(name: string): name is ClientVerb {
  return (CLIENT_VERBS as readonly string[]).includes(name);
}

/** Runs `concord <verb> args…`; resolves with the exit status. */
export async function runClientVerb(verb: ClientVerb, argv: readonly string[], io: VerbIo): Promise<number> {
  // watch's `-- COMMAND ARGS` is the command to run; for the other verbs `--` keeps its usual
  // meaning (what follows are operands: `concord put k -- -1`), so commander gets it.
  const dash = verb === 'watch' ? argv.indexOf('--') : -1;
  const own = dash === -1 ? [...argv] : argv.slice(0, dash);
  const exec = dash === -1 ? [] : argv.slice(dash + 1);
  const root = declareVerbs();
  const output = {
    writeOut: (s: string) => io.out(s.trimEnd()),
    // A group without its subcommand (`concord lease`) prints its help here, as a usage error.
    writeErr: (s: string) => io.err(s.trimEnd().replace(/^Usage:/, 'usage:')),
    outputError: (s: string, write: (s: string) => void) =>
      write(`concord ${verb}: ${s.replace(/^error: /, '')}`),
  };
  // Every level: commander reports an error from the command that parsed it.
  const configure = (c: Command): void => {
    c.configureOutput(output);
    c.commands.forEach(configure);
  };
  configure(root);
  let code: number = ExitCode.Ok;
  // The command that ran ("lease grant"), to name it in an error.
  let what = verb as string;
  for (const [path, runner] of Object.entries(RUNNERS)) {
    const leaf = path
      .split(' ')
      .reduce<Command>((c, name) => c.commands.find((s) => s.name() === name)!, root);
    leaf.action(async (...actionArgs: unknown[]) => {
      const cmd = actionArgs[actionArgs.length - 1] as Command;
      what = path;
      const opts = cmd.opts();
      const formatGiven = cmd.getOptionValueSource('writeOut') !== 'default';
      let g: Globals | undefined;
      const credentials = await credentialsOf(opts);
      code = await runner({
        args: cmd.args,
        opts,
        get globals() {
          return (g ??= globals(opts, formatGiven, credentials));
        },
        exec,
        io,
      });
    });
  }
  try {
    await root.parseAsync([verb, ...own], { from: 'user' });
    // A group (lease, member, endpoint) without a known subcommand: commander printed its help.
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    if (io.interrupt.aborted) return ExitCode.Interrupted;
    io.err(`concord ${what}: ${e instanceof Error ? e.message : String(e)}`);
    return exitCodeOf(e);
  }
}

/** A duration as etcdctl writes them: 500ms, 2s, 1m; a bare number is seconds. */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (m === null) throw new UsageError(`--${flag}: not a duration: ${value} (e.g. 500ms, 2s, 1m)`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (ms <= 0) throw new UsageError(`--${flag} must be positive`);
  return Math.round(ms);
}

function nonNegativeInt(flag: string, value: unknown): number {
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new UsageError(`${flag}: expected a non-negative integer, got ${String(value)}`);
  return n;
}

/** A lease id as etcdctl takes it: hexadecimal. */
export function parseLeaseId(value: unknown): number {
  if (typeof value !== 'string' || !/^(0x)?[0-9a-fA-F]{1,16}$/.test(value))
    throw new UsageError(`bad lease id ${String(value)} (hexadecimal, as lease grant prints it)`);
  const n = Number.parseInt(value.replace(/^0x/, ''), 16);
  if (!Number.isSafeInteger(n)) throw new UsageError(`lease id ${value} is out of range`);
  return n;
}

/** A boolean environment variable: true|1|yes on, false|0|no or unset off, anything else a usage error. */
export function envSwitch(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return false;
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new UsageError(`${name}=${raw}: expected true or false`);
}

function globals(opts: OptionValues, formatGiven: boolean, credentials?: Credentials): Globals {
  const endpoints = String(opts['endpoints'])
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (endpoints.length === 0) throw new UsageError('--endpoints is empty');
  const dialTimeoutMs = parseDuration('dial-timeout', String(opts['dialTimeout']));
  const commandTimeoutMs = parseDuration('command-timeout', String(opts['commandTimeout']));
  const file = (flag: string): Uint8Array | undefined => {
    const path = opts[flag] as string | undefined;
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new UsageError(`--${flag} ${path}: ${(e as Error).message}`);
    }
  };
  const ca = file('cacert');
  const cert = file('cert');
  const key = file('key');
  // The flag wins; without it, the variable as a boolean.
  const insecure = opts['insecureSkipTlsVerify'] === true || envSwitch(INSECURE_ENV);
  const tls =
    ca === undefined && cert === undefined && key === undefined && !insecure
      ? undefined
      : {
          ...(ca === undefined ? {} : { ca }),
          ...(cert === undefined ? {} : { cert }),
          ...(key === undefined ? {} : { key }),
          ...(insecure ? { rejectUnauthorized: false } : {}),
        };
  const clientOptions: ClientOptions = {
    endpoints,
    connectTimeoutMs: dialTimeoutMs,
    requestTimeoutMs: commandTimeoutMs,
    // A command tries each endpoint once: an operator wants "unreachable" now, not after backoff.
    connectRounds: 1,
    // Short-lived: the liveness probe would only add traffic.
    livenessIntervalMs: 0,
    clientName: 'concord-cli',
    ...(tls === undefined ? {} : { tls }),
    ...(credentials === undefined ? {} : { auth: credentials }),
  };
  return {
    endpoints,
    dialTimeoutMs,
    commandTimeoutMs,
    format: opts['writeOut'] as OutputFormat,
    formatGiven,
    clientOptions,
  };
}

/** A client for the command, closed when the runner is done. */
async function withClient<T>(
  g: Globals,
  run: (client: Client) => Promise<T>,
  extra: Partial<ClientOptions> = {},
): Promise<T> {
  const client = new Client({ ...g.clientOptions, ...extra });
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

/** The signal of a short command: --command-timeout, or an interrupt. */
function deadline(inv: Invocation): AbortSignal {
  const timeout = AbortSignal.timeout(inv.globals.commandTimeoutMs);
  const timedOut = new AbortController();
  timeout.addEventListener(
    'abort',
    () => timedOut.abort(new CommandTimeoutError(`timed out after ${inv.globals.commandTimeoutMs} ms`)),
    { once: true },
  );
  return AbortSignal.any([timedOut.signal, inv.io.interrupt]);
}

const enc = new TextEncoder();

function json(inv: Invocation, value: Json): void {
  inv.io.out(JSON.stringify(value));
}

/** key, [range_end], --prefix, --from-key → the range to read or delete. */
function keyRange(inv: Invocation): KeyRange {
  const [key, rangeEnd] = inv.args as [string, string | undefined];
  return keyRangeOf(key, rangeEnd, inv.opts['prefix'] === true, inv.opts['fromKey'] === true);
}

function fields(inv: Invocation, lines: readonly Field[]): void {
  for (const l of fieldLines(lines)) inv.io.out(l);
}

const SORT_TARGET: Readonly<Record<string, SortTarget>> = {
  KEY: 'key',
  VERSION: 'version',
  CREATE: 'create',
  MODIFY: 'mod',
  VALUE: 'value',
};

async function get(inv: Invocation): Promise<number> {
  const o = inv.opts;
  const { key, rangeEnd } = keyRange(inv);
  const sortBy = o['sortBy'] as string | undefined;
  const order = o['order'] as string | undefined;
  const sortOrder: SortOrder =
    order === 'DESCEND' ? 'descend' : order === 'ASCEND' || sortBy !== undefined ? 'ascend' : 'none';
  const consistency = String(o['consistency']);
  if (consistency !== 'l' && consistency !== 's') throw new UsageError('--consistency must be l or s');
  const options: RangeOptions = {
    revision: nonNegativeInt('--rev', o['rev']),
    limit: nonNegativeInt('--limit', o['limit']),
    sortOrder,
    sortTarget: SORT_TARGET[sortBy ?? 'KEY']!,
    keysOnly: o['keysOnly'] === true,
    countOnly: o['countOnly'] === true,
    serializable: consistency === 's',
  };
  const r = await withClient(inv.globals, (c) =>
    c.getRange(key, rangeEnd ?? new Uint8Array(), { ...options, signal: deadline(inv) }),
  );
  const f = inv.globals.format;
  if (f === 'json') json(inv, rangeJson(r));
  else if (f === 'fields') fields(inv, rangeFields(r));
  else
    for (const l of rangeSimple(r, {
      countOnly: options.countOnly === true,
      keysOnly: o['keysOnly'] === true,
      printValueOnly: o['printValueOnly'] === true,
    }))
      inv.io.out(l);
  return ExitCode.Ok;
}

async function readValue(inv: Invocation): Promise<Uint8Array> {
  const [, value] = inv.args as [string, string | undefined];
  if (value !== undefined) return enc.encode(value);
  return inv.io.stdin();
}

async function put(inv: Invocation): Promise<number> {
  const [key] = inv.args as [string];
  const value = await readValue(inv);
  const lease = inv.opts['lease'] === undefined ? 0 : parseLeaseId(inv.opts['lease']);
  const prevKv = inv.opts['prevKv'] === true;
  const r = await withClient(inv.globals, (c) => c.put(key, value, { lease, prevKv, signal: deadline(inv) }));
  const f = inv.globals.format;
  if (f === 'json') json(inv, putJson(r));
  else if (f === 'fields') fields(inv, putFields(r));
  else for (const l of putSimple(r)) inv.io.out(l);
  return ExitCode.Ok;
}

function printKv(inv: Invocation, kv: KeyValue): void {
  inv.io.out(text(kv.key));
  inv.io.out(text(kv.value));
}

async function del(inv: Invocation): Promise<number> {
  const { key, rangeEnd } = keyRange(inv);
  const prevKv = inv.opts['prevKv'] === true;
  const r = await withClient(inv.globals, (c) =>
    rangeEnd === undefined
      ? c.delete(key, { prevKv, signal: deadline(inv) })
      : c.deleteRange(key, rangeEnd, { prevKv, signal: deadline(inv) }),
  );
  const f = inv.globals.format;
  if (f === 'json') json(inv, deleteJson(r));
  else if (f === 'fields') fields(inv, deleteFields(r));
  else for (const l of deleteSimple(r)) inv.io.out(l);
  return ExitCode.Ok;
}

const EVENT_NAME = { put: 'PUT', delete: 'DELETE' } as const;

async function watch(inv: Invocation): Promise<number> {
  const { key, rangeEnd } = keyRange(inv);
  const startRevision = nonNegativeInt('--rev', inv.opts['rev']);
  const prevKv = inv.opts['prevKv'] === true;
  const f = inv.globals.format;
  return withClient(inv.globals, async (client) => {
    await using w = client.watch({
      key,
      ...(rangeEnd === undefined ? {} : { rangeEnd }),
      startRevision,
      prevKv,
      signal: inv.io.interrupt,
    });
    // On a terminal, a line on stderr counts the events and their rate (progress.ts).
    const ticker = startTicker({ label: `watch ${inv.args.join(' ')}`, things: 'events' });
    const print = async (batch: readonly WatchEvent[], header: ResponseHeader): Promise<void> => {
      if (f === 'json') {
        json(inv, {
          Header: headerJson(header),
          Events: batch.map(eventJson),
          CompactRevision: 0,
          Canceled: false,
          Created: false,
        });
      }
      for (const ev of batch) {
        if (f !== 'json') printEvent(inv, ev);
        if (inv.exec.length > 0) await runPerEvent(inv.exec, ev, inv.io.err);
      }
    };
    try {
      for await (const batch of w) {
        if (batch.type !== 'events') continue;
        if (ticker === undefined) await print(batch.events, batch.header);
        else {
          ticker.add(batch.events.length);
          await ticker.around(() => print(batch.events, batch.header));
        }
      }
    } catch (e) {
      if (inv.io.interrupt.aborted) return ExitCode.Interrupted;
      throw e;
    } finally {
      ticker?.stop();
    }
    return inv.io.interrupt.aborted ? ExitCode.Interrupted : ExitCode.Ok;
  });
}

function eventJson(ev: WatchEvent): Record<string, Json> {
  return omitEmpty({
    type: ev.type === 'delete' ? 1 : 0,
    kv: kvJson(ev.kv),
    prev_kv: ev.prevKv === undefined ? undefined : kvJson(ev.prevKv),
  });
}

function printEvent(inv: Invocation, ev: WatchEvent): void {
  if (inv.globals.format === 'fields') {
    const lines: Field[] = [['Type', EVENT_NAME[ev.type]], ...kvFields(ev.kv)];
    if (ev.prevKv !== undefined) lines.push(...prefixed('Prev', kvFields(ev.prevKv)));
    fields(inv, lines);
    return;
  }
  inv.io.out(EVENT_NAME[ev.type]);
  if (ev.prevKv !== undefined) printKv(inv, ev.prevKv);
  printKv(inv, ev.kv);
}

async function leaseGrant(inv: Invocation): Promise<number> {
  const ttl = nonNegativeInt('TTL', inv.args[0]);
  const r = await withClient(inv.globals, (c) => c.lease.grant(ttl, { signal: deadline(inv) }));
  const f = inv.globals.format;
  if (f === 'json') json(inv, omitEmpty({ header: headerJson(r.header), ID: r.id, TTL: r.ttlSec }));
  else if (f === 'fields') fields(inv, [...headerFields(r.header), ['ID', r.id], ['TTL', r.ttlSec]]);
  else inv.io.out(`lease ${leaseHex(r.id)} granted with TTL(${r.ttlSec}s)`);
  return ExitCode.Ok;
}

async function leaseRevoke(inv: Invocation): Promise<number> {
  const id = parseLeaseId(inv.args[0]);
  await withClient(inv.globals, (c) => c.lease.revoke(id, { signal: deadline(inv) }));
  // The SDK's revoke answers no header, so the JSON (and the fields) are the id alone.
  const f = inv.globals.format;
  if (f === 'json') json(inv, { ID: id });
  else if (f === 'fields') fields(inv, [['ID', id]]);
  else inv.io.out(`lease ${leaseHex(id)} revoked`);
  return ExitCode.Ok;
}

async function leaseTimeToLive(inv: Invocation): Promise<number> {
  const id = parseLeaseId(inv.args[0]);
  const keys = inv.opts['keys'] === true;
  const r = await withClient(inv.globals, (c) => c.lease.timeToLive(id, { keys, signal: deadline(inv) }));
  if (inv.globals.format === 'json') {
    json(
      inv,
      omitEmpty({
        header: headerJson(r.header),
        ID: r.id,
        TTL: r.ttlSec,
        grantedTTL: r.grantedTtlSec,
        keys: r.keys.map(b64),
      }),
    );
    return ExitCode.Ok;
  }
  if (inv.globals.format === 'fields') {
    fields(inv, [
      ...headerFields(r.header),
      ['ID', r.id],
      ['TTL', r.ttlSec],
      ['GrantedTTL', r.grantedTtlSec],
      ...r.keys.map((k): Field => ['Key', quoted(text(k))]),
    ]);
    return ExitCode.Ok;
  }
  if (r.ttlSec === -1) {
    inv.io.out(`lease ${leaseHex(id)} already expired`);
    return ExitCode.Ok;
  }
  const attached = keys ? `, attached keys([${r.keys.map(text).join(' ')}])` : '';
  inv.io.out(
    `lease ${leaseHex(id)} granted with TTL(${r.grantedTtlSec}s), remaining(${r.ttlSec}s)${attached}`,
  );
  return ExitCode.Ok;
}

async function leaseList(inv: Invocation): Promise<number> {
  const ids = await withClient(inv.globals, (c) => c.lease.leases({ signal: deadline(inv) }));
  if (inv.globals.format === 'json') json(inv, { leases: ids.map((id) => ({ ID: id })) });
  else if (inv.globals.format === 'fields')
    fields(
      inv,
      ids.map((id): Field => ['ID', id]),
    );
  else if (inv.globals.format === 'table')
    inv.io.out(
      table(
        ['ID'],
        ids.map((id) => [leaseHex(id)]),
      ),
    );
  else {
    inv.io.out(`found ${ids.length} leases`);
    for (const id of ids) inv.io.out(leaseHex(id));
  }
  return ExitCode.Ok;
}

async function leaseKeepAlive(inv: Invocation): Promise<number> {
  const id = parseLeaseId(inv.args[0]);
  const once = inv.opts['once'] === true;
  return withClient(inv.globals, async (c) => {
    const ka = await c.lease.keepAlive(id, { signal: once ? deadline(inv) : inv.io.interrupt });
    const report = (): void => {
      if (inv.globals.format === 'json') json(inv, { ID: id, TTL: ka.ttlSec });
      else if (inv.globals.format === 'fields')
        fields(inv, [
          ['ID', id],
          ['TTL', ka.ttlSec],
        ]);
      else inv.io.out(`lease ${leaseHex(id)} keepalived with TTL(${ka.ttlSec})`);
    };
    report();
    if (once) {
      await ka.close();
      return ExitCode.Ok;
    }
    // The SDK renews every TTL/3 without an event; a renewal shows as a new expiry, looked at
    // four times a second, and is printed as etcdctl prints each one.
    let seen = ka.expiresAtMs;
    const renewals = setInterval(() => {
      if (ka.expiresAtMs === seen) return;
      seen = ka.expiresAtMs;
      report();
    }, 250);
    let lost: LeaseLostError | undefined;
    try {
      lost = await Promise.race([
        ka.lost,
        new Promise<undefined>((resolve) =>
          inv.io.interrupt.addEventListener('abort', () => resolve(undefined), { once: true }),
        ),
      ]);
    } finally {
      clearInterval(renewals);
    }
    await ka.close();
    if (lost === undefined) return ExitCode.Interrupted;
    inv.io.err(`concord lease keep-alive: lease ${leaseHex(id)} lost: ${lost.message}`);
    return lost.reason === 'notFound' ? ExitCode.NotFound : ExitCode.Unavailable;
  });
}

async function memberList(inv: Invocation): Promise<number> {
  const r = await withClient(inv.globals, (c) => c.memberList({ linearizable: true, signal: deadline(inv) }));
  const f = multiMemberFormat(inv.globals, r.members.length);
  if (f === 'json') {
    json(
      inv,
      omitEmpty({
        header: headerJson(r.header),
        members: r.members.map((m) =>
          omitEmpty({
            ID: m.id,
            name: m.name,
            peerURLs: [...m.peerUrls],
            clientURLs: [...m.clientUrls],
            isLearner: m.isLearner,
          }),
        ),
      }),
    );
    return ExitCode.Ok;
  }
  const rows = r.members.map((m) => [
    memberHex(m.id),
    m.name === '' ? 'unstarted' : 'started',
    m.name,
    m.peerUrls.join(','),
    m.clientUrls.join(','),
    String(m.isLearner),
  ]);
  if (f === 'table')
    inv.io.out(table(['ID', 'STATUS', 'NAME', 'PEER ADDRS', 'CLIENT ADDRS', 'IS LEARNER'], rows));
  else if (f === 'fields') {
    const lines = headerFields(r.header);
    for (const m of r.members)
      lines.push(
        ['ID', m.id],
        ['Name', JSON.stringify(m.name)],
        ['PeerURL', JSON.stringify(m.peerUrls.join(','))],
        ['ClientURL', JSON.stringify(m.clientUrls.join(','))],
        ['IsLearner', m.isLearner],
      );
    for (const l of fieldLines(lines)) inv.io.out(l);
  } else for (const row of rows) inv.io.out(row.join(', '));
  return ExitCode.Ok;
}

/** The endpoints a command addresses one by one: --endpoints, or every member's client URLs. */
async function targets(inv: Invocation): Promise<readonly string[]> {
  if (inv.opts['cluster'] !== true) return inv.globals.endpoints;
  const r = await withClient(inv.globals, (c) => c.memberList({ linearizable: true, signal: deadline(inv) }));
  // A member that has not published its client URLs yet (just added, or a brand-new cluster's member
  // still starting) cannot be asked: say so rather than print fewer rows without a word.
  for (const m of r.members)
    if (m.clientUrls.length === 0)
      inv.io.err(`concord: member ${memberHex(m.id)} has no client URLs yet (unstarted): not queried`);
  return [...new Set(r.members.flatMap((m) => m.clientUrls))];
}

/** A client bound to this one endpoint (no moving to the leader: the question is for this member). */
function atEndpoint<T>(inv: Invocation, endpoint: string, run: (c: Client) => Promise<T>): Promise<T> {
  return withClient(inv.globals, run, { endpoints: [endpoint], routing: 'any' });
}

async function endpointStatus(inv: Invocation): Promise<number> {
  const eps = await targets(inv);
  const results = await Promise.all(
    eps.map(async (ep) => {
      try {
        return { ep, status: await atEndpoint(inv, ep, (c) => c.memberStatus({ signal: deadline(inv) })) };
      } catch (e) {
        return { ep, error: e };
      }
    }),
  );
  const ok = results.filter((r): r is { ep: string; status: StatusResponse } => 'status' in r);
  for (const r of results)
    if ('error' in r) inv.io.err(`concord endpoint status: ${r.ep}: ${(r.error as Error).message}`);
  const f = multiMemberFormat(inv.globals, ok.length);
  if (f === 'json') {
    json(
      inv,
      ok.map(({ ep, status: s }) => ({
        Endpoint: ep,
        Status: omitEmpty({
          header: headerJson(s.header),
          version: s.version,
          dbSize: s.dbSizeBytes,
          leader: s.leader,
          raftIndex: s.raftIndex,
          raftTerm: s.raftTerm,
          raftAppliedIndex: s.raftAppliedIndex,
          errors: [...s.errors],
          dbSizeInUse: s.dbSizeInUseBytes,
          isLearner: s.isLearner,
        }),
      })),
    );
  } else if (f === 'fields') {
    // etcdctl's: each endpoint's fields, an empty line between endpoints.
    ok.forEach(({ ep, status: s }, i) => {
      if (i > 0) inv.io.out('');
      fields(inv, [
        ['Endpoint', quoted(ep)],
        ...headerFields(s.header),
        ['Version', quoted(s.version)],
        ['DBSize', s.dbSizeBytes],
        ['DBSizeInUse', s.dbSizeInUseBytes],
        ['Leader', s.leader],
        ['IsLearner', s.isLearner],
        ['RaftIndex', s.raftIndex],
        ['RaftTerm', s.raftTerm],
        ['RaftAppliedIndex', s.raftAppliedIndex],
        ['Errors', quoted(s.errors.join(', '))],
      ]);
    });
  } else {
    const rows = ok.map(({ ep, status: s }) => [
      ep,
      memberHex(s.header.memberId),
      s.version,
      humanBytes(s.dbSizeBytes),
      String(s.leader === s.header.memberId),
      String(s.isLearner),
      String(s.raftTerm),
      String(s.raftIndex),
      String(s.raftAppliedIndex),
      s.errors.join(', '),
    ]);
    if (f === 'table')
      inv.io.out(
        table(
          [
            'ENDPOINT',
            'ID',
            'VERSION',
            'DB SIZE',
            'IS LEADER',
            'IS LEARNER',
            'RAFT TERM',
            'RAFT INDEX',
            'RAFT APPLIED INDEX',
            'ERRORS',
          ],
          rows,
        ),
      );
    else for (const row of rows) inv.io.out(row.join(', '));
  }
  if (ok.length === results.length) return ExitCode.Ok;
  const first = results.find((r) => 'error' in r) as { error: unknown };
  return exitCodeOf(first.error);
}

async function endpointHealth(inv: Invocation): Promise<number> {
  const eps = await targets(inv);
  const results = await Promise.all(
    eps.map(async (ep) => {
      const start = performance.now();
      try {
        // A linearizable read: it commits through Raft, so a member without quorum fails it.
        await atEndpoint(inv, ep, (c) => c.get('health', { signal: deadline(inv) }));
        return { endpoint: ep, health: true, took: `${(performance.now() - start).toFixed(1)}ms` };
      } catch (e) {
        return {
          endpoint: ep,
          health: false,
          took: `${(performance.now() - start).toFixed(1)}ms`,
          error: e instanceof Error ? e.message : String(e),
        };
      }
    }),
  );
  const f = inv.globals.format;
  if (f === 'json') json(inv, results);
  else if (f === 'fields')
    results.forEach((r, i) => {
      if (i > 0) inv.io.out('');
      fields(inv, [
        ['Endpoint', quoted(r.endpoint)],
        ['Health', r.health],
        ['Took', quoted(r.took)],
        ['Error', quoted(r.error ?? '')],
      ]);
    });
  else if (f === 'table')
    inv.io.out(
      table(
        ['ENDPOINT', 'HEALTH', 'TOOK', 'ERROR'],
        results.map((r) => [r.endpoint, String(r.health), r.took, r.error ?? '']),
      ),
    );
  else
    for (const r of results)
      if (r.health) inv.io.out(`${r.endpoint} is healthy: committed a read: took = ${r.took}`);
      else inv.io.err(`${r.endpoint} is unhealthy: failed to commit a read: ${r.error ?? ''}`);
  return results.every((r) => r.health) ? ExitCode.Ok : ExitCode.Failure;
}

async function compaction(inv: Invocation): Promise<number> {
  const rev = nonNegativeInt('REVISION', inv.args[0]);
  const physical = inv.opts['physical'] === true;
  const h = await withClient(inv.globals, (c) => c.compact(rev, { physical, signal: deadline(inv) }));
  if (inv.globals.format === 'json') json(inv, { header: headerJson(h) });
  else if (inv.globals.format === 'fields') fields(inv, headerFields(h));
  else inv.io.out(`compacted revision ${rev}`);
  return ExitCode.Ok;
}

/** Stdin line by line (txn reads its sections as they are typed, not at end of input). */
function stdinLines(inv: Invocation): AsyncIterable<string> {
  return inv.io.stdinLines?.() ?? processStdinLines();
}

async function* processStdinLines(): AsyncGenerator<string> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  try {
    yield* rl;
  } finally {
    rl.close();
    // Done reading (the txn's last empty line may come long before the end of input, as at a
    // terminal): an open stdin would keep the process alive after the answer.
    process.stdin.destroy();
  }
}

async function txn(inv: Invocation): Promise<number> {
  const interactive = inv.opts['interactive'] === true;
  // The prompts go to stderr: stdout carries only the answer (so `-i -w json` stays parseable).
  const spec = await readTxn(stdinLines(inv), interactive ? (p) => inv.io.err(p) : undefined);
  const r = await withClient(inv.globals, (c) => buildTxn(c.txn(), spec).commit({ signal: deadline(inv) }));
  for (const line of txnOutput(spec, r, inv.globals.format)) inv.io.out(line);
  return ExitCode.Ok;
}

/** A recipe view in the chosen format: json, fields (one line per leaf), or its human lines. */
function printView(inv: Invocation, asJson: Json, human: () => string[]): void {
  const f = inv.globals.format;
  if (f === 'json') json(inv, asJson);
  else if (f === 'fields') for (const l of jsonFieldLines(asJson)) inv.io.out(l);
  else for (const l of human()) inv.io.out(l);
}

async function queue(inv: Invocation): Promise<number> {
  const [name] = inv.args as [string | undefined];
  await withClient(inv.globals, async (c) => {
    if (name === undefined) {
      const all = await listQueues(c, deadline(inv));
      printView(inv, queueListJson(all), () => queueListLines(all));
    } else {
      const v = await queueView(c, name, deadline(inv));
      printView(inv, queueJson(v), () => queueLines(v));
    }
  });
  return ExitCode.Ok;
}

async function registry(inv: Invocation): Promise<number> {
  const [service] = inv.args as [string | undefined];
  const v = await withClient(inv.globals, (c) => registryView(c, service, deadline(inv)));
  printView(inv, registryJson(v), () => registryLines(v));
  return ExitCode.Ok;
}

async function config(inv: Invocation): Promise<number> {
  const [prefix] = inv.args as [string];
  if (prefix === '') throw new UsageError('config: the prefix is empty (name the documents, e.g. app/)');
  const v = await withClient(inv.globals, (c) => configView(c, prefix, deadline(inv)));
  printView(inv, configJson(v), () => configLines(v));
  return ExitCode.Ok;
}

async function completion(inv: Invocation): Promise<number> {
  inv.io.out(completionScript(inv.args[0] as Shell).trimEnd());
  return ExitCode.Ok;
}

const RUNNERS: Readonly<Record<string, Runner>> = {
  get,
  put,
  del,
  watch,
  'lease grant': leaseGrant,
  'lease revoke': leaseRevoke,
  'lease timetolive': leaseTimeToLive,
  'lease list': leaseList,
  'lease keep-alive': leaseKeepAlive,
  'member list': memberList,
  'endpoint status': endpointStatus,
  'endpoint health': endpointHealth,
  compaction,
  txn,
  queue,
  registry,
  config,
  completion,
  ...SNAPSHOT_RUNNERS,
  // endpoint hashkv, alarm, defrag, move-leader, member add|remove|update|promote.
  ...maintenanceRunners({ withClient, deadline, targets, atEndpoint }),
  // lock, elect, semaphore list|set-limit|release.
  ...recipeRunners({ withClient, deadline }),
  ...authRunners({ withClient, deadline }),
};
