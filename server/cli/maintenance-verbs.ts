/**
 * The runners of the maintenance and membership verbs (declared in maintenance-verb-specs.ts):
 * `endpoint hashkv [--cluster]`, `alarm list|disarm`, `defrag [--cluster]`, `move-leader <id>`,
 * `member add|remove|update|promote`, with etcdctl's output, through the public SDK's
 * `client.maintenance` and `client.cluster`. client-verbs.ts merges them into its table.
 */
import type { AlarmMember, Client, HashKVResponse, ResponseHeader } from '../../client/index.js';
import type { Globals, Invocation, Runner } from './client-verbs.js';
import { ExitCode, exitCodeOf, UsageError } from './exit-codes.js';
import { startBar } from './progress.js';
import {
  fieldLines,
  headerFields,
  headerJson,
  memberHex,
  multiMemberFormat,
  omitEmpty,
  quoted,
  table,
  type Field,
  type Json,
} from './render.js';

/** What the runners need of client-verbs.ts (passed in, so the two modules do not import each other's values). */
export interface VerbHelpers {
  withClient<T>(g: Globals, run: (client: Client) => Promise<T>): Promise<T>;
  deadline(inv: Invocation): AbortSignal;
  targets(inv: Invocation): Promise<readonly string[]>;
  atEndpoint<T>(inv: Invocation, endpoint: string, run: (c: Client) => Promise<T>): Promise<T>;
}

/** A member id as etcdctl takes it: hexadecimal. */
export function parseMemberId(value: unknown): number {
  const s = String(value);
  if (!/^[0-9a-fA-F]{1,16}$/.test(s)) throw new UsageError(`member ID ${s} is not hexadecimal`);
  const n = Number.parseInt(s, 16);
  if (!Number.isSafeInteger(n) || n === 0) throw new UsageError(`member ID ${s} is out of range`);
  return n;
}

function peerUrls(value: unknown): string[] {
  const urls = String(value)
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (urls.length === 0) throw new UsageError('--peer-urls is empty');
  return urls;
}

function out(inv: Invocation, value: Json): void {
  inv.io.out(JSON.stringify(value));
}

function fields(inv: Invocation, lines: readonly Field[]): void {
  for (const l of fieldLines(lines)) inv.io.out(l);
}

/** `-w fields` of one answer per endpoint: each endpoint's block, an empty line between (etcdctl's). */
function endpointBlocks<T>(
  inv: Invocation,
  ok: readonly { ep: string; value: T }[],
  block: (v: T) => Field[],
): void {
  ok.forEach(({ ep, value }, i) => {
    if (i > 0) inv.io.out('');
    fields(inv, [['Endpoint', quoted(ep)], ...block(value)]);
  });
}

const ALARM_NAME = { none: 'NONE', noSpace: 'NOSPACE', corrupt: 'CORRUPT' } as const;

function alarmLines(inv: Invocation, header: ResponseHeader, alarms: readonly AlarmMember[]): void {
  if (inv.globals.format === 'json') {
    out(
      inv,
      omitEmpty({
        header: headerJson(header),
        alarms: alarms.map((a) => ({ memberID: a.memberId, alarm: ALARM_NAME[a.alarm] })),
      }),
    );
    return;
  }
  if (inv.globals.format === 'fields') {
    fields(inv, [
      ...headerFields(header),
      ...alarms.flatMap((a): Field[] => [
        ['MemberID', a.memberId],
        ['AlarmType', ALARM_NAME[a.alarm]],
      ]),
    ]);
    return;
  }
  // etcdctl prints each AlarmMember as protobuf text.
  for (const a of alarms) inv.io.out(`memberID:${a.memberId} alarm:${ALARM_NAME[a.alarm]} `);
}

/**
 * Runs `run` on every target endpoint; rows of the ones that answered, errors of the others on
 * stderr. With `progressLabel`, a terminal shows how many members are done (progress.ts).
 */
