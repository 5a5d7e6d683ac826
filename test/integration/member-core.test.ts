/**
 * Three member cores in one process over the real peer transport on loopback and real storage in
 * a temporary directory: the composition works end to end before the client API is on top.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApplyResult } from '../../server/apply/index.js';
import type { Snapshot } from '../../server/raft/types.js';
import { loadConfig } from '../../server/cli/config.js';
import { MemberBackend } from '../../server/member/backend.js';
import { proposeCommand, startCore, stopCore, type MemberCore } from '../../server/member/member.js';
import { noopLogger } from '../../server/platform/logger.js';
import { framedSizeBytes } from '../../client/protocol/index.js';
import { eventually } from '../helpers/eventually.js';
import { unframeSnapshot } from '../helpers/snapshot-file.js';
import { freePort } from '../helpers/ports.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);

describe('member core (3 in-process members)', function () {
  this.timeout(60_000);
  let root: string;
  let argvs: string[][];
  const cores = new Map<string, MemberCore>();

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'concord-core-'));
    const ports = await Promise.all([1, 2, 3].map(() => freePort()));
    const cluster = ports.map((p, i) => `m${i + 1}=http://127.0.0.1:${p}`).join(',');
    argvs = ports.map((p, i) => [
      `--name=m${i + 1}`,
      `--data-dir=${join(root, `m${i + 1}`)}`,
      `--listen-peer-urls=http://127.0.0.1:${p}`,
      `--initial-cluster=${cluster}`,
      '--heartbeat-interval=20',
      '--election-timeout=200',
      '--snapshot-count=50',
      '--snapshot-catchup-entries=10',
    ]);
    for (const argv of argvs) {
      const config = loadConfig(argv);
      cores.set(config.name, await startCore(config, noopLogger));
    }
  });

  after(async () => {
    for (const core of cores.values()) await stopCore(core);
    rmSync(root, { recursive: true, force: true });
  });

  const leader = (): MemberCore | undefined => [...cores.values()].find((c) => c.replica.isLeader());

  it('elects a leader, learns every member from the bootstrap entries and replicates writes', async () => {
    const l = await eventually('a leader', () => leader());
    expect(l.replica.memberList().map((m) => m.name)).to.deep.equal(
      [...l.replica.memberList()].sort((a, b) => a.id - b.id).map((m) => m.name),
    );
    expect(l.replica.memberList()).to.have.length(3);
    const result: ApplyResult = await proposeCommand(l.replica, {
      type: 'put',
      request: { key: enc('k'), value: enc('v') },
    });
    expect(result.status).to.equal('ok');
    await eventually('every member applied the put', () =>
      [...cores.values()].every((c) => dec(c.machine.range({ key: enc('k') }).kvs[0]?.value) === 'v')
        ? true
        : undefined,
    );
  });

  it('forwards a write made on a follower and serves a linearizable read there', async () => {
    const follower = [...cores.values()].find((c) => !c.replica.isLeader())!;
    await proposeCommand(follower.replica, { type: 'put', request: { key: enc('f'), value: enc('1') } });
    await follower.replica.linearizableRead();
    expect(dec(follower.machine.range({ key: enc('f') }).kvs[0]?.value)).to.equal('1');
  });

  it("streams a client snapshot of a member's state from a pinned view, chunk by chunk", async () => {
    const l = await eventually('a leader', () => leader());
    const backend = new MemberBackend(l);
    const snap = await backend.snapshot({});
    const expected = l.machine.snapshot();
    const parts: Uint8Array[] = [];
    for await (const chunk of snap.chunks) parts.push(chunk);
    expect(snap.sizeBytes).to.equal(framedSizeBytes(expected.length));
    expect(Buffer.compare(unframeSnapshot(Buffer.concat(parts)), expected)).to.equal(0);
  });

  it('survives a restart of a member that missed a snapshot-count of writes (catches up by snapshot)', async () => {
    const follower = [...cores.values()].find((c) => !c.replica.isLeader())!;
    const name = follower.config.name;
    await stopCore(follower);
    cores.delete(name);
    const l = await eventually('a leader', () => leader());
    for (let i = 0; i < 120; i++)
      await proposeCommand(l.replica, { type: 'put', request: { key: enc(`s${i}`), value: enc(String(i)) } });
    expect(l.replica.status().snapshotIndex).to.be.greaterThan(50);
    const restarted = await startCore(loadConfig(argvs.find((a) => a[0] === `--name=${name}`)!), noopLogger);
    cores.set(name, restarted);
    await eventually('the restarted member caught up', () =>
      dec(restarted.machine.range({ key: enc('s119') }).kvs[0]?.value) === '119' ? true : undefined,
    );
    expect(restarted.replica.stats().snapshotsRestored).to.be.greaterThan(0);
    await eventually('equal state hashes', () =>
      restarted.machine.hash() === l.machine.hash() ? true : undefined,
    );
    // The snapshot was streamed from the leader's file into the follower's snap directory, where
    // it was renamed into place: no temporary file is left, and the member boots from it again.
    expect(
      l.transport.stats().peers.find((p) => p.id === restarted.config.memberId)?.snapshotsSent,
    ).to.be.greaterThan(0);
    const restoredAt = restarted.replica.status().snapshotIndex;
    // Raft keeps the received snapshot (to send on, should this member lead) without its data,
    // which stays in its file: the member does not hold the whole image until its next snapshot.
    const raftLog = (restarted.replica as unknown as { node: { raft: { log: { snapshot: Snapshot } } } }).node
      .raft.log;
    expect(raftLog.snapshot.metadata.index).to.equal(restoredAt);
    expect(raftLog.snapshot.data.length).to.equal(0);
    const snapDir = join(restarted.config.dataDir, 'snap');
    const files = readdirSync(snapDir);
    expect(files.filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
    expect(files.some((f) => f.endsWith(`-${restoredAt.toString(16).padStart(16, '0')}.snap`))).to.equal(
      true,
    );
    const hash = l.machine.hash();
    await stopCore(restarted);
    cores.delete(name);
    const again = await startCore(loadConfig(argvs.find((a) => a[0] === `--name=${name}`)!), noopLogger);
    cores.set(name, again);
    expect(again.replica.status().snapshotIndex).to.be.at.least(restoredAt);
    await eventually('the rebooted member has the same state', () =>
      again.machine.hash() === hash ? true : undefined,
    );
  });
});
