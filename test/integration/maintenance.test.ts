/**
 * The maintenance and membership operations on a real 3-member cluster in this process, through
 * the JSON gateway (etcd's paths and shapes): HashKV agrees on every member at one revision,
 * Hash and Defragment answer, MoveLeader hands leadership over (and refuses as etcd does),
 * MemberUpdate replaces peer URLs everywhere; and the corruption checks: a member whose key-values
 * are corrupted in memory gets the CORRUPT alarm from the leader's periodic check, and the initial
 * check refuses it.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptionChecker, InitialCorruptionError } from '../../server/member/corruption-check.js';
import { startMember, type MemberHandle } from '../../server/index.js';
import { StoredKeyValue, type StoredEvent } from '../../server/mvcc/kv-types.js';
import { eventually } from '../helpers/eventually.js';
import { freePorts } from '../helpers/ports.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

interface Node {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  /** A second peer listener, so MemberUpdate can move the member to it without a restart. */
  readonly spareUrl: string;
  handle: MemberHandle;
}

async function post<T>(url: string, path: string, body: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as T };
}

async function ok<T>(url: string, path: string, body: unknown): Promise<T> {
  const r = await post<T>(url, path, body);
  expect(r.status, `${path}: ${JSON.stringify(r.json)}`).to.equal(200);
  return r.json;
}

interface HashKV {
  header: { revision: string };
  hash?: number;
  compact_revision?: string;
  hash_revision?: string;
}

/** Starts member `s` of `all` (fixed ports, so a stopped member comes back on the same URLs). */
function startOf(root: string) {
  return (
    s: Omit<Node, 'handle'>,
    all: readonly Omit<Node, 'handle'>[],
    extra: { experimentalInitialCorruptCheck?: boolean; logWrite?: (line: string) => void } = {},
  ): Promise<MemberHandle> =>
    startMember(
      {
        name: s.name,
        dataDir: join(root, s.name),
        listenClientUrls: [s.clientUrl],
        listenPeerUrls: [s.peerUrl, s.spareUrl],
        initialAdvertisePeerUrls: [s.peerUrl],
        initialCluster: all.map((x) => `${x.name}=${x.peerUrl}`).join(','),
        initialClusterToken: 'maint',
        heartbeatInterval: 50,
        electionTimeout: 500,
        corruptCheckTime: '200ms',
        unsafeNoFsync: true,
        ...(extra.experimentalInitialCorruptCheck === true ? { experimentalInitialCorruptCheck: true } : {}),
      },
      { logWrite: extra.logWrite ?? (() => undefined) },
    );
}