async function perEndpoint<T>(
  h: VerbHelpers,
  inv: Invocation,
  verb: string,
  run: (c: Client, ep: string) => Promise<T>,
  progressLabel?: string,
): Promise<{ ok: { ep: string; value: T }[]; code: number }> {
  const eps = await h.targets(inv);
  const bar =
    progressLabel === undefined
      ? undefined
      : await startBar({ label: progressLabel, total: eps.length, unit: { name: 'members' } });
  let done = 0;
  const results = await Promise.all(
    eps.map(async (ep) => {
      try {
        return { ep, value: await h.atEndpoint(inv, ep, (c) => run(c, ep)) };
      } catch (error) {
        return { ep, error };
      } finally {
        done += 1;
        bar?.update(done);
      }
    }),
  ).finally(() => bar?.stop());
  const ok: { ep: string; value: T }[] = [];
  let code: number = ExitCode.Ok;
  for (const r of results) {
    if ('value' in r) ok.push({ ep: r.ep, value: r.value as T });
    else {
      inv.io.err(`concord ${verb}: ${r.ep}: ${r.error instanceof Error ? r.error.message : String(r.error)}`);
      if (code === ExitCode.Ok) code = exitCodeOf(r.error);
    }
  }
  return { ok, code };
}

export function maintenanceRunners(h: VerbHelpers): Readonly<Record<string, Runner>> {
  const endpointHashKv: Runner = async (inv) => {
    let rev = Number(inv.opts['rev'] ?? '0');
    if (!Number.isSafeInteger(rev) || rev < 0)
      throw new UsageError(`--rev ${String(inv.opts['rev'])} is not a revision`);
    // One revision for every endpoint (the first endpoint's latest unless --rev), so that the
    // hashes are comparable: members that agree print the same hash.
    if (rev === 0) {
      const first = (await h.targets(inv))[0];
      if (first !== undefined)
        rev = (await h.atEndpoint(inv, first, (c) => c.maintenance.hashKV(0, { signal: h.deadline(inv) })))
          .hashRevision;
    }
    const { ok, code } = await perEndpoint<HashKVResponse>(h, inv, 'endpoint hashkv', (c) =>
      c.maintenance.hashKV(rev, { signal: h.deadline(inv) }),
    );
    const f = multiMemberFormat(inv.globals, ok.length);
    if (f === 'json')
      out(
        inv,
        ok.map(({ ep, value: r }) => ({
          Endpoint: ep,
          HashKV: omitEmpty({
            header: headerJson(r.header),
            hash: r.hash,
            compact_revision: r.compactRevision,
            hash_revision: r.hashRevision,
          }),
        })),
      );
    else if (f === 'fields')
      endpointBlocks(inv, ok, (r) => [
        ...headerFields(r.header),
        ['Hash', r.hash],
        ['HashRevision', r.hashRevision],
        ['CompactRevision', r.compactRevision],
      ]);
    else {
      const rows = ok.map(({ ep, value: r }) => [
        ep,
        String(r.hash),
        String(r.hashRevision),
        String(r.compactRevision),
      ]);
      if (f === 'table') inv.io.out(table(['ENDPOINT', 'HASH', 'HASH REVISION', 'COMPACT REVISION'], rows));
      else for (const row of rows) inv.io.out(`${row[0]}, ${row[1]}`);
    }
    return code;
  };

  const alarmList: Runner = async (inv) => {
    const r = await h.withClient(inv.globals, async (c) => {
      const alarms = await c.maintenance.alarmList({ signal: h.deadline(inv) });
      return { header: await headerOf(c, inv), alarms };
    });
    alarmLines(inv, r.header, r.alarms);
    return ExitCode.Ok;
  };

  const alarmDisarm: Runner = async (inv) => {
    const r = await h.withClient(inv.globals, async (c) => {
      const alarms = await c.maintenance.alarmDisarm({}, { signal: h.deadline(inv) });
      return { header: await headerOf(c, inv), alarms };
    });
    alarmLines(inv, r.header, r.alarms);
    return ExitCode.Ok;
  };

  /** The header of the member a client talks to (alarm answers carry it; the SDK returns the list). */
  const headerOf = async (c: Client, inv: Invocation): Promise<ResponseHeader> =>
    (await c.maintenance.status({ signal: h.deadline(inv) })).header;

  const defrag: Runner = async (inv) => {
    const { ok, code } = await perEndpoint(
      h,
      inv,
      'defrag',
      (c) => c.maintenance.defragment({ signal: h.deadline(inv) }),
      'defrag',
    );
    if (inv.globals.format === 'json')
      out(
        inv,
        ok.map(({ ep, value }) => ({ Endpoint: ep, header: headerJson(value) })),
      );
    else if (inv.globals.format === 'fields') endpointBlocks(inv, ok, headerFields);
    else for (const { ep } of ok) inv.io.out(`Finished defragmenting etcd member[${ep}]`);
    return code;
  };

  const moveLeader: Runner = async (inv) => {
    const target = parseMemberId(inv.args[0]);
    const r = await h.withClient(inv.globals, async (c) => {
      const before = await c.maintenance.status({ signal: h.deadline(inv) });
      const header = await c.maintenance.moveLeader(target, { signal: h.deadline(inv) });
      return { from: before.leader, header };
    });
    if (inv.globals.format === 'json') out(inv, { header: headerJson(r.header) });
    else if (inv.globals.format === 'fields')
      fields(inv, [...headerFields(r.header), ['From', r.from], ['To', target]]);
    else inv.io.out(`Leadership transferred from ${memberHex(r.from)} to ${memberHex(target)}`);
    return ExitCode.Ok;
  };

  const memberAdd: Runner = async (inv) => {
    const name = String(inv.args[0]);
    const urls = peerUrls(inv.opts['peerUrls']);
    const isLearner = inv.opts['learner'] === true;
    const r = await h.withClient(inv.globals, (c) =>
      c.cluster.memberAdd(urls, { isLearner, signal: h.deadline(inv) }),
    );
    if (inv.globals.format === 'json') {
      out(
        inv,
        omitEmpty({
          header: headerJson(r.header),
          member: omitEmpty({
            ID: r.member.id,
            peerURLs: [...r.member.peerUrls],
            isLearner: r.member.isLearner,
          }),
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
    if (inv.globals.format === 'fields') {
      fields(inv, [
        ...headerFields(r.header),
        ['ID', r.member.id],
        ['PeerURL', quoted(r.member.peerUrls.join(','))],
        ['IsLearner', r.member.isLearner],
      ]);
      return ExitCode.Ok;
    }
    inv.io.out(`Member ${memberHex(r.member.id)} added to cluster ${memberHex(r.header.clusterId)}`);
    // What to start the new member with, as etcdctl prints ETCD_* lines (CONCORD_* here).
    const cluster = r.members
      .flatMap((m) =>
        m.id === r.member.id ? urls.map((u) => `${name}=${u}`) : m.peerUrls.map((u) => `${m.name}=${u}`),
      )
      .join(',');
    inv.io.out('');
    inv.io.out(`CONCORD_NAME="${name}"`);
    inv.io.out(`CONCORD_INITIAL_CLUSTER="${cluster}"`);
    inv.io.out(`CONCORD_INITIAL_ADVERTISE_PEER_URLS="${urls.join(',')}"`);
    inv.io.out('CONCORD_INITIAL_CLUSTER_STATE="existing"');
    inv.io.out(`CONCORD_INITIAL_CLUSTER_ID="${r.header.clusterId}"`);
    return ExitCode.Ok;
  };

  /** remove, update, promote: etcdctl's one line naming the member and the cluster. */
  const memberChange =
    (
      verb: 'removed from' | 'updated in' | 'promoted in',
      call: (c: Client, id: number, inv: Invocation) => Promise<{ header: ResponseHeader }>,
    ): Runner =>
    async (inv) => {
      const id = parseMemberId(inv.args[0]);
      const r = await h.withClient(inv.globals, (c) => call(c, id, inv));
      if (inv.globals.format === 'json') out(inv, { header: headerJson(r.header) });
      else if (inv.globals.format === 'fields') fields(inv, [...headerFields(r.header), ['ID', id]]);
      else inv.io.out(`Member ${memberHex(id)} ${verb} cluster ${memberHex(r.header.clusterId)}`);
      return ExitCode.Ok;
    };

  return {
    'endpoint hashkv': endpointHashKv,
    'alarm list': alarmList,
    'alarm disarm': alarmDisarm,
    defrag,
    'move-leader': moveLeader,
    'member add': memberAdd,
    'member remove': memberChange('removed from', (c, id, inv) =>
      c.cluster.memberRemove(id, { signal: h.deadline(inv) }),
    ),
    'member update': memberChange('updated in', (c, id, inv) =>
      c.cluster.memberUpdate(id, peerUrls(inv.opts['peerUrls']), { signal: h.deadline(inv) }),
    ),
    'member promote': memberChange('promoted in', (c, id, inv) =>
      c.cluster.memberPromote(id, { signal: h.deadline(inv) }),
    ),
  };
}
