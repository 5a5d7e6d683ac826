/**
 * The client verbs of `concord` (get, put, del, watch, lease, member, endpoint, compaction) as an
 * operator runs them: the real `concord` binary as a child process against a real member, its
 * stdout (human and `-w json`) and its exit status checked.
 */
import { expect } from 'chai';
import { createServer } from 'node:net';
import { ClusterHarness } from '../cluster/harness.js';
import { eventually } from '../helpers/eventually.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';
import { ConcordProcess } from './concord-process.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `concord args…` against `endpoint` to its end; `stdin` is piped in when given. */
async function concord(endpoint: string, args: readonly string[], stdin?: string | Buffer): Promise<Run> {
  const p = new ConcordProcess(args, {
    env: { ...process.env, CONCORD_ENDPOINTS: endpoint },
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (stdin !== undefined) p.child.stdin!.end(stdin);
  const { code } = await p.exit();
  return { code, stdout: p.stdout, stderr: p.stderr };
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString();

interface JsonKv {
  key: string;
  value?: string;
  create_revision: number;
  mod_revision: number;
  version: number;
  lease?: number;
}
interface JsonHeader {
  cluster_id: number;
  member_id: number;
  revision: number;
  raft_term: number;
}

describe('concord client verbs against one member', function () {
  this.timeout(120_000);
  let m: TestMember;
  let url: string;
  const run = (args: readonly string[], stdin?: string | Buffer): Promise<Run> => concord(url, args, stdin);
  /** Runs and expects exit 0; returns stdout. */
  const ok = async (args: readonly string[], stdin?: string | Buffer): Promise<string> => {
    const r = await run(args, stdin);
    expect(r.code, `concord ${args.join(' ')}\n${r.stderr}`).to.equal(0);
    return r.stdout;
  };

  before(async () => {
    m = await startTestMember('cli-verbs');
    url = m.url;
  });
  after(async () => m?.stop());

  it('put then get: prefix, limit, sort, keys-only, count-only, print-value-only, rev', async () => {
    expect(await ok(['put', 'fruit/b', 'banana'])).to.equal('OK\n');
    await ok(['put', 'fruit/a', 'cherry']);
    await ok(['put', 'fruit/c', 'apple']);
    await ok(['put', 'fruits', 'not in the prefix fruit/']);

    expect(lines(await ok(['get', 'fruit/', '--prefix']))).to.deep.equal([
      'fruit/a',
      'cherry',
      'fruit/b',
      'banana',
      'fruit/c',
      'apple',
    ]);
    expect(lines(await ok(['get', 'fruit/', '--prefix', '--sort-by', 'VALUE', '--keys-only']))).to.deep.equal(
      ['fruit/c', 'fruit/b', 'fruit/a'],
    );
    expect(
      lines(
        await ok(['get', 'fruit/', '--prefix', '--sort-by', 'KEY', '--order', 'DESCEND', '--limit', '2']),
      ),
    ).to.deep.equal(['fruit/c', 'apple', 'fruit/b', 'banana']);
    expect(await ok(['get', 'fruit/', '--prefix', '--count-only'])).to.equal('3\n');
    // etcdctl's "every key": the empty prefix.
    expect(lines(await ok(['get', '', '--prefix', '--keys-only']))).to.include.members(['fruit/a', 'fruits']);
    expect(lines(await ok(['get', 'fruit/c', '--from-key', '--keys-only']))).to.deep.equal([
      'fruit/c',
      'fruits',
    ]);
    expect(lines(await ok(['get', 'fruit/', '--prefix', '--print-value-only']))).to.deep.equal([
      'cherry',
      'banana',
      'apple',
    ]);
    expect(lines(await ok(['get', 'fruit/a', 'fruit/c']))).to.deep.equal([
      'fruit/a',
      'cherry',
      'fruit/b',
      'banana',
    ]);

    // --rev: the value before an overwrite.
    const before = JSON.parse(await ok(['get', 'fruit/a', '-w', 'json'])) as { header: JsonHeader };
    await ok(['put', 'fruit/a', 'date']);
    expect(lines(await ok(['get', 'fruit/a', '--print-value-only']))).to.deep.equal(['date']);
    expect(
      lines(await ok(['get', 'fruit/a', '--rev', String(before.header.revision), '--print-value-only'])),
    ).to.deep.equal(['cherry']);
  });

  it('-w json is shaped like etcdctl: header, base64 kvs, count, more', async () => {
    await ok(['put', 'json/x', 'one']);
    await ok(['put', 'json/y', 'two']);
    const r = JSON.parse(await ok(['get', 'json/', '--prefix', '--limit', '1', '-w', 'json'])) as {
      header: JsonHeader;
      kvs: JsonKv[];
      count: number;
      more: boolean;
    };
    expect(r.header.cluster_id).to.be.a('number').above(0);
    expect(r.header.member_id).to.be.a('number').above(0);
    expect(r.header.raft_term).to.be.a('number').above(0);
    expect(r.header.revision).to.be.at.least(r.kvs[0]!.mod_revision);
    expect(r.count).to.equal(2);
    expect(r.more).to.equal(true);
    expect(r.kvs).to.have.length(1);
    expect(unb64(r.kvs[0]!.key)).to.equal('json/x');
    expect(unb64(r.kvs[0]!.value!)).to.equal('one');
    expect(r.kvs[0]!.version).to.equal(1);
    expect(r.kvs[0]!.create_revision).to.equal(r.kvs[0]!.mod_revision);
  });

  it('put reads the value from stdin when it is omitted (bytes kept, binary escaped in text)', async () => {
    await ok(['put', 'stdin/text'], 'line one\nline two\n');
    const got = JSON.parse(await ok(['get', 'stdin/text', '-w', 'json'])) as { kvs: JsonKv[] };
    expect(unb64(got.kvs[0]!.value!)).to.equal('line one\nline two\n');

    const binary = Buffer.from([0x00, 0xff, 0x41, 0x5c]);
    await ok(['put', 'stdin/bin'], binary);
    const j = JSON.parse(await ok(['get', 'stdin/bin', '-w', 'json'])) as { kvs: JsonKv[] };
    expect(Buffer.from(j.kvs[0]!.value!, 'base64').equals(binary)).to.equal(true);
    expect(lines(await ok(['get', 'stdin/bin', '--print-value-only']))).to.deep.equal(['\\x00\\xffA\\\\']);
  });

  it('-- ends the flags: a value that starts with a dash', async () => {
    await ok(['put', 'dash', '--', '-1']);
    expect(await ok(['get', 'dash', '--print-value-only'])).to.equal('-1\n');
  });

  it('put --prev-kv and del --prev-kv print what was there', async () => {
    await ok(['put', 'del/a', '1']);
    expect(lines(await ok(['put', 'del/a', '2', '--prev-kv']))).to.deep.equal(['OK', 'del/a', '1']);
    await ok(['put', 'del/b', '3']);
    expect(lines(await ok(['del', 'del/', '--prefix', '--prev-kv']))).to.deep.equal([
      '2',
      'del/a',
      '2',
      'del/b',
      '3',
    ]);
    expect(await ok(['get', 'del/', '--prefix', '--count-only'])).to.equal('0\n');

    await ok(['put', 'del/c', '4']);
    const j = JSON.parse(await ok(['del', 'del/c', '--prev-kv', '-w', 'json'])) as {
      deleted: number;
      prev_kvs: JsonKv[];
    };
    expect(j.deleted).to.equal(1);
    expect(j.prev_kvs.map((kv) => [unb64(kv.key), unb64(kv.value!)])).to.deep.equal([['del/c', '4']]);
  });

  it('watch prints each event until killed, and runs -- COMMAND per event with CONCORD_WATCH_*', async () => {
    const start = (JSON.parse(await ok(['get', 'any', '-w', 'json'])) as { header: JsonHeader }).header
      .revision;
    // --rev: the events from that revision are delivered however soon the watch starts.
    const w = new ConcordProcess(
      [
        'watch',
        'w/',
        '--prefix',
        '--rev',
        String(start + 1),
        '--',
        process.execPath,
        '-e',
        'const e = process.env; console.log(`RAN ${e.CONCORD_WATCH_EVENT_TYPE} ${e.CONCORD_WATCH_KEY}=${e.CONCORD_WATCH_VALUE} @${e.CONCORD_WATCH_REVISION}`)',
      ],
      { env: { ...process.env, CONCORD_ENDPOINTS: url } },
    );
    try {
      await ok(['put', 'w/1', 'a']);
      await ok(['put', 'w/2', 'b']);
      await ok(['del', 'w/1']);
      await eventually('three commands run', () =>
        w.stdout.match(/^RAN /gm)?.length === 3 ? true : undefined,
      );
    } finally {
      w.child.kill('SIGTERM');
    }
    const exit = await w.exit();
    expect(exit.code, w.stderr).to.equal(130);
    const out = lines(w.stdout);
    expect(out.filter((l) => !l.startsWith('RAN '))).to.deep.equal([
      'PUT',
      'w/1',
      'a',
      'PUT',
      'w/2',
      'b',
      'DELETE',
      'w/1',
    ]);
    expect(out.filter((l) => l.startsWith('RAN '))).to.deep.equal([
      `RAN PUT w/1=a @${start + 1}`,
      `RAN PUT w/2=b @${start + 2}`,
      `RAN DELETE w/1= @${start + 3}`,
    ]);
  });

  it('watch -w json prints one etcdctl-shaped response per batch', async () => {
    const start = (JSON.parse(await ok(['get', 'any', '-w', 'json'])) as { header: JsonHeader }).header
      .revision;
    await ok(['put', 'wj/k', 'v1']);
    await ok(['put', 'wj/k', 'v2']);
    const w = new ConcordProcess(['watch', 'wj/k', '--rev', String(start + 1), '--prev-kv', '-w', 'json'], {
      env: { ...process.env, CONCORD_ENDPOINTS: url },
    });
    try {
      await eventually('both events', () =>
        lines(w.stdout).flatMap((l) => (JSON.parse(l) as { Events: unknown[] }).Events).length === 2
          ? true
          : undefined,
      );
    } finally {
      w.child.kill('SIGTERM');
    }
    await w.exit();
    const events = lines(w.stdout).flatMap(
      (l) => (JSON.parse(l) as { Events: { type?: number; kv: JsonKv; prev_kv?: JsonKv }[] }).Events,
    );
    expect(events.map((e) => unb64(e.kv.value!))).to.deep.equal(['v1', 'v2']);
    expect(events[0]!.prev_kv).to.equal(undefined);
    expect(unb64(events[1]!.prev_kv!.value!)).to.equal('v1');
  });

  it('lease grant → put --lease → timetolive --keys → revoke deletes the key', async () => {
    const granted = await ok(['lease', 'grant', '60']);
    const m1 = /^lease ([0-9a-f]{16}) granted with TTL\(60s\)$/.exec(granted.trim());
    expect(m1, granted).to.not.equal(null);
    const id = m1![1]!;
    await ok(['put', 'leased/k', 'v', '--lease', id]);

    expect(await ok(['lease', 'timetolive', id, '--keys'])).to.match(
      new RegExp(
        `^lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[leased/k\\]\\)$`,
        'm',
      ),
    );
    const ttl = JSON.parse(await ok(['lease', 'timetolive', id, '--keys', '-w', 'json'])) as {
      ID: number;
      TTL: number;
      grantedTTL: number;
      keys: string[];
    };
    expect(ttl.ID.toString(16).padStart(16, '0')).to.equal(id);
    expect(ttl.grantedTTL).to.equal(60);
    expect(ttl.TTL).to.be.within(1, 60);
    expect(ttl.keys.map(unb64)).to.deep.equal(['leased/k']);
    expect(lines(await ok(['lease', 'list']))).to.include(id);
    const kv = JSON.parse(await ok(['get', 'leased/k', '-w', 'json'])) as { kvs: JsonKv[] };
    expect(kv.kvs[0]!.lease).to.equal(ttl.ID);
    expect(await ok(['lease', 'keep-alive', id, '--once'])).to.match(
      new RegExp(`^lease ${id} keepalived with TTL\\(60\\)`),
    );

    expect(await ok(['lease', 'revoke', id])).to.equal(`lease ${id} revoked\n`);
    expect(await ok(['get', 'leased/k', '--count-only'])).to.equal('0\n');
    expect(await ok(['lease', 'timetolive', id])).to.equal(`lease ${id} already expired\n`);
    expect(lines(await ok(['lease', 'list']))).to.not.include(id);
  });

  it('lease keep-alive prints each renewal until killed', async () => {
    const id = /^lease ([0-9a-f]{16})/.exec(await ok(['lease', 'grant', '3']))![1]!;
    const k = new ConcordProcess(['lease', 'keep-alive', id], {
      env: { ...process.env, CONCORD_ENDPOINTS: url },
    });
    try {
      await eventually('two renewals printed', () =>
        (k.stdout.match(/keepalived with TTL/g)?.length ?? 0) >= 2 ? true : undefined,
      );
    } finally {
      k.child.kill('SIGTERM');
    }
    expect((await k.exit()).code, k.stderr).to.equal(130);
    for (const line of lines(k.stdout))
      expect(line).to.match(new RegExp(`^lease ${id} keepalived with TTL\\(\\d+\\)$`));
    await ok(['lease', 'revoke', id]);
  });

  it('member list: one line per member, and -w json with etcd field names', async () => {
    const line = lines(await ok(['member', 'list']));
    expect(line).to.have.length(1);
    expect(line[0]).to.match(/^[0-9a-f]+, started, cli-verbs, http:\/\/127\.0\.0\.1:\d+, /);
    expect(line[0]).to.include(url);
    const j = JSON.parse(await ok(['member', 'list', '-w', 'json'])) as {
      header: JsonHeader;
      members: { ID: number; name: string; peerURLs: string[]; clientURLs: string[] }[];
    };
    expect(j.members).to.have.length(1);
    expect(j.members[0]!.name).to.equal('cli-verbs');
    expect(j.members[0]!.clientURLs).to.include(url);
    expect(j.members[0]!.ID).to.equal(j.header.member_id);
  });

  it('exit 5 for a compacted revision, with the reason on stderr', async () => {
    await ok(['put', 'old', '1']);
    const rev = (JSON.parse(await ok(['put', 'old', '2', '-w', 'json'])) as { header: JsonHeader }).header
      .revision;
    expect(await ok(['compaction', String(rev)])).to.equal(`compacted revision ${rev}\n`);
    const r = await run(['get', 'old', '--rev', String(rev - 1)]);
    expect(r.code).to.equal(5);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(/^concord get: .*compacted/);
    const w = await run(['watch', 'old', '--rev', String(rev - 1)]);
    expect(w.code, w.stderr).to.equal(5);
  });

  it('exit 2 for a usage error, without contacting anyone', async () => {
    const unknown = await run(['get', 'k', '--no-such-flag']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include("concord get: unknown option '--no-such-flag'");
    expect((await run(['put', 'k', 'v', '--lease', 'not-hex'])).code).to.equal(2);
    expect((await run(['get', 'k', '--prefix', '--from-key'])).code).to.equal(2);
    expect((await run(['get', 'k', '-w', 'yaml'])).code).to.equal(2);
  });
});

describe('concord client verbs without a member', function () {
  this.timeout(60_000);

  it('exit 3 when no endpoint is reachable, naming the endpoint', async () => {
    // A port nobody listens on: bound once to learn it, then closed.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const endpoint = `http://127.0.0.1:${port}`;
    for (const args of [
      ['get', 'k'],
      ['put', 'k', 'v'],
      ['member', 'list', '-w', 'json'],
    ]) {
      const r = await concord(endpoint, [...args, '--dial-timeout', '1s']);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(3);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.include(`127.0.0.1:${port}`);
    }
    const health = await concord(endpoint, ['endpoint', 'health', '--dial-timeout', '1s']);
    expect(health.code).to.equal(1);
    expect(health.stderr).to.include(`${endpoint} is unhealthy`);
  });
});

describe('concord endpoint --cluster against three members', function () {
  this.timeout(180_000);
  let cluster: ClusterHarness;

  before(async () => {
    cluster = await ClusterHarness.start({ size: 3 });
    // A brand-new member publishes its client URLs through Raft after it starts; --cluster can only
    // ask the members that did (the others are named on stderr, checked below).
    await eventually('every member published its client URLs', async () => {
      const r = await concord(cluster.members[0]!.clientUrl, ['member', 'list', '-w', 'json']);
      const list = JSON.parse(r.stdout) as { members?: { clientURLs?: string[] }[] };
      const started = (list.members ?? []).filter((m) => (m.clientURLs ?? []).length > 0);
      return started.length === 3 ? true : undefined;
    });
  });
  after(async () => cluster?.stop());

  it('endpoint status --cluster: one row per member, one leader; -w json agrees', async () => {
    const first = cluster.members[0]!.clientUrl;
    const t = await concord(first, ['endpoint', 'status', '--cluster', '-w', 'table']);
    expect(t.code, t.stderr).to.equal(0);
    const rows = lines(t.stdout).filter((l) => l.startsWith('| http'));
    expect(rows).to.have.length(3);
    for (const m of cluster.members) expect(t.stdout).to.include(m.clientUrl);
    const leaderCells = rows.map((r) => r.split('|')[5]!.trim());
    expect(leaderCells.filter((c) => c === 'true')).to.have.length(1);
    expect(lines(t.stdout)[1]).to.match(/\| ENDPOINT +\| ID +\| VERSION +\| DB SIZE +\| IS LEADER +\|/);
    // Without -w, an answer from several members is the same table (issue 17).
    const byDefault = await concord(first, ['endpoint', 'status', '--cluster']);
    expect(lines(byDefault.stdout)[1]).to.match(/\| ENDPOINT +\| ID +\| VERSION +/);
    expect(lines(byDefault.stdout).filter((l) => l.startsWith('| http'))).to.have.length(3);

    const j = JSON.parse(
      (await concord(first, ['endpoint', 'status', '--cluster', '-w', 'json'])).stdout,
    ) as {
      Endpoint: string;
      Status: { header: JsonHeader; leader: number; raftTerm: number };
    }[];
    expect(j).to.have.length(3);
    expect(new Set(j.map((s) => s.Status.header.member_id)).size).to.equal(3);
    expect(new Set(j.map((s) => s.Status.header.cluster_id)).size).to.equal(1);
    const leader = j[0]!.Status.leader;
    expect(j.map((s) => s.Status.header.member_id)).to.include(leader);

    const members = JSON.parse((await concord(first, ['member', 'list', '-w', 'json'])).stdout) as {
      members: { ID: number }[];
    };
    expect(members.members.map((m) => m.ID).sort()).to.deep.equal(
      j.map((s) => s.Status.header.member_id).sort(),
    );

    const h = await concord(first, ['endpoint', 'health', '--cluster']);
    expect(h.code, h.stderr).to.equal(0);
    expect(lines(h.stdout).filter((l) => l.includes(' is healthy'))).to.have.length(3);
  });
});