describe('maintenance operations on a 3-member cluster', function () {
  this.timeout(60_000);
  let root: string;
  let nodes: Node[];
  let start: ReturnType<typeof startOf>;

  const leader = (): Node => {
    const l = nodes.find((n) => n.handle.internals.core.replica.isLeader());
    if (l === undefined) throw new Error('no leader');
    return l;
  };
  const followers = (): Node[] => nodes.filter((n) => !n.handle.internals.core.replica.isLeader());

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'concord-maint-'));
    start = startOf(root);
    const ports = await freePorts(9);
    const specs = [0, 1, 2].map((i) => ({
      name: `m${i + 1}`,
      clientUrl: `http://127.0.0.1:${ports[3 * i]}`,
      peerUrl: `http://127.0.0.1:${ports[3 * i + 1]}`,
      spareUrl: `http://127.0.0.1:${ports[3 * i + 2]}`,
    }));
    const handles = await Promise.all(specs.map((spec) => start(spec, specs)));
    nodes = specs.map((s, i) => ({ ...s, handle: handles[i]! }));
    // Every member published its client URLs (the checks ask peers there).
    await eventually('client URLs published', async () => {
      const list = await ok<{ members: { clientURLs?: string[] }[] }>(
        nodes[0]!.clientUrl,
        '/v3/cluster/member/list',
        { linearizable: true },
      );
      return list.members.every((m) => (m.clientURLs ?? []).length > 0) ? true : undefined;
    });
  });

  after(async () => {
    for (const n of nodes ?? []) await n.handle.stop().catch(() => undefined);
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('HashKV is the same on every member at one revision, and changes with the data', async () => {
    for (let i = 0; i < 20; i++)
      await ok(leader().clientUrl, '/v3/kv/put', { key: b64(`h/${i}`), value: b64(`v${i}`) });
    const put = await ok<{ header: { revision: string } }>(leader().clientUrl, '/v3/kv/put', {
      key: b64('h/last'),
      value: b64('x'),
    });
    const rev = put.header.revision;
    const answers = await Promise.all(
      nodes.map((n) => ok<HashKV>(n.clientUrl, '/v3/maintenance/hashkv', { revision: rev })),
    );
    const hashes = answers.map((a) => a.hash);
    expect(hashes[0]).to.be.a('number');
    expect(new Set(hashes).size, JSON.stringify(answers)).to.equal(1);
    expect(answers.map((a) => a.hash_revision)).to.deep.equal([rev, rev, rev]);
    // A later write changes the hash at the new revision, not at the old one.
    await ok(leader().clientUrl, '/v3/kv/put', { key: b64('h/last'), value: b64('y') });
    const again = await ok<HashKV>(nodes[1]!.clientUrl, '/v3/maintenance/hashkv', { revision: rev });
    expect(again.hash).to.equal(hashes[0]);
    const now = await ok<HashKV>(nodes[1]!.clientUrl, '/v3/maintenance/hashkv', {});
    expect(now.hash).to.not.equal(hashes[0]);
    // Past the current revision: etcd's future-revision error.
    const future = await post<{ error: string }>(nodes[2]!.clientUrl, '/v3/maintenance/hashkv', {
      revision: '100000',
    });
    expect(future.status).to.equal(400);
    expect(future.json.error).to.equal('etcdserver: mvcc: required revision is a future revision');
  });

  it('Hash and Defragment answer on every member', async () => {
    for (const n of nodes) {
      const h = await ok<{ header: object; hash?: number }>(n.clientUrl, '/v3/maintenance/hash', {});
      expect(h.hash).to.be.a('number');
      const d = await ok<{ header: { member_id: string } }>(n.clientUrl, '/v3/maintenance/defragment', {});
      expect(d.header.member_id).to.equal(String(n.handle.memberId));
    }
  });

  it('MoveLeader hands leadership to a follower; refuses a stranger and a follower caller', async () => {
    const from = leader();
    const to = followers()[0]!;
    const bad = await post<{ error: string; code: number }>(
      from.clientUrl,
      '/v3/maintenance/transfer-leadership',
      {
        targetID: '12345',
      },
    );
    // FAILED_PRECONDITION: 412, as etcd's gateway maps it.
    expect(bad.status).to.equal(412);
    expect(bad.json.error).to.equal('etcdserver: bad leader transferee');
    expect(bad.json.code).to.equal(9);
    const notLeader = await post<{ error: string }>(to.clientUrl, '/v3/maintenance/transfer-leadership', {
      targetID: String(to.handle.memberId),
    });
    expect(notLeader.json.error).to.equal('etcdserver: not leader');
    await ok(from.clientUrl, '/v3/maintenance/transfer-leadership', { targetID: String(to.handle.memberId) });
    expect(to.handle.internals.core.replica.isLeader()).to.equal(true);
  });

  it('MemberUpdate replaces peer URLs on every member, and the cluster keeps committing', async () => {
    const target = followers()[0]!;
    const r = await ok<{ members: { ID: string; peerURLs: string[] }[] }>(
      followers()[1]!.clientUrl,
      '/v3/cluster/member/update',
      { ID: String(target.handle.memberId), peerURLs: [target.spareUrl] },
    );
    expect(r.members.find((m) => m.ID === String(target.handle.memberId))?.peerURLs).to.deep.equal([
      target.spareUrl,
    ]);
    for (const n of nodes) {
      await eventually('the update applied', () =>
        n.handle.internals.core.replica.memberList().find((m) => m.id === target.handle.memberId)
          ?.peerUrls[0] === target.spareUrl
          ? true
          : undefined,
      );
    }
    await ok(leader().clientUrl, '/v3/kv/put', { key: b64('after-update'), value: b64('1') });
    const missing = await post<{ error: string }>(nodes[0]!.clientUrl, '/v3/cluster/member/update', {
      ID: '999',
      peerURLs: ['http://127.0.0.1:1'],
    });
    expect(missing.json.error).to.equal('etcdserver: member not found');
  });

  it('a member restarted with the initial corruption check compares with its peers, then serves', async () => {
    // A follower whose peer URLs were not updated (it restarts on the ones it advertised).
    const node = followers().find(
      (n) =>
        n.handle.internals.core.replica.memberList().find((m) => m.id === n.handle.memberId)?.peerUrls[0] ===
        n.peerUrl,
    )!;
    await ok(leader().clientUrl, '/v3/kv/put', { key: b64('before-restart'), value: b64('1') });
    await node.handle.stop();
    const lines: string[] = [];
    node.handle = await start(node, nodes, {
      experimentalInitialCorruptCheck: true,
      logWrite: (line) => lines.push(line),
    });
    // startMember resolved after the check: it compared with both peers.
    const passed = lines.find((l) => l.includes('initial corruption check passed'));
    expect(passed, lines.join('')).to.not.equal(undefined);
    expect(JSON.parse(passed!)).to.include({ peers: 2 });
    const got = await ok<{ kvs?: unknown[] }>(node.clientUrl, '/v3/kv/range', { key: b64('before-restart') });
    expect(got.kvs).to.have.length(1);
  });

  it("the leader's periodic check raises CORRUPT for a member whose key-values were corrupted", async () => {
    const victim = followers()[0]!;
    // Two puts in one txn: the history holds that revision's events as an array (a lone put is
    // held as its record), which the test can reach to rot.
    const put = await ok<{ header: { revision: string } }>(leader().clientUrl, '/v3/kv/txn', {
      success: [
        { requestPut: { key: b64('corrupt/a'), value: b64('good') } },
        { requestPut: { key: b64('corrupt/b'), value: b64('good') } },
      ],
    });
    const rev = Number(put.header.revision);
    const store = victim.handle.internals.core.machine.store;
    await eventually('the write applied on the victim', () =>
      store.currentRevision >= rev ? true : undefined,
    );
    // Memory rot on the victim only: the value its history holds at that revision changes.
    const changes = store.changesAt(rev)!;
    const original = changes.events[0]! as StoredEvent;
    const kv = original.kv;
    (changes.events as StoredEvent[])[0] = {
      type: 'put',
      kv: new StoredKeyValue(kv.keyString, kv.createRevision, kv.modRevision, kv.version, 'bad!', kv.lease),
    };
    const core = victim.handle.internals.core;
    const checker = new CorruptionChecker({
      memberId: core.config.memberId,
      logger: core.logger,
      replica: core.replica,
      machine: core.machine,
      network: core.network,
      timers: core.timers,
      catchUpTimeoutMs: 1000,
    });
    let refused: unknown;
    await checker.initialCheck().catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(InitialCorruptionError);
    // The periodic check (every 200 ms on the leader) raises the replicated alarm for the victim.
    const alarms = await eventually('the CORRUPT alarm', async () => {
      const r = await ok<{ alarms?: { memberID: string; alarm: string }[] }>(
        nodes[0]!.clientUrl,
        '/v3/maintenance/alarm',
        { action: 'GET' },
      );
      return (r.alarms ?? []).length > 0 ? r.alarms : undefined;
    });
    expect(alarms).to.deep.equal([{ memberID: String(victim.handle.memberId), alarm: 'CORRUPT' }]);
    const health = await fetch(`${nodes[2]!.clientUrl}/health`);
    expect(health.status).to.equal(503);
  });
});
