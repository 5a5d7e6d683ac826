/** Loopback: snapshot streaming in chunks on a dedicated connection, success and failure reports. */
import { expect } from 'chai';
import type { MsgSnap } from '../../server/raft/types.js';
import WebSocket from 'ws';
import { CloseCode, decodeFrame, encodeFrame } from '../../server/transport/index.js';
import {
  CLUSTER,
  closedPortUrl,
  ControlledTimers,
  FakePeer,
  heartbeat,
  meshAll,
  Member,
  Signal,
} from './harness.js';

const MiB = 1024 * 1024;

function snapshotMessage(from: number, to: number, sizeBytes: number): MsgSnap {
  const data = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) data[i] = (i * 31 + (i >>> 11)) & 0xff;
  return {
    type: 'MsgSnap',
    from,
    to,
    term: 4,
    snapshot: { metadata: { index: 5_000, term: 3, confState: { voters: [1, 2, 3], learners: [] } }, data },
  };
}

const small = { maxFrameBytes: 1 * MiB, snapshotChunkBytes: 256 * 1024 };

describe('PeerTransport (loopback snapshots)', function () {
  this.timeout(20_000);
  const signal = new Signal();
  let members: Member[] = [];
  let fakes: FakePeer[] = [];

  afterEach(async () => {
    await Promise.all(members.map((m) => m.transport.close()));
    await Promise.all(fakes.map((f) => f.close()));
    members = [];
    fakes = [];
  });

  context('when the receiver accepts it', () => {
    it('streams a multi-MB snapshot in chunks and reports success', async () => {
      const a = await Member.start(1, signal, small);
      const b = await Member.start(2, signal, small);
      members = [a, b];
      meshAll(members);
      const msg = snapshotMessage(1, 2, 6 * MiB + 123);
      a.transport.send([msg]);
      await signal.until(() => a.snapshotStatus.length === 1, 'snapshot status');
      expect(a.snapshotStatus).to.deep.equal([{ to: 2, ok: true }]);
      expect(b.inbox).to.have.length(1);
      const got = b.inbox[0] as MsgSnap;
      expect(got.type).to.equal('MsgSnap');
      expect(got.snapshot.metadata).to.deep.equal(msg.snapshot.metadata);
      expect(Buffer.compare(got.snapshot.data, msg.snapshot.data)).to.equal(0);
      expect(a.peerStats(2)).to.deep.include({ snapshotsSent: 1, snapshotsFailed: 0 });
      expect(b.peerStats(1)).to.deep.include({ snapshotsReceived: 1 });
    });

    it('keeps the message stream flowing during a transfer', async () => {
      const a = await Member.start(1, signal, small);
      const b = await Member.start(2, signal, small);
      members = [a, b];
      meshAll(members);
      await a.connect(b);
      a.transport.send([snapshotMessage(1, 2, 4 * MiB), heartbeat(1, 2, 11)]);
      await signal.until(() => b.inbox.length === 2, 'snapshot and heartbeat');
      // The heartbeat did not wait behind the snapshot's chunks.
      expect(b.inbox.map((m) => m.type)).to.deep.equal(['MsgHeartbeat', 'MsgSnap']);
    });

    it('drops a second MsgSnap to the same peer while one is in flight', async () => {
      const a = await Member.start(1, signal, small);
      const b = await Member.start(2, signal, small);
      members = [a, b];
      meshAll(members);
      a.transport.send([snapshotMessage(1, 2, 1 * MiB), snapshotMessage(1, 2, 1 * MiB)]);
      await signal.until(() => a.snapshotStatus.length === 1, 'one status');
      expect(b.inbox.filter((m) => m.type === 'MsgSnap')).to.have.length(1);
      expect(a.peerStats(2)?.droppedMessages).to.equal(1);
    });
  });

  context('when the transfer fails', () => {
    it('reports failure when the snapshot exceeds the receiver maxSnapshotBytes', async () => {
      const a = await Member.start(1, signal, small);
      const b = await Member.start(2, signal, { ...small, maxSnapshotBytes: 1 * MiB });
      members = [a, b];
      meshAll(members);
      a.transport.send([snapshotMessage(1, 2, 2 * MiB)]);
      await signal.until(() => a.snapshotStatus.length === 1, 'snapshot status');
      expect(a.snapshotStatus).to.deep.equal([{ to: 2, ok: false }]);
      expect(a.logger.has('warn', 'snapshot failed', (f) => /exceeds/.test(String(f['reason'])))).to.equal(
        true,
      );
      expect(b.inbox).to.have.length(0);
    });

    it('reports failure when the peer cannot be dialled', async () => {
      const a = await Member.start(1, signal, small);
      members = [a];
      a.transport.addPeer(2, [await closedPortUrl()]);
      a.transport.send([snapshotMessage(1, 2, 1 * MiB)]);
      await signal.until(() => a.snapshotStatus.length === 1, 'snapshot status');
      expect(a.snapshotStatus).to.deep.equal([{ to: 2, ok: false }]);
      expect(a.peerStats(2)?.snapshotsFailed).to.equal(1);
    });

    it('reports failure when the connection drops mid-transfer', async () => {
      const a = await Member.start(1, signal, small);
      const cutter = await FakePeer.start(2, signal, (ws, path) => {
        if (path !== '/raft/snapshot') return;
        ws.on('message', (data: Buffer) => {
          if (decodeFrame(new Uint8Array(data), 2 * MiB).kind === 'snapChunk') ws.terminate();
        });
      });
      members = [a];
      fakes = [cutter];
      a.transport.addPeer(2, [cutter.url]);
      a.transport.send([snapshotMessage(1, 2, 3 * MiB)]);
      await signal.until(() => a.snapshotStatus.length === 1, 'snapshot status');
      expect(a.snapshotStatus).to.deep.equal([{ to: 2, ok: false }]);
      expect(
        a.logger.has('warn', 'snapshot failed', (f) => /closed before ack/.test(String(f['reason']))),
      ).to.equal(true);
    });

    it('reports failure when the receiver never acknowledges within snapshotIdleTimeoutMs', async () => {
      const idleMs = 123_456;
      const timers = new ControlledTimers(idleMs);
      const a = await Member.start(1, signal, { ...small, timers, snapshotIdleTimeoutMs: idleMs });
      const silent = await FakePeer.start(2, signal); // reads everything, never acks
      members = [a];
      fakes = [silent];
      a.transport.addPeer(2, [silent.url]);
      a.transport.send([snapshotMessage(1, 2, 1 * MiB)]);
      const sawEnd = (): boolean => silent.frames.some((f) => f[3] === 5);
      await signal.until(sawEnd, 'all chunks and the end frame written');
      expect(a.snapshotStatus).to.have.length(0);
      expect(timers.heldCount).to.equal(1);
      timers.fireHeld();
      expect(a.snapshotStatus).to.deep.equal([{ to: 2, ok: false }]);
      expect(
        a.logger.has('warn', 'snapshot failed', (f) => /no progress/.test(String(f['reason']))),
      ).to.equal(true);
    });

    it('reports failure when the peer is removed during the transfer', async () => {
      const a = await Member.start(1, signal, small);
      const silent = await FakePeer.start(2, signal);
      members = [a];
      fakes = [silent];
      a.transport.addPeer(2, [silent.url]);
      a.transport.send([snapshotMessage(1, 2, 1 * MiB)]);
      await signal.until(() => silent.frames.length > 0, 'transfer started');
      a.transport.removePeer(2);
      expect(a.snapshotStatus).to.deep.equal([{ to: 2, ok: false }]);
    });
  });
});

