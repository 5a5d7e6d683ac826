/**
 * The maintenance and membership verbs of `concord` as an operator runs them: the real binary
 * against a real 3-member cluster, human output and `-w json` for each of `endpoint hashkv
 * --cluster`, `alarm list|disarm`, `defrag [--cluster]`, `move-leader`, and `member
 * add|promote|update|remove`.
 */
import { expect } from 'chai';
import { ClusterHarness } from '../cluster/harness.js';
import { prepareJoiner, type Joiner } from '../cluster/join.js';
import { eventually } from '../helpers/eventually.js';
import { ConcordProcess } from './concord-process.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

async function concord(endpoint: string, args: readonly string[]): Promise<Run> {
  const p = new ConcordProcess(args, {
    env: { ...process.env, CONCORD_ENDPOINTS: endpoint },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { code } = await p.exit();
  return { code, stdout: p.stdout, stderr: p.stderr };
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const hex = (id: number): string => id.toString(16);

describe('concord maintenance verbs against a 3-member cluster', function () {
  this.timeout(120_000);
  let cluster: ClusterHarness;
  let first: string;
  const ok = async (args: readonly string[], endpoint = first): Promise<string> => {
    const r = await concord(endpoint, args);
    expect(r.code, `concord ${args.join(' ')}\n${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  /** Member name → id, from `member list -w json`. */
  const ids = async (): Promise<Map<string, number>> => {
    const j = JSON.parse(await ok(['member', 'list', '-w', 'json'])) as {
      members: { ID: number; name?: string }[];
    };
    return new Map(j.members.map((m) => [m.name ?? '', m.ID]));
  };

  before(async () => {
    cluster = await ClusterHarness.start({ size: 3 });
    await cluster.waitForLeader();
    first = cluster.members[0]!.clientUrl;
    await eventually('client URLs published', async () => {
      const list = await cluster.request<{ members?: { clientURLs?: string[] }[] }>(
        'm1',
        '/v3/cluster/member/list',
        { linearizable: true },
      );
      return (list.members ?? []).every((m) => (m.clientURLs ?? []).length > 0) ? true : undefined;
    });
  });
  const joiners: Joiner[] = [];
  after(async () => {
    await cluster?.stop();
    for (const j of joiners) await j.cleanup();
  });

  it('endpoint hashkv --cluster: one hash per member, all equal; -w json and -w table agree', async () => {
    for (let i = 0; i < 5; i++) await ok(['put', `hk/${i}`, 'v']);
    // Several members and no -w: a table (issue 17's multi-member answers); -w simple: lines.
    const byDefault = lines(await ok(['endpoint', 'hashkv', '--cluster']));
    expect(byDefault[1]).to.match(/\| ENDPOINT +\| HASH +\| HASH REVISION +\| COMPACT REVISION \|/);
    const human = lines(await ok(['endpoint', 'hashkv', '--cluster', '-w', 'simple']));
    expect(human).to.have.length(3);
    for (const m of cluster.members)
      expect(human.some((l) => l.startsWith(`${m.clientUrl}, `))).to.equal(true);
    const hashes = new Set(human.map((l) => l.split(', ')[1]));
    expect(hashes.size, human.join('\n')).to.equal(1);
    const json = JSON.parse(await ok(['endpoint', 'hashkv', '--cluster', '-w', 'json'])) as {
      Endpoint: string;
      HashKV: { hash: number; hash_revision: number; header: { member_id: number } };
    }[];
    expect(json).to.have.length(3);
    expect(new Set(json.map((j) => j.HashKV.header.member_id)).size).to.equal(3);
    expect(json.map((j) => String(j.HashKV.hash))).to.deep.equal([...hashes, ...hashes, ...hashes]);
    const t = await ok(['endpoint', 'hashkv', '--cluster', '-w', 'table']);
    expect(lines(t)[1]).to.match(/\| ENDPOINT +\| HASH +\| HASH REVISION +\| COMPACT REVISION \|/);
    // -w fields: one block per endpoint, an empty line between, the same hash in each.
    const f = await ok(['endpoint', 'hashkv', '--cluster', '-w', 'fields']);
    expect(f.split('\n\n')).to.have.length(3);
    expect(lines(f).filter((l) => l.startsWith('"Hash" : '))).to.deep.equal(
      [...hashes, ...hashes, ...hashes].map((h) => `"Hash" : ${h}`),
    );
  });

  it('alarm list and alarm disarm, human and -w json', async () => {
    expect(await ok(['alarm', 'list'])).to.equal('');
    const raised = await cluster.request<{ alarms: { memberID: string }[] }>('m2', '/v3/maintenance/alarm', {
      action: 'ACTIVATE',
      alarm: 'NOSPACE',
    });
    const id = raised.alarms[0]!.memberID;
    expect(await ok(['alarm', 'list'])).to.equal(`memberID:${id} alarm:NOSPACE \n`);
    const listed = JSON.parse(await ok(['alarm', 'list', '-w', 'json'])) as {
      header: { cluster_id: number };
      alarms: { memberID: number; alarm: string }[];
    };
    expect(listed.alarms).to.deep.equal([{ memberID: Number(id), alarm: 'NOSPACE' }]);
    const f = lines(await ok(['alarm', 'list', '-w', 'fields']));
    expect(f.slice(-2)).to.deep.equal([`"MemberID" : ${id}`, '"AlarmType" : NOSPACE']);
    const disarmed = JSON.parse(await ok(['alarm', 'disarm', '-w', 'json'])) as {
      alarms: { memberID: number; alarm: string }[];
    };
    expect(disarmed.alarms).to.deep.equal([{ memberID: Number(id), alarm: 'NOSPACE' }]);
    expect(await ok(['alarm', 'list', '-w', 'json'])).to.not.include('alarms');
    // Human disarm of nothing prints nothing and succeeds.
    expect(await ok(['alarm', 'disarm'])).to.equal('');
  });

  it('defrag and defrag --cluster, human and -w json', async () => {
    expect(await ok(['defrag'])).to.equal(`Finished defragmenting etcd member[${first}]\n`);
    const all = lines(await ok(['defrag', '--cluster'])).sort();
    expect(all).to.deep.equal(
      cluster.members.map((m) => `Finished defragmenting etcd member[${m.clientUrl}]`).sort(),
    );
    const json = JSON.parse(await ok(['defrag', '--cluster', '-w', 'json'])) as {
      Endpoint: string;
      header: { member_id: number };
    }[];
    expect(json.map((j) => j.Endpoint).sort()).to.deep.equal(cluster.members.map((m) => m.clientUrl).sort());
    const f = lines(await ok(['defrag', '--cluster', '-w', 'fields']));
    expect(
      f
        .filter((l) => l.startsWith('"Endpoint" : '))
        .map((l) => JSON.parse(l.slice(13)) as string)
        .sort(),
    ).to.deep.equal(cluster.members.map((m) => m.clientUrl).sort());
  });

  it('move-leader: to a follower (human), back (-w json); a learner or stranger is refused', async () => {
    const members = await ids();
    const leader = await cluster.waitForLeader();
    const target = cluster.members.find((m) => m.name !== leader)!.name;
    expect(await ok(['move-leader', hex(members.get(target)!)])).to.equal(
      `Leadership transferred from ${hex(members.get(leader)!)} to ${hex(members.get(target)!)}\n`,
    );
    expect(await cluster.waitForLeader()).to.equal(target);
    const back = JSON.parse(await ok(['move-leader', hex(members.get(leader)!), '-w', 'json'])) as {
      header: { member_id: number };
    };
    expect(back.header.member_id).to.be.a('number');
    expect(await cluster.waitForLeader()).to.equal(leader);
    const stranger = await concord(first, ['move-leader', 'abcdef']);
    expect(stranger.code).to.equal(1);
    expect(stranger.stderr).to.contain('concord move-leader: ');
    expect(stranger.stderr).to.contain('not in the cluster');
    const bad = await concord(first, ['move-leader', 'xyz']);
    expect(bad.code).to.equal(2);
  });

  it('member add --learner, promote, update, remove: human and -w json', async () => {
    // A learner that never starts: it can be added, updated and removed (not promoted: not caught up).
    const add = await ok(['member', 'add', 'm4', '--peer-urls=http://127.0.0.9:2380', '--learner']);
    const added = /^Member ([0-9a-f]+) added to cluster ([0-9a-f]+)$/m.exec(add);
    expect(added, add).to.not.equal(null);
    expect(add).to.include('CONCORD_NAME="m4"');
    expect(add).to.include('CONCORD_INITIAL_CLUSTER_STATE="existing"');
    expect(add).to.match(/CONCORD_INITIAL_CLUSTER=".*m4=http:\/\/127\.0\.0\.9:2380.*"/);
    const id = added![1]!;
    // LEARNER_NOT_READY is retryable: the SDK retries until the command timeout.
    const promote = await concord(first, ['member', 'promote', id, '--command-timeout', '1s']);
    expect(promote.code, promote.stderr).to.equal(4);
    expect(promote.stderr).to.match(/^concord member promote: /);
    expect(await ok(['member', 'update', id, '--peer-urls=http://127.0.0.9:2390'])).to.equal(
      `Member ${id} updated in cluster ${added![2]!}\n`,
    );
    const updated = JSON.parse(
      await ok(['member', 'update', id, '--peer-urls=http://127.0.0.9:2390', '-w', 'json']),
    ) as { header: { cluster_id: number; revision?: number } };
    expect(hex(updated.header.cluster_id)).to.equal(added![2]!);
    const list = JSON.parse(await ok(['member', 'list', '-w', 'json'])) as {
      members: { ID: number; peerURLs: string[]; isLearner?: boolean }[];
    };
    const m4 = list.members.find((m) => hex(m.ID) === id)!;
    expect(m4.peerURLs).to.deep.equal(['http://127.0.0.9:2390']);
    expect(m4.isLearner).to.equal(true);
    const removed = JSON.parse(await ok(['member', 'remove', id, '-w', 'json'])) as {
      header: { cluster_id: number };
    };
    expect(hex(removed.header.cluster_id)).to.equal(added![2]!);
    expect((await ids()).size).to.equal(3);
    const again = await concord(first, ['member', 'remove', id]);
    expect(again.code).to.equal(6);
    // A json add answers the new member and the list.
    const j = JSON.parse(
      await ok(['member', 'add', 'm5', '--peer-urls=http://127.0.0.9:2391', '--learner', '-w', 'json']),
    ) as {
      member: { ID: number; isLearner: boolean };
      members: unknown[];
    };
    expect(j.member.isLearner).to.equal(true);
    expect(j.members).to.have.length(4);
    expect(await ok(['member', 'remove', hex(j.member.ID)])).to.match(
      /^Member [0-9a-f]+ removed from cluster [0-9a-f]+\n$/,
    );
  });

  it('member promote of a learner that caught up: human, then -w json for a second one', async () => {
    /** Adds a learner with the CLI, starts it, and promotes it with the CLI once it caught up. */
    const promoteNew = async (
      name: string,
      host: string,
      format: string[],
    ): Promise<{ id: string; out: string }> => {
      const joiner = await prepareJoiner(cluster, name, host);
      joiners.push(joiner);
      const add = JSON.parse(
        await ok(['member', 'add', name, `--peer-urls=${joiner.peerUrl}`, '--learner', '-w', 'json']),
      ) as { member: { ID: number } };
      const id = hex(add.member.ID);
      // The original members: a removed joiner must not be in the new one's --initial-cluster.
      joiner.start(cluster.members.slice(0, 3));
      // LEARNER_NOT_READY (exit 4) until it caught up: the operator retries.
      const out = await eventually(
        `${name} promoted`,
        async () => {
          const r = await concord(first, ['member', 'promote', id, '--command-timeout', '2s', ...format]);
          if (r.code === 4) return undefined;
          expect(r.code, r.stderr).to.equal(0);
          return r.stdout;
        },
        { timeoutMs: 60_000 },
      );
      const list = JSON.parse(await ok(['member', 'list', '-w', 'json'])) as {
        members: { ID: number; isLearner?: boolean }[];
      };
      expect(list.members.find((m) => m.ID === add.member.ID)?.isLearner).to.equal(undefined);
      return { id, out };
    };
    const human = await promoteNew('m6', '127.0.0.6', []);
    expect(human.out).to.match(new RegExp(`^Member ${human.id} promoted in cluster [0-9a-f]+\\n$`));
    expect(await ok(['member', 'remove', human.id])).to.match(/ removed from cluster /);
    const json = await promoteNew('m7', '127.0.0.7', ['-w', 'json']);
    const j = JSON.parse(json.out) as { header: { cluster_id: number; member_id: number } };
    expect(j.header.cluster_id).to.be.above(0);
    expect((await ids()).size).to.equal(4);
  });
});
