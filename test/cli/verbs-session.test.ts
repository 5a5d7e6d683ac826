/**
 * A scripted operator session against three members: the verbs added on top of get/put/del —
 * txn (from stdin and at its prompts), watch -- COMMAND with etcdctl's and Concord's variables,
 * `-w fields` of the lease/endpoint/compaction verbs, the recipes' views (queue, registry,
 * config), the global flags' environment variables (a flag wins) and shell completion. Each
 * verb is run as the real `concord` binary, with a human-output and a `-w json` case.
 */
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '../../client/index.js';
import {
  Election,
  lockContenders,
  register,
  Semaphore,
  WorkQueue,
  type Registration,
} from '../../recipes/index.js';
import { COMMANDS } from '../../server/cli/commands.js';
import { declareVerbs } from '../../server/cli/verb-specs.js';
import { ClusterHarness } from '../cluster/harness.js';
import { eventually } from '../helpers/eventually.js';
import { ConcordProcess, MAIN } from './concord-process.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();

interface JsonHeader {
  cluster_id: number;
  member_id: number;
  revision: number;
  raft_term: number;
}
interface JsonKv {
  key: string;
  value?: string;
  version: number;
  mod_revision: number;
}

describe('concord session against three members', function () {
  this.timeout(180_000);
  let cluster: ClusterHarness;
  let endpoints: string;

  /** Runs `concord args…` to its end with CONCORD_ENDPOINTS set (and `env` over it). */
  async function run(
    args: readonly string[],
    stdin?: string | Buffer,
    env: Readonly<Record<string, string>> = {},
  ): Promise<Run> {
    const p = new ConcordProcess(args, {
      env: { ...process.env, CONCORD_ENDPOINTS: endpoints, ...env },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (stdin !== undefined) p.child.stdin!.end(stdin);
    const { code } = await p.exit();
    return { code, stdout: p.stdout, stderr: p.stderr };
  }
  const ok = async (
    args: readonly string[],
    stdin?: string | Buffer,
    env: Readonly<Record<string, string>> = {},
  ): Promise<string> => {
    const r = await run(args, stdin, env);
    expect(r.code, `concord ${args.join(' ')}\n${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const revisionNow = async (): Promise<number> =>
    (JSON.parse(await ok(['get', 'any', '-w', 'json'])) as { header: JsonHeader }).header.revision;

  before(async () => {
    cluster = await ClusterHarness.start({ size: 3 });
    endpoints = cluster.members.map((m) => m.clientUrl).join(',');
    await eventually('every member published its client URLs', async () => {
      const r = await run(['member', 'list', '-w', 'json']);
      if (r.code !== 0) return undefined;
      const list = JSON.parse(r.stdout) as { members?: { clientURLs?: string[] }[] };
      return (list.members ?? []).filter((m) => (m.clientURLs ?? []).length > 0).length === 3
        ? true
        : undefined;
    });
  });
  after(async () => cluster?.stop());

  describe('txn', () => {
    const txnText = (expected: string): string =>
      [
        `val("txn/mode") = "${expected}"`,
        'ver("txn/mode") > "0"',
        '',
        'put txn/mode "standby mode" --prev-kv',
        'get txn/ --prefix',
        'del txn/gone',
        '',
        'put txn/mode active',
        'get txn/mode --print-value-only',
        '',
      ].join('\n');

    it('from stdin, the success branch: SUCCESS and each answer as put/get/del print them', async () => {
      await ok(['put', 'txn/mode', 'active']);
      await ok(['put', 'txn/gone', 'x']);
      expect(await ok(['txn'], txnText('active'))).to.equal(
        [
          'SUCCESS',
          '',
          'OK',
          'txn/mode',
          'active',
          '',
          'txn/gone',
          'x',
          'txn/mode',
          'standby mode',
          '',
          '1',
          '',
        ].join('\n'),
      );
      expect(await ok(['get', 'txn/gone', '--count-only'])).to.equal('0\n');
    });

    it('from stdin, the failure branch: FAILURE and the failure requests only', async () => {
      await ok(['put', 'txn/mode', 'standby mode']);
      expect(await ok(['txn'], txnText('active'))).to.equal(
        ['FAILURE', '', 'OK', '', 'active', ''].join('\n'),
      );
      expect(await ok(['get', 'txn/mode', '--print-value-only'])).to.equal('active\n');
    });

    it('-w json: etcdctl-shaped TxnResponse, both branches', async () => {
      await ok(['put', 'txn/mode', 'active']);
      const yes = JSON.parse(await ok(['txn', '-w', 'json'], txnText('active'))) as {
        header: JsonHeader;
        succeeded?: boolean;
        responses: {
          Response: Record<
            string,
            { header: JsonHeader; kvs?: JsonKv[]; deleted?: number; prev_kv?: JsonKv }
          >;
        }[];
      };
      expect(yes.succeeded).to.equal(true);
      expect(yes.responses.map((r) => Object.keys(r.Response)[0])).to.deep.equal([
        'ResponsePut',
        'ResponseRange',
        'ResponseDeleteRange',
      ]);
      expect(unb64(yes.responses[0]!.Response['ResponsePut']!.prev_kv!.value)).to.equal('active');
      const range = yes.responses[1]!.Response['ResponseRange']!;
      expect(range.kvs!.map((kv) => unb64(kv.value))).to.deep.equal(['standby mode']);
      // Every answer of one txn shares its revision.
      expect(range.header.revision).to.equal(yes.header.revision);

      const no = JSON.parse(await ok(['txn', '-w', 'json'], txnText('active'))) as {
        succeeded?: boolean;
        responses: { Response: Record<string, unknown> }[];
      };
      // etcd's encoder leaves false out.
      expect(no.succeeded).to.equal(undefined);
      expect(no.responses.map((r) => Object.keys(r.Response)[0])).to.deep.equal([
        'ResponsePut',
        'ResponseRange',
      ]);
    });

    it('-w fields: the header, Succeeded, then each answer', async () => {
      const out = lines(await ok(['txn', '-w', 'fields'], 'c("txn/none") = "0"\n\nput txn/f 1\n'));
      expect(out[4]).to.equal('"Succeeded" : true');
      expect(out.filter((l) => l.startsWith('"Revision" : '))).to.have.length(2);
    });

    it('a range delete (del KEY RANGE_END) removes exactly [KEY, RANGE_END)', async () => {
      for (const k of ['r/a', 'r/b', 'r/c']) await ok(['put', k, k]);
      expect(await ok(['txn'], '\ndel r/a r/c\n')).to.equal('SUCCESS\n\n2\n');
      expect(lines(await ok(['get', 'r/', '--prefix', '--keys-only']))).to.deep.equal(['r/c']);
    });

    it('-i prompts on stderr, reads each section as it is typed, stdout stays JSON', async () => {
      await ok(['put', 'txn/i', '1']);
      const p = new ConcordProcess(['txn', '-i', '-w', 'json'], {
        env: { ...process.env, CONCORD_ENDPOINTS: endpoints },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      try {
        await eventually('the compares prompt', () => (p.stderr.includes('compares:') ? true : undefined));
        p.child.stdin!.write('mod("txn/i") > "0"\n\n');
        await eventually('the success prompt', () =>
          p.stderr.includes('success requests (get, put, del):') ? true : undefined,
        );
        p.child.stdin!.write('put txn/i 2\n\n');
        await eventually('the failure prompt', () =>
          p.stderr.includes('failure requests (get, put, del):') ? true : undefined,
        );
        // The last empty line ends the txn; stdin stays open, as at a terminal.
        p.child.stdin!.write('put txn/i never\n\n');
        const exit = await p.exit();
        expect(exit.code, p.stderr).to.equal(0);
      } finally {
        await p.kill();
      }
      expect((JSON.parse(p.stdout) as { succeeded: boolean }).succeeded).to.equal(true);
      expect(await ok(['get', 'txn/i', '--print-value-only'])).to.equal('2\n');
    });

    it('a malformed line is a usage error (2) naming its line, and nothing is written', async () => {
      await ok(['put', 'txn/u', 'before']);
      const bad = await run(['txn'], 'val("txn/u") = "before"\n\nput txn/u after\nfrob txn/u\n');
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/^concord txn: line 4: unknown request "frob"/);
      expect(bad.stdout).to.equal('');
      const cmp = await run(['txn'], 'mod("txn/u") > "x"\n\nput txn/u after\n');
      expect(cmp.code).to.equal(2);
      expect(cmp.stderr).to.include('line 1:');
      expect(await ok(['get', 'txn/u', '--print-value-only'])).to.equal('before\n');
    });
  });

  describe('watch -- COMMAND', () => {
    const printEnv = [
      process.execPath,
      '-e',
      [
        'const e = process.env;',
        'console.log("RAN " + JSON.stringify([e.ETCD_WATCH_EVENT_TYPE, e.ETCD_WATCH_KEY, e.ETCD_WATCH_VALUE,',
        'e.ETCD_WATCH_REVISION, e.CONCORD_WATCH_EVENT_TYPE, e.CONCORD_WATCH_KEY, e.CONCORD_WATCH_VALUE,',
        'e.CONCORD_WATCH_REVISION, e.CONCORD_WATCH_PREV_VALUE ?? null]))',
      ].join(' '),
    ];
    const ran = (out: string): unknown[][] =>
      lines(out)
        .filter((l) => l.startsWith('RAN '))
        .map((l) => JSON.parse(l.slice(4)) as unknown[]);

    it("sees etcdctl's ETCD_WATCH_* and CONCORD_WATCH_* (prev value with --prev-kv), from --rev", async () => {
      const start = await revisionNow();
      await ok(['put', 'we/k', 'one']);
      await ok(['put', 'we/k', 'two']);
      await ok(['del', 'we/k']);
      // --rev: the three events are replayed however late the watch starts.
      const w = new ConcordProcess(
        ['watch', 'we/', '--prefix', '--prev-kv', '--rev', String(start + 1), '--', ...printEnv],
        {
          env: { ...process.env, CONCORD_ENDPOINTS: endpoints },
        },
      );
      try {
        await eventually('three commands ran', () => (ran(w.stdout).length === 3 ? true : undefined));
      } finally {
        w.child.kill('SIGTERM');
      }
      expect((await w.exit()).code, w.stderr).to.equal(130);
      expect(ran(w.stdout)).to.deep.equal([
        ['PUT', 'we/k', 'one', String(start + 1), 'PUT', 'we/k', 'one', String(start + 1), null],
        ['PUT', 'we/k', 'two', String(start + 2), 'PUT', 'we/k', 'two', String(start + 2), 'one'],
        ['DELETE', 'we/k', '', String(start + 3), 'DELETE', 'we/k', '', String(start + 3), 'two'],
      ]);
      // The human output of the events themselves, with the previous key-value first.
      expect(
        lines(w.stdout)
          .filter((l) => !l.startsWith('RAN '))
          .slice(0, 5),
      ).to.deep.equal(['PUT', 'we/k', 'one', 'PUT', 'we/k']);
    });

    it('a value with a NUL byte reaches the command (as \\x00) and the watch goes on', async () => {
      const start = await revisionNow();
      await ok(['put', 'wn/k'], Buffer.from([0x61, 0x00, 0x62]));
      await ok(['put', 'wn/k', 'after']);
      const w = new ConcordProcess(['watch', 'wn/k', '--rev', String(start + 1), '--', ...printEnv], {
        env: { ...process.env, CONCORD_ENDPOINTS: endpoints },
      });
      try {
        await eventually('both commands ran', () =>
          ran(w.stdout).length === 2 || !w.running ? true : undefined,
        );
      } finally {
        w.child.kill('SIGTERM');
      }
      await w.exit();
      expect(
        ran(w.stdout).map((r) => r[2]),
        w.stderr,
      ).to.deep.equal(['a\\x00b', 'after']);
    });

    it('--rev must be a revision: a usage error (2) before anything runs', async () => {
      for (const rev of ['-1', 'abc', '1.5']) {
        const r = await run(['watch', 'k', `--rev=${rev}`, '--', 'false']);
        expect(r.code, rev).to.equal(2);
        expect(r.stderr).to.include('--rev: expected a non-negative integer');
      }
    });

    it('-w json with -- COMMAND: one response per batch on stdout, the command still runs', async () => {
      const start = await revisionNow();
      await ok(['put', 'wj/k', 'v']);
      const w = new ConcordProcess(
        ['watch', 'wj/k', '--rev', String(start + 1), '-w', 'json', '--', ...printEnv],
        {
          env: { ...process.env, CONCORD_ENDPOINTS: endpoints },
        },
      );
      try {
        await eventually('the command ran', () => (ran(w.stdout).length === 1 ? true : undefined));
      } finally {
        w.child.kill('SIGTERM');
      }
      await w.exit();
      const json = lines(w.stdout).filter((l) => l.startsWith('{'));
      const events = json.flatMap((l) => (JSON.parse(l) as { Events: { kv: JsonKv }[] }).Events);
      expect(events.map((e) => unb64(e.kv.value))).to.deep.equal(['v']);
    });
  });

  describe('human and -w json of the key, lease, member, endpoint, compaction and snapshot verbs', () => {
    it('put: OK (and the previous key-value), -w json the header (and prev_kv)', async () => {
      expect(await ok(['put', 'hj/k', 'one'])).to.equal('OK\n');
      expect(await ok(['put', 'hj/k', 'two', '--prev-kv'])).to.equal('OK\nhj/k\none\n');
      const j = JSON.parse(await ok(['put', 'hj/k', 'three', '--prev-kv', '-w', 'json'])) as {
        header: JsonHeader;
        prev_kv: JsonKv;
      };
      expect(j.header.revision).to.equal(j.prev_kv.mod_revision + 1);
      expect(j.header.raft_term).to.be.above(0);
      expect(unb64(j.prev_kv.value)).to.equal('two');
    });

    it('del: the count (and the deleted key-values), -w json deleted and prev_kvs', async () => {
      for (const k of ['hd/a', 'hd/b', 'hd/c']) await ok(['put', k, k.toUpperCase()]);
      expect(await ok(['del', 'hd/a', '--prev-kv'])).to.equal('1\nhd/a\nHD/A\n');
      const j = JSON.parse(await ok(['del', 'hd/', '--prefix', '--prev-kv', '-w', 'json'])) as {
        header: JsonHeader;
        deleted: number;
        prev_kvs: JsonKv[];
      };
      expect(j.deleted).to.equal(2);
      expect(j.prev_kvs.map((kv) => unb64(kv.key))).to.deep.equal(['hd/b', 'hd/c']);
      expect(await ok(['del', 'hd/', '--prefix'])).to.equal('0\n');
    });

    it('lease grant, timetolive, list, keep-alive --once, revoke: etcdctl lines, and -w json', async () => {
      const granted = /^lease ([0-9a-f]{16}) granted with TTL\(60s\)$/.exec(
        (await ok(['lease', 'grant', '60'])).trim(),
      );
      expect(granted).to.not.equal(null);
      const id = granted![1]!;
      await ok(['put', 'hl/k', 'v', '--lease', id]);
      expect(await ok(['lease', 'timetolive', id, '--keys'])).to.match(
        new RegExp(
          `^lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[hl/k\\]\\)\\n$`,
        ),
      );
      const ttl = JSON.parse(await ok(['lease', 'timetolive', id, '--keys', '-w', 'json'])) as {
        header: JsonHeader;
        ID: number;
        TTL: number;
        grantedTTL: number;
        keys: string[];
      };
      expect([ttl.ID.toString(16).padStart(16, '0'), ttl.grantedTTL, ttl.keys.map(unb64)]).to.deep.equal([
        id,
        60,
        ['hl/k'],
      ]);
      expect(ttl.TTL).to.be.within(1, 60);
      const list = lines(await ok(['lease', 'list']));
      expect(list[0]).to.match(/^found \d+ leases$/);
      expect(list).to.include(id);
      const listed = JSON.parse(await ok(['lease', 'list', '-w', 'json'])) as { leases: { ID: number }[] };
      expect(listed.leases.map((l) => l.ID)).to.include(ttl.ID);
      expect(await ok(['lease', 'keep-alive', id, '--once'])).to.equal(
        `lease ${id} keepalived with TTL(60)\n`,
      );
      const j = JSON.parse(await ok(['lease', 'revoke', id, '-w', 'json'])) as { ID: number };
      expect(j.ID).to.equal(ttl.ID);
      expect(await ok(['lease', 'timetolive', id])).to.equal(`lease ${id} already expired\n`);
      const g = JSON.parse(await ok(['lease', 'grant', '30', '-w', 'json'])) as { ID: number; TTL: number };
      expect(g.TTL).to.equal(30);
      const gid = g.ID.toString(16).padStart(16, '0');
      expect(await ok(['lease', 'revoke', gid])).to.equal(`lease ${gid} revoked\n`);
      const missing = await run(['lease', 'revoke', gid]);
      expect(missing.code).to.equal(6);
      expect(missing.stderr).to.match(/^concord lease revoke: /);
    });

    it('member list: one line per member (a table by default, as several members answer), -w json', async () => {
      const j = JSON.parse(await ok(['member', 'list', '-w', 'json'])) as {
        members: { ID: number; name: string; clientURLs: string[] }[];
      };
      expect(j.members).to.have.length(3);
      const simple = lines(await ok(['member', 'list', '-w', 'simple']));
      expect(simple).to.have.length(3);
      for (const m of j.members) {
        const line = simple.find((l) => l.startsWith(`${m.ID.toString(16)}, started, ${m.name}, `));
        expect(line, m.name)
          .to.be.a('string')
          .and.include(m.clientURLs[0]!)
          .and.match(/, false$/);
      }
      const table = lines(await ok(['member', 'list']));
      expect(table[1]).to.match(
        /^\| ID +\| STATUS +\| NAME +\| PEER ADDRS +\| CLIENT ADDRS +\| IS LEARNER +\|$/,
      );
      expect(table.filter((l) => / started /.test(l))).to.have.length(3);
    });

    it('endpoint health --cluster -w json: one healthy entry per member', async () => {
      const j = JSON.parse(await ok(['endpoint', 'health', '--cluster', '-w', 'json'])) as {
        endpoint: string;
        health: boolean;
        took: string;
      }[];
      expect(j.map((e) => e.endpoint).sort()).to.deep.equal(cluster.members.map((m) => m.clientUrl).sort());
      expect(j.every((e) => e.health && /^\d+(\.\d+)?ms$/.test(e.took))).to.equal(true);
      const t = lines(await ok(['endpoint', 'health', '--cluster', '-w', 'table']));
      expect(t[1]).to.match(/^\| ENDPOINT +\| HEALTH +\| TOOK +\| ERROR +\|$/);
    });

    it('compaction: compacted revision N; a read below it then exits 5', async () => {
      await ok(['put', 'hc/k', 'v']);
      const rev = await revisionNow();
      expect(await ok(['compaction', String(rev)])).to.equal(`compacted revision ${rev}\n`);
      const old = await run(['get', 'hc/k', '--rev', String(rev - 1)]);
      expect(old.code).to.equal(5);
    });

    it('snapshot save (human), status (simple and -w json), restore (-w json)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'concord-session-snap-'));
      try {
        const file = join(dir, 'backup.snap');
        const saved = await ok(['snapshot', 'save', file]);
        const m =
          /^Snapshot saved at (.+) \(revision (\d+), .+, checksum ([0-9a-f]{8}), from member ([0-9a-f]+)\)\n$/.exec(
            saved,
          );
        expect(m, saved).to.not.equal(null);
        expect(m![1]).to.equal(file);
        const revision = Number(m![2]);
        const simple = (await ok(['snapshot', 'status', file])).trim().split(', ');
        expect([simple[0], simple[1]]).to.deep.equal([m![3], String(revision)]);
        const st = JSON.parse(await ok(['snapshot', 'status', file, '-w', 'json'])) as {
          revision: number;
          totalKey: number;
        };
        expect(st.revision).to.equal(revision);
        const dataDir = join(dir, 'restored');
        const r = JSON.parse(
          await ok(['snapshot', 'restore', file, '--name', 'r1', '--data-dir', dataDir, '-w', 'json']),
        ) as { data_dir: string; name: string; revision: number; total_keys: number };
        expect([r.data_dir, r.name, r.revision, r.total_keys]).to.deep.equal([
          dataDir,
          'r1',
          revision,
          st.totalKey,
        ]);
        expect(existsSync(dataDir)).to.equal(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('-w fields and -w json of the lease, endpoint and compaction verbs', () => {
    const field = (out: string, name: string): string[] =>
      lines(out)
        .filter((l) => l.startsWith(`"${name}" : `))
        .map((l) => l.slice(name.length + 5));

    it('lease grant, timetolive --keys, list, keep-alive --once, revoke', async () => {
      const grant = await ok(['lease', 'grant', '90', '-w', 'fields']);
      const [idDec] = field(grant, 'ID');
      expect(field(grant, 'TTL')).to.deep.equal(['90']);
      expect(field(grant, 'Revision')).to.have.length(1);
      const id = Number(idDec).toString(16).padStart(16, '0');
      await ok(['put', 'lf/k', 'v', '--lease', id]);

      const ttl = await ok(['lease', 'timetolive', id, '--keys', '-w', 'fields']);
      expect(field(ttl, 'ID')).to.deep.equal([idDec]);
      expect(field(ttl, 'GrantedTTL')).to.deep.equal(['90']);
      expect(field(ttl, 'Key')).to.deep.equal(['"lf/k"']);
      expect(field(await ok(['lease', 'list', '-w', 'fields']), 'ID')).to.include(idDec);
      expect(field(await ok(['lease', 'keep-alive', id, '--once', '-w', 'fields']), 'TTL')).to.deep.equal([
        '90',
      ]);
      const ka = JSON.parse(await ok(['lease', 'keep-alive', id, '--once', '-w', 'json'])) as {
        ID: number;
        TTL: number;
      };
      expect(ka).to.deep.equal({ ID: Number(idDec), TTL: 90 });
      expect(field(await ok(['lease', 'revoke', id, '-w', 'fields']), 'ID')).to.deep.equal([idDec]);
      expect(await ok(['get', 'lf/k', '--count-only'])).to.equal('0\n');
    });

    it('endpoint status and health --cluster: one block per member', async () => {
      const status = await ok(['endpoint', 'status', '--cluster', '-w', 'fields']);
      expect(
        field(status, 'Endpoint')
          .map((e) => JSON.parse(e) as string)
          .sort(),
      ).to.deep.equal(cluster.members.map((m) => m.clientUrl).sort());
      const leaders = new Set(field(status, 'Leader'));
      expect(leaders.size).to.equal(1);
      expect(field(status, 'MemberID')).to.include([...leaders][0]);
      const health = await ok(['endpoint', 'health', '--cluster', '-w', 'fields']);
      expect(field(health, 'Health')).to.deep.equal(['true', 'true', 'true']);
      expect(field(health, 'Error')).to.deep.equal(['""', '""', '""']);
    });

    it('compaction -w fields prints the header; -w json the same header', async () => {
      const rev = await revisionNow();
      const out = await ok(['compaction', String(rev), '-w', 'fields']);
      expect(Number(field(out, 'Revision')[0])).to.be.at.least(rev);
      await ok(['put', 'compact/k', 'v']);
      const j = JSON.parse(await ok(['compaction', String(rev + 1), '-w', 'json'])) as { header: JsonHeader };
      expect(j.header.revision).to.be.at.least(rev + 1);
    });
  });

  describe("the recipes' views", () => {
    let client: Client;
    let queue: WorkQueue;
    let registration: Registration;

    before(async () => {
      client = new Client({ endpoints: endpoints.split(',') });
      queue = new WorkQueue(client, 'thumbs', { consumerId: 'worker-7', ttlSec: 30 });
      await queue.enqueue('urgent', { priority: 0, id: 'job-urgent' });
      await queue.enqueue('later', { id: 'job-later' });
      await queue.enqueue('last', { id: 'job-last' });
      const claimed = await queue.dequeue();
      expect(claimed.id).to.equal('job-urgent');
      await (await queue.dequeue()).ack();
      registration = await register(client, {
        service: 'api',
        id: 'api-1',
        address: '10.0.0.5:8080',
        meta: { zone: 'eu-1' },
        ttlSec: 40,
      });
      await client.put('cfg/app/limits', JSON.stringify({ max: 10 }));
      await client.put('cfg/app/limits', JSON.stringify({ max: 12 }));
      await client.put('cfg/app/off', 'false');
      await client.put('cfg/app/broken', '{not json');
    });
    after(async () => {
      await registration?.close();
      await queue?.close();
      await client?.close();
    });

    it('queue NAME: pending by priority, the claimed item with consumer, age and session TTL, acked ids', async () => {
      const human = lines(await ok(['queue', 'thumbs']));
      expect(human[1]).to.equal('pending: 1 (priority 100: 1)');
      expect(human[2]).to.equal('in flight: 1');
      expect(human.find((l) => l.includes('job-urgent'))).to.match(
        /\| job-urgent +\| 0 +\| worker-7 +\| \d+ +\| \d+ +\| \d+s +\|/,
      );
      expect(human).to.include('acked ids remembered: 1');

      const j = JSON.parse(await ok(['queue', 'thumbs', '-w', 'json'])) as {
        revision: number;
        pending: number;
        byPriority: { priority: number; count: number }[];
        inFlight: {
          id: string;
          priority: number;
          consumer: string;
          claimRevision: number;
          ageRevisions: number;
          leaseTTL: number;
          orphaned: boolean;
        }[];
        acked: number;
        deadLetters: number;
      };
      expect(j.pending).to.equal(1);
      expect(j.byPriority).to.deep.equal([{ priority: 100, count: 1 }]);
      expect(j.inFlight).to.have.length(1);
      const item = j.inFlight[0]!;
      expect([item.id, item.priority, item.consumer, item.orphaned]).to.deep.equal([
        'job-urgent',
        0,
        'worker-7',
        false,
      ]);
      expect(item.ageRevisions).to.equal(j.revision - item.claimRevision);
      expect(item.leaseTTL).to.be.within(1, 30);
      expect([j.acked, j.deadLetters]).to.deep.equal([1, 0]);

      expect(lines(await ok(['queue']))).to.satisfy((l: string[]) =>
        l.some((row) => /^\| thumbs +\| 1 +\| 1 +\|$/.test(row)),
      );
      const all = JSON.parse(await ok(['queue', '-w', 'json'])) as {
        queues: { name: string; pending: number; inFlight: number }[];
      };
      expect(all.queues).to.deep.include({ name: 'thumbs', pending: 1, inFlight: 1 });
    });

    it('queue NAME shows an item whose claim is gone as orphaned', async () => {
      const j = JSON.parse(await ok(['queue', 'thumbs', '-w', 'json'])) as { inFlight: { lease: number }[] };
      const lease = j.inFlight[0]!.lease.toString(16).padStart(16, '0');
      // The consumer's session ends (as when it dies): its claim goes with the lease.
      await ok(['lease', 'revoke', lease]);
      const after = JSON.parse(await ok(['queue', 'thumbs', '-w', 'json'])) as {
        inFlight: { id: string; orphaned: boolean; consumer?: string }[];
      };
      expect(after.inFlight).to.deep.equal([{ id: 'job-urgent', priority: 0, lease: 0, orphaned: true }]);
      expect(await ok(['queue', 'thumbs'])).to.include('(orphaned: requeued by the next dequeue)');
    });

    it('registry [SERVICE]: instances, address, metadata and lease TTL', async () => {
      const human = await ok(['registry', 'api']);
      expect(lines(human)[0]).to.equal('api: 1 instance');
      expect(human).to.match(
        /\| api-1 +\| 10\.0\.0\.5:8080 +\| zone=eu-1 +\| [0-9a-f]{16} +\| \d+s of 40s +\|/,
      );
      const j = JSON.parse(await ok(['registry', '-w', 'json'])) as {
        services: {
          name: string;
          instances: {
            id: string;
            address: string;
            meta: Record<string, string>;
            lease: number;
            leaseTTL: number;
            grantedTTL: number;
            valid: boolean;
          }[];
        }[];
      };
      const api = j.services.find((s) => s.name === 'api')!;
      expect(api.instances).to.have.length(1);
      const i = api.instances[0]!;
      expect([i.id, i.address, i.meta, i.grantedTTL, i.valid]).to.deep.equal([
        'api-1',
        '10.0.0.5:8080',
        { zone: 'eu-1' },
        40,
        true,
      ]);
      const stored = JSON.parse(await ok(['get', 'concord/services/api/api-1', '-w', 'json'])) as {
        kvs: { lease: number }[];
      };
      expect(i.lease).to.equal(stored.kvs[0]!.lease).and.above(0);
      expect(i.leaseTTL).to.be.within(1, 40);
    });

    it('config PREFIX: each document with its version, type and value; invalid ones as raw text', async () => {
      const human = await ok(['config', 'cfg/app/']);
      expect(human).to.match(
        /^cfg\/app\/limits {2}version 2 {2}revision \d+ {2}object\n\{\n {2}"max": 12\n\}$/m,
      );
      expect(human).to.match(
        /^cfg\/app\/broken {2}version 1 {2}revision \d+ {2}invalid\nnot JSON \(.*\):\n\{not json$/m,
      );
      const j = JSON.parse(await ok(['config', 'cfg/app/', '-w', 'json'])) as {
        documents: { key: string; version: number; type: string; value?: unknown; raw?: string }[];
      };
      expect(j.documents.map((d) => [d.key, d.version, d.type, d.value])).to.deep.equal([
        ['cfg/app/broken', 1, 'invalid', undefined],
        ['cfg/app/limits', 2, 'object', { max: 12 }],
        ['cfg/app/off', 1, 'boolean', false],
      ]);
      expect(j.documents[0]!.raw).to.equal('{not json');
      const fields = lines(await ok(['config', 'cfg/app/', '-w', 'fields']));
      expect(fields).to.include('"documents[1].value.max" : 12');
    });
  });

  describe('the recipe verbs: lock, elect, semaphore', () => {
    let client: Client;
    before(() => {
      client = new Client({ endpoints: endpoints.split(',') });
    });
    after(async () => client?.close());

    /** Starts `concord args…` and waits until its stdout has `n` non-empty lines. */
    async function started(args: readonly string[], n: number): Promise<ConcordProcess> {
      const p = new ConcordProcess(args, { env: { ...process.env, CONCORD_ENDPOINTS: endpoints } });
      try {
        await eventually(`${args.join(' ')} printed ${n} lines`, () => {
          if (!p.running) throw new Error(`exited ${String(p.child.exitCode)}: ${p.stderr}`);
          return lines(p.stdout).length >= n ? true : undefined;
        });
      } catch (e) {
        await p.kill();
        throw e;
      }
      return p;
    }

    it('lock NAME -- COMMAND: runs it with the fencing token, passes on its exit status, releases', async () => {
      const cmd = [
        process.execPath,
        '-e',
        'process.exit(Number(process.env.CONCORD_LOCK_TOKEN) > 0 ? 7 : 3)',
      ];
      const human = await run(['lock', 'cli-run', '--', ...cmd]);
      expect(human.code, human.stderr).to.equal(7);
      expect(human.stderr).to.match(/^concord lock: holding cli-run \(token \d+\)$/m);
      expect(await lockContenders(client, 'cli-run')).to.deep.equal([]);

      const printToken = [process.execPath, '-e', 'console.log(process.env.CONCORD_LOCK_TOKEN)'];
      const j = await run(['lock', 'cli-run', '-w', 'json', '--', ...printToken]);
      expect(j.code, j.stderr).to.equal(0);
      // With a command, stdout is the command's; the lock's answer goes to stderr.
      const answer = JSON.parse(lines(j.stderr)[0]!) as {
        name: string;
        key: string;
        token: number;
        lease: number;
      };
      expect(answer.name).to.equal('cli-run');
      expect(lines(j.stdout)).to.deep.equal([String(answer.token)]);
      expect(answer.lease).to.be.above(0);
      expect(await lockContenders(client, 'cli-run')).to.deep.equal([]);
    });

    it('lock NAME: prints the key and the token, holds until SIGTERM (130); a second locker waits', async () => {
      const p = await started(['lock', 'cli-hold'], 2);
      const [key, token] = lines(p.stdout) as [string, string];
      const waiter = new ConcordProcess(
        ['lock', 'cli-hold', '--', process.execPath, '-e', 'console.log("ran")'],
        { env: { ...process.env, CONCORD_ENDPOINTS: endpoints } },
      );
      try {
        expect(key).to.match(/^concord\/locks\/cli-hold\//);
        const stored = JSON.parse(await ok(['get', key, '-w', 'json'])) as {
          kvs: { create_revision: number }[];
        };
        expect(token).to.equal(`token ${stored.kvs[0]!.create_revision}`);
        // The second locker queues behind the holder and runs nothing while it holds.
        await eventually('the second locker in line', async () =>
          (await lockContenders(client, 'cli-hold')).length === 2 ? true : undefined,
        );
        expect(waiter.stdout).to.equal('');
        expect((await lockContenders(client, 'cli-hold'))[0]!.key).to.equal(key);
      } finally {
        p.child.kill('SIGTERM');
      }
      try {
        expect((await p.exit()).code, p.stderr).to.equal(130);
        expect((await waiter.exit()).code, waiter.stderr).to.equal(0);
        expect(waiter.stdout).to.equal('ran\n');
      } finally {
        await waiter.kill();
      }
      expect(await ok(['get', key, '--count-only'])).to.equal('0\n');
    });

    it('lock NAME -w json and -w fields: name, key, token and lease', async () => {
      const p = await started(['lock', 'cli-json', '-w', 'json'], 1);
      try {
        const j = JSON.parse(p.stdout) as { name: string; key: string; token: number; lease: number };
        expect(j.name).to.equal('cli-json');
        const [held] = await lockContenders(client, 'cli-json');
        expect(j.key).to.equal(held!.key);
        expect(j.token).to.be.above(0);
        const stored = JSON.parse(await ok(['get', j.key, '-w', 'json'])) as {
          kvs: { create_revision: number; lease: number }[];
        };
        expect([j.token, j.lease]).to.deep.equal([stored.kvs[0]!.create_revision, stored.kvs[0]!.lease]);
      } finally {
        p.child.kill('SIGINT');
      }
      expect((await p.exit()).code, p.stderr).to.equal(130);
      const f = await started(['lock', 'cli-json', '-w', 'fields'], 4);
      try {
        expect(lines(f.stdout)[0]).to.equal('"name" : "cli-json"');
        expect(lines(f.stdout).map((l) => l.split(' : ')[0])).to.deep.equal([
          '"name"',
          '"key"',
          '"token"',
          '"lease"',
        ]);
      } finally {
        f.child.kill('SIGTERM');
      }
      expect((await f.exit()).code).to.equal(130);
      expect(await lockContenders(client, 'cli-json')).to.deep.equal([]);
    });

    it('lock: the global flags apply (a usage error for a bad --ttl or timeout, 3 when unreachable)', async () => {
      const ttl = await run(['lock', 'x', '--ttl', '0', '--', 'true']);
      expect(ttl.code).to.equal(2);
      expect(ttl.stderr).to.include('--ttl');
      const timeout = await run(['lock', 'x', '--', 'true'], undefined, { CONCORD_COMMAND_TIMEOUT: 'soon' });
      expect(timeout.code).to.equal(2);
      expect(timeout.stderr).to.include('--command-timeout: not a duration: soon');
      const nobody = await run([
        'lock',
        'x',
        '--endpoints',
        'http://127.0.0.1:1',
        '--dial-timeout',
        '500ms',
        '--',
        'true',
      ]);
      expect(nobody.code, nobody.stderr).to.equal(3);
      expect(nobody.stderr).to.match(/^concord lock: /);
      expect((await run(['lock'])).code).to.equal(2);
    });

    it('elect NAME PROPOSAL: campaigns, prints the leadership, resigns on SIGTERM (0)', async () => {
      const p = await started(['elect', 'cli-elect', 'me'], 1);
      try {
        expect(lines(p.stdout)[0]).to.match(/^elected: cli-elect = me \(term \d+\)$/);
        expect((await new Election(client, 'cli-elect').leader())?.value).to.equal('me');
      } finally {
        p.child.kill('SIGTERM');
      }
      expect((await p.exit()).code, p.stderr).to.equal(0);
      expect(lines(p.stdout)[1]).to.equal('resigning cli-elect');
      expect(await new Election(client, 'cli-elect').leader()).to.equal(undefined);

      const j = await started(['elect', 'cli-elect', 'you', '-w', 'json'], 1);
      try {
        const e = JSON.parse(j.stdout) as {
          name: string;
          key: string;
          value: string;
          term: number;
          lease: number;
        };
        const leader = (await new Election(client, 'cli-elect').leader())!;
        expect(e).to.deep.equal({
          name: 'cli-elect',
          key: leader.key,
          value: 'you',
          term: leader.revision,
          lease: leader.leaseId,
        });
      } finally {
        j.child.kill('SIGINT');
      }
      expect((await j.exit()).code, j.stderr).to.equal(0);
    });

    it('elect NAME (observe): the leader now, then each change; -w json one object per change; 0 on SIGTERM', async () => {
      const human = await started(['elect', 'cli-watch'], 1);
      const json = await started(['elect', 'cli-watch', '-l', '-w', 'json'], 1);
      try {
        expect(lines(human.stdout)).to.deep.equal(['no leader']);
        expect(JSON.parse(json.stdout)).to.deep.equal({ name: 'cli-watch', leader: null });
        const leadership = await new Election(client, 'cli-watch').campaign('svc-1', { ttlSec: 30 });
        try {
          await eventually('both saw the leader', () =>
            lines(human.stdout).length === 2 && lines(json.stdout).length === 2 ? true : undefined,
          );
          expect(lines(human.stdout)[1]).to.equal(`svc-1 (term ${leadership.revision})`);
          expect(JSON.parse(lines(json.stdout)[1]!)).to.deep.equal({
            name: 'cli-watch',
            leader: {
              key: leadership.key,
              value: 'svc-1',
              term: leadership.revision,
              lease: leadership.session.leaseId,
            },
          });
        } finally {
          await leadership.resign();
        }
        await eventually('both saw the resignation', () =>
          lines(human.stdout).length === 3 && lines(json.stdout).length === 3 ? true : undefined,
        );
        expect(lines(human.stdout)[2]).to.equal('no leader');
      } finally {
        human.child.kill('SIGTERM');
        json.child.kill('SIGTERM');
      }
      expect((await human.exit()).code).to.equal(0);
      expect((await json.exit()).code).to.equal(0);
    });

    it('semaphore set-limit, list, release: human, -w json and -w fields; release of a non-holder exits 1', async () => {
      expect(await ok(['semaphore', 'set-limit', 'ops', '3'])).to.equal('limit 3, 0 holder(s)\n');
      const slot = await new Semaphore(client, 'ops').acquire('host-a');
      expect(await ok(['semaphore', 'list', 'ops'])).to.equal('limit 3, 1 holder(s)\nhost-a\n');
      const j = JSON.parse(await ok(['semaphore', 'list', 'ops', '-w', 'json'])) as {
        name: string;
        limit: number;
        holders: string[];
        revision: number;
      };
      expect([j.name, j.limit, j.holders]).to.deep.equal(['ops', 3, ['host-a']]);
      expect(j.revision).to.be.above(0);
      expect(lines(await ok(['semaphore', 'list', 'ops', '-w', 'fields']))).to.include.members([
        '"limit" : 3',
        '"holders[0]" : "host-a"',
      ]);
      const limit = JSON.parse(await ok(['semaphore', 'set-limit', 'ops', '2', '-w', 'json'])) as {
        limit: number;
      };
      expect(limit.limit).to.equal(2);
      expect(await ok(['semaphore', 'release', 'ops', 'host-a'])).to.equal('released host-a\n');
      // The holder learns that the operator freed its slot.
      await eventually('the slot signal fired', () => (slot.signal.aborted ? true : undefined));
      const again = await run(['semaphore', 'release', 'ops', 'host-a', '-w', 'json']);
      expect(again.code).to.equal(1);
      expect(JSON.parse(again.stdout)).to.deep.equal({ name: 'ops', holder: 'host-a', released: false });
      const bad = await run(['semaphore', 'set-limit', 'ops', 'many']);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/^concord semaphore set-limit: /);
      // A limit the recipe refuses before sending anything: a usage error too.
      expect((await run(['semaphore', 'set-limit', 'ops', '99999'])).code).to.equal(2);
      await slot.release();
    });
  });

  describe('progress on a terminal (defrag --cluster, watch)', () => {
    const exec = promisify(execFile);
    const hasScript = (): Promise<boolean> =>
      exec('script', ['--version']).then(
        () => true,
        () => false,
      );
    /** A shell command line running `concord args…` (single-quoted words). */
    const shellLine = (args: readonly string[]): string =>
      [process.execPath, MAIN, ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');

    it('in a pipe: nothing but the answer (no progress, no terminal codes on stderr)', async () => {
      const defrag = await run(['defrag', '--cluster']);
      expect(defrag.code, defrag.stderr).to.equal(0);
      expect(defrag.stderr).to.equal('');
      expect(lines(defrag.stdout)).to.have.length(3);
      const start = await revisionNow();
      await ok(['put', 'wp/k', '1']);
      const w = new ConcordProcess(['watch', 'wp/k', '--rev', String(start + 1)], {
        env: { ...process.env, CONCORD_ENDPOINTS: endpoints },
      });
      try {
        await eventually('the event', () => (lines(w.stdout).length === 3 ? true : undefined));
      } finally {
        w.child.kill('SIGTERM');
      }
      expect((await w.exit()).code).to.equal(130);
      expect(w.stdout).to.equal('PUT\nwp/k\n1\n');
      expect(w.stderr).to.equal('');
    });

    it('on a terminal: defrag --cluster shows members done / total', async function () {
      if (!(await hasScript())) this.skip(); // util-linux `script` gives the command a terminal.
      const { stdout } = await exec('script', ['-qec', shellLine(['defrag', '--cluster']), '/dev/null'], {
        env: { ...process.env, CONCORD_ENDPOINTS: endpoints },
      });
      expect(stdout).to.include('defrag [').and.include('3/3 members');
      expect(stdout.match(/Finished defragmenting etcd member/g)).to.have.length(3);
    });

    it('on a terminal: watch shows the events and their rate, off the lines of the events', async function () {
      if (!(await hasScript())) this.skip();
      const start = await revisionNow();
      await ok(['put', 'wt/k', 'one']);
      await ok(['put', 'wt/k', 'two']);
      // `exec` keeps the shell's pid for concord, so the test stops exactly the process it started.
      const p = spawn(
        'script',
        [
          '-qec',
          `echo "PID $$"; exec ${shellLine(['watch', 'wt/k', '--rev', String(start + 1)])}`,
          '/dev/null',
        ],
        { env: { ...process.env, CONCORD_ENDPOINTS: endpoints }, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let out = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      let pid: number | undefined;
      try {
        await eventually('the line counts both events', () =>
          out.includes('watch wt/k: 2 events') ? true : undefined,
        );
        pid = Number(/PID (\d+)/.exec(out)?.[1]);
      } finally {
        if (pid !== undefined && pid > 0) process.kill(pid, 'SIGTERM');
        else p.kill('SIGKILL');
        await exited;
      }
      // Every event line starts clean: the status line is cleared before the events are printed.
      const screen = out.replace(/\r\n/g, '\n');
      expect(screen).to.match(/\r\x1b\[2KPUT\nwt\/k\none\n/);
      expect(screen).to.match(/events, \d+\.\d\/s/);
    });
  });

  describe('global flags from the environment', () => {
    it('CONCORD_WRITE_OUT and CONCORD_ENDPOINTS apply; a flag wins over its variable', async () => {
      await ok(['put', 'env/k', 'v']);
      const viaEnv = await ok(['get', 'env/k'], undefined, { CONCORD_WRITE_OUT: 'json' });
      expect(unb64((JSON.parse(viaEnv) as { kvs: JsonKv[] }).kvs[0]!.value)).to.equal('v');
      expect(await ok(['get', 'env/k', '-w', 'simple'], undefined, { CONCORD_WRITE_OUT: 'json' })).to.equal(
        'env/k\nv\n',
      );
      // A variable naming nobody, overridden by the flag.
      expect(
        await ok(['get', 'env/k', '--print-value-only', '--endpoints', endpoints], undefined, {
          CONCORD_ENDPOINTS: 'http://127.0.0.1:1',
        }),
      ).to.equal('v\n');
      const bad = await run(['get', 'env/k'], undefined, { CONCORD_COMMAND_TIMEOUT: 'soon' });
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.include('--command-timeout: not a duration: soon');
      expect(
        await ok(['get', 'env/k', '--command-timeout', '3s', '--print-value-only'], undefined, {
          CONCORD_COMMAND_TIMEOUT: 'soon',
        }),
      ).to.equal('v\n');
    });
  });

  describe('completion', () => {
    const exec = promisify(execFile);
    /** What bash's completion offers for these words (the last one is being completed). */
    async function complete(...words: string[]): Promise<string[]> {
      const script = [
        `source <("${process.execPath}" "${MAIN}" completion bash)`,
        `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
        `COMP_CWORD=${words.length - 1}`,
        '_concord',
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join('\n');
      const { stdout } = await exec('bash', ['-c', script]);
      return lines(stdout);
    }

    it('the bash script offers every command and every subcommand of the commander tree', async () => {
      expect(await complete('concord', '')).to.deep.equal(COMMANDS.map((c) => c.name));
      for (const group of declareVerbs().commands.filter((c) => c.commands.length > 0))
        expect(await complete('concord', group.name(), ''), group.name()).to.deep.equal(
          group.commands.map((c) => c.name()),
        );
      expect(await complete('concord', 'semaphore', '')).to.deep.equal(['list', 'set-limit', 'release']);
    });

    it("the bash script offers a verb's flags and a flag's values", async () => {
      expect(await complete('concord', 'get', '--so')).to.deep.equal(['--sort-by']);
      expect(await complete('concord', 'get', '--sort-by', '')).to.deep.equal([
        'KEY',
        'VERSION',
        'CREATE',
        'MODIFY',
        'VALUE',
      ]);
      expect(await complete('concord', 'txn', '-w', 'j')).to.deep.equal(['json']);
      expect(await complete('concord', 'lease', 'keep-alive', '--o')).to.deep.equal(['--once']);
      expect(await complete('concord', 'serve', '--initial-cluster-s')).to.deep.equal([
        '--initial-cluster-state',
      ]);
      expect(await complete('concord', 'completion', '')).to.deep.equal([]);
      // The recipe verbs are in the commander tree too: their own flags and the global ones.
      expect(await complete('concord', 'lock', '--t')).to.deep.equal(['--ttl']);
      expect(await complete('concord', 'elect', '--l')).to.deep.equal(['--listen']);
      expect(await complete('concord', 'semaphore', 'release', '--endp')).to.deep.equal(['--endpoints']);
      expect(await complete('concord', 'lock', '-w', 'f')).to.deep.equal(['fields']);
    });

    it('the zsh script declares the same tree', async () => {
      const zsh = await ok(['completion', 'zsh']);
      expect(zsh.split('\n')[0]).to.equal('#compdef concord');
      const top = /^ {4}''\) echo '([^']*)' ;;$/m.exec(zsh);
      expect(top?.[1]?.split(' ')).to.deep.equal(COMMANDS.map((c) => c.name));
      for (const group of declareVerbs().commands.filter((c) => c.commands.length > 0))
        expect(zsh).to.include(
          `'${group.name()}') echo '${group.commands.map((c) => c.name()).join(' ')}' ;;`,
        );
      // zsh's $path is PATH: the script must not use it as a variable.
      expect(zsh).to.not.match(/local [^\n]*\bpath\b/);
    });

    it('the zsh script completes in zsh (where zsh is installed)', async function () {
      const zsh = await exec('zsh', ['-c', 'true']).then(
        () => true,
        () => false,
      );
      if (!zsh) this.skip(); // .ci/run installs no zsh; the script's text is checked above.
      // zsh's completion builtins replaced by stubs that print what they were given.
      const script = [
        'compdef() { :; }',
        'compadd() { shift; print -r -- "$@"; }',
        '_describe() { print -rl -- "${(@P)2}"; }',
        '_files() { print files; }',
        '_message() { print message; }',
        '_command_names() { print commands; }',
        `source <("${process.execPath}" "${MAIN}" completion zsh)`,
        't() { words=("$@"); CURRENT=${#words}; _concord; }',
        't concord ""; print -r -- SEP; t concord endpoint ""; print -r -- SEP; t concord get -w ""; print -r -- SEP',
        't concord put --cert ""; print -r -- SEP; t concord watch k -- ""',
      ].join('\n');
      const { stdout } = await exec('zsh', ['-c', script]);
      const [top, endpoint, formats, cert, after] = stdout.split('SEP\n').map((b) => lines(b));
      expect(top!.map((l) => l.split(':')[0])).to.deep.equal(COMMANDS.map((c) => c.name));
      expect(endpoint!.map((l) => l.split(':')[0])).to.deep.equal(['status', 'health', 'hashkv']);
      expect(formats).to.deep.equal(['simple json fields table']);
      expect(cert).to.deep.equal(['files']);
      expect(after).to.deep.equal(['commands']);
    });

    it('an unknown shell is a usage error', async () => {
      const r = await run(['completion', 'fish']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include("'fish' is invalid");
    });
  });
});