describe('PeerTransport (loopback snapshot receiver limits)', function () {
  this.timeout(20_000);
  const signal = new Signal();
  let members: Member[] = [];

  afterEach(async () => {
    await Promise.all(members.map((m) => m.transport.close()));
    members = [];
  });

  /** Opens a raw snapshot channel from member 1, sends `frames`, resolves with the close code. */
  function rawSnapshotChannel(
    url: string,
    frames: readonly Uint8Array[],
    opened?: () => void,
  ): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/raft/snapshot`, {
        headers: {
          'x-concord-peer-version': '2',
          'x-concord-cluster-id': CLUSTER,
          'x-concord-from': '1',
          'x-concord-to': '2',
        },
      });
      ws.on('error', () => {});
      ws.on('message', () => {
        for (const f of frames) ws.send(f);
        opened?.();
      });
      ws.on('close', (code) => resolve(code));
    });
  }

  it('closes a transfer that stalls for snapshotIdleTimeoutMs and delivers nothing', async () => {
    const idleMs = 654_321;
    const timers = new ControlledTimers(idleMs);
    const b = await Member.start(2, signal, { ...small, timers, snapshotIdleTimeoutMs: idleMs });
    members = [b];
    const begin = encodeFrame({
      kind: 'snapBegin',
      transferId: 1,
      totalBytes: 1000,
      message: snapshotMessage(1, 2, 0),
    });
    const chunk = encodeFrame({ kind: 'snapChunk', transferId: 1, offset: 0, data: new Uint8Array(10) });
    const closed = rawSnapshotChannel(b.url, [begin, chunk]);
    await signal.until(() => b.logger.has('debug', 'snapshot chunk received'), 'begin and chunk received');
    expect(timers.heldCount).to.equal(1);
    timers.fireHeld();
    expect(await closed).to.equal(CloseCode.SnapshotTimeout);
    expect(b.logger.has('warn', 'snapshot receive timed out')).to.equal(true);
    expect(b.inbox).to.have.length(0);
  });

  it('refuses a chunk that skips ahead', async () => {
    const b = await Member.start(2, signal, small);
    members = [b];
    const begin = encodeFrame({
      kind: 'snapBegin',
      transferId: 1,
      totalBytes: 1000,
      message: snapshotMessage(1, 2, 0),
    });
    const chunk = encodeFrame({ kind: 'snapChunk', transferId: 1, offset: 10, data: new Uint8Array(10) });
    expect(await rawSnapshotChannel(b.url, [begin, chunk])).to.equal(CloseCode.ProtocolError);
    expect(b.transport.stats().protocolErrors).to.equal(1);
  });

  it('refuses snapshots beyond maxInboundSnapshots with BUSY', async () => {
    const b = await Member.start(2, signal, { ...small, maxInboundSnapshots: 1 });
    members = [b];
    let firstOpen = false;
    const first = rawSnapshotChannel(b.url, [], () => (firstOpen = true));
    await signal.until(
      () => firstOpen || b.logger.has('info', 'peer connection accepted'),
      'first channel accepted',
    );
    expect(await rawSnapshotChannel(b.url, [])).to.equal(CloseCode.Busy);
    await b.transport.close();
    await first;
  });
});
