/**
 * The `etcd3` npm client (a devDependency), unmodified, against a 3-member Concord and, as the
 * control, a 3-member etcd 3.4 (Debian's etcd-server) started with the same flags: one test body,
 * two targets. KV and txn, a lease kept alive past its TTL, a prefix watch that survives the
 * leader's death, and the client's own lock and election (built on KV, leases and watches).
 *
 * Without etcd the control half cannot run: under CI (CI=true) that is a failure, since .ci/run
 * installs it; elsewhere that half is skipped with a loud message saying how to install it.
 */
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { eventually } from '../../helpers/eventually.js';
import { LocalCluster, requireEtcd, type ClusterKind } from '../../helpers/local-cluster.js';

interface StatusAnswer {
  readonly header: { readonly member_id: string };
  readonly leader: string;
}

/** The member every running member names as leader (asked over the JSON gateway both serve). */
async function leaderOf(cluster: LocalCluster): Promise<string> {
  return eventually('one leader named by every member', async () => {
    const leaders = new Set<string>();
    const names = new Map<string, string>();
    for (const m of cluster.members) {
      if (m.process?.exitCode !== null) continue;
      const res = await fetch(`http://${m.endpoint}/v3/maintenance/status`, { method: 'POST', body: '{}' });
      const s = (await res.json()) as StatusAnswer;
      leaders.add(s.leader);
      names.set(s.header.member_id, m.name);
    }
    const [only] = [...leaders];
    return leaders.size === 1 && only !== undefined && only !== '0' ? names.get(only) : undefined;
  });
}

for (const kind of ['concord', 'etcd'] as const satisfies readonly ClusterKind[]) {
  describe(`the etcd3 npm client against a 3-member ${kind === 'etcd' ? 'etcd 3.4 (control)' : 'Concord'}`, function () {
    this.timeout(180_000);
    let cluster: LocalCluster;
    let client: Etcd3;

    before(async function () {
      if (kind === 'etcd') requireEtcd(this);
      cluster = await LocalCluster.start(kind, 3);
      client = new Etcd3({ hosts: cluster.endpoints.map((e) => `http://${e}`) });
    });
    after(async () => {
      client?.close();
      await cluster?.stop();
    });

    it('puts, gets and runs a txn', async () => {
      await client.put('n/a').value('1');
      expect(await client.get('n/a').string()).to.equal('1');
      const res = await client
        .if('n/a', 'Value', '==', '1')
        .then(client.put('n/a').value('2'))
        .else(client.put('n/b').value('x'))
        .commit();
      expect(res.succeeded).to.equal(true);
      expect(await client.getAll().prefix('n/').strings()).to.deep.equal({ 'n/a': '2' });
      const failed = await client
        .if('n/a', 'Value', '==', '1')
        .then(client.put('n/a').value('3'))
        .else(client.get('n/a'))
        .commit();
      expect(failed.succeeded).to.equal(false);
      expect(failed.responses[0]?.response_range?.kvs[0]?.value.toString()).to.equal('2');
      expect(await client.delete().prefix('n/')).to.include({ deleted: '1' });
    });

    it('keeps a lease alive past its TTL', async () => {
      const lease = client.lease(2, { autoKeepAlive: true });
      let renewals = 0;
      let grantedTtlSec = 0;
      lease.on('keepaliveSucceeded', (res) => {
        renewals++;
        grantedTtlSec = Number(res.TTL);
      });
      try {
        await lease.put('n/leased').value('v');
        const putAt = Date.now();
        // What is tested is survival past the granted TTL, so the wait is for that time to pass
        // with renewals answered (a member may grant more than the 2 s asked for).
        await eventually(
          'renewals past the granted TTL',
          () => (renewals >= 2 && Date.now() - putAt > grantedTtlSec * 1000 + 500 ? true : undefined),
          { timeoutMs: 30_000 },
        );
        expect(await client.get('n/leased').string()).to.equal('v');
      } finally {
        await lease.revoke();
      }
      expect(await client.get('n/leased').string()).to.equal(null);
    });

    it('locks: a second acquire fails while the first holds the lock, succeeds after release', async () => {
      // etcd3's lock is a try-lock: a key created only if absent, bound to a lease.
      const first = client.lock('n/lock');
      await first.acquire();
      const refused = await client
        .lock('n/lock')
        .acquire()
        .then(
          () => 'acquired',
          (err: Error) => err.message,
        );
      expect(refused).to.equal('Failed to acquire a lock on n/lock');
      await first.release();
      const ran = await client.lock('n/lock').do(() => 'ran');
      expect(ran).to.equal('ran');
      expect(await client.getAll().prefix('n/lock').keys()).to.deep.equal([]);
    });

    it('elects: an observer sees the leader, then the next one after a resign', async () => {
      const election = client.election('n/election', 5);
      const a = election.campaign('a');
      await new Promise<void>((resolve, reject) => a.once('elected', () => resolve()).once('error', reject));
      const observer = await election.observe();
      const seen: (string | undefined)[] = [observer.leader()];
      observer.on('change', (v) => seen.push(v));
      const b = election.campaign('b');
      const bElected = new Promise<void>((resolve, reject) =>
        b.once('elected', () => resolve()).once('error', reject),
      );
      await a.resign();
      await bElected;
      await eventually('the observer saw b', () => (seen.includes('b') ? true : undefined));
      expect(seen[0]).to.equal('a');
      expect(seen.filter((v) => v !== undefined).slice(-1)).to.deep.equal(['b']);
      await b.resign();
      await observer.cancel();
    });

    // Last: it kills a member.
    it('a prefix watch survives the leader being killed, without losing or repeating events', async () => {
      const watcher = await client.watch().prefix('nw/').create();
      const seen: string[] = [];
      watcher.on('put', (kv) => seen.push(`${kv.key.toString()}=${kv.value.toString()}`));
      watcher.on('delete', (kv) => seen.push(`-${kv.key.toString()}`));
      try {
        await client.put('nw/1').value('a');
        await client.put('other').value('b');
        await client.delete().key('nw/1');
        await eventually('two events', () => (seen.length >= 2 ? true : undefined));
        const leader = await leaderOf(cluster);
        await cluster.stopMember(leader, 'SIGKILL');
        await leaderOf(cluster);
        // The client retries on the members left (a call may land on the dead one first).
        await eventually(
          'a write after the kill',
          async () => {
            await client.put('nw/2').value('c');
            return true;
          },
          { timeoutMs: 30_000, intervalMs: 500 },
        );
        await eventually('the event after the kill', () => (seen.includes('nw/2=c') ? true : undefined), {
          timeoutMs: 30_000,
        });
        expect(seen).to.deep.equal(['nw/1=a', '-nw/1', 'nw/2=c']);
      } finally {
        await watcher.cancel();
      }
    });
  });
}
