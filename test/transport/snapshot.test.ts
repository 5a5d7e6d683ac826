/** Loopback: snapshot streaming in chunks on a dedicated connection, success and failure reports. */
import { expect } from 'chai';
import { crc32 } from 'node:zlib';
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
  knows,
} from './harness.js';

const MiB = 1024 * 1024;
/** The peer protocol version (2: SnapEnd carries a checksum). */
const PEER_VERSION = '2';

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
          'x-concord-peer-version': PEER_VERSION,
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
    knows(b, 1);
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
    knows(b, 1);
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
    knows(b, 1);
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

/** A sink that records what the receiver does with a transfer (the member's writes a file). */
class RecordingSink {
  readonly chunks: Uint8Array[] = [];
  finished = 0;
  aborted = 0;
  constructor(private readonly signal: Signal) {}
  sink() {
    return {
      write: (chunk: Uint8Array) => {
        this.chunks.push(chunk.slice());
        return Promise.resolve();
      },
      finish: () => {
        this.finished++;
        this.signal.notify();
        const all = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of this.chunks) {
          all.set(c, at);
          at += c.length;
        }
        return Promise.resolve(all);
      },
      abort: () => {
        this.aborted++;
        this.chunks.length = 0;
        this.signal.notify();
      },
    };
  }
}

/** A body over `data` that records its reads and can fail the one that reaches the end. */
function recordingBody(data: Uint8Array, failAtEnd = false) {
  const reads: { offset: number; length: number }[] = [];
  let inflight = 0;
  let maxInflight = 0;
  let closed = 0;
  return {
    reads,
    maxInflight: () => maxInflight,
    closed: () => closed,
    body: {
      size: data.length,
      async read(offset: number, length: number): Promise<Uint8Array> {
        reads.push({ offset, length });
        inflight++;
        maxInflight = Math.max(maxInflight, inflight);
        await new Promise((resolve) => setImmediate(resolve));
        inflight--;
        if (failAtEnd && offset + length >= data.length) throw new Error('snapshot file: crc mismatch');
        return data.subarray(offset, offset + length);
      },
      close: () => {
        closed++;
      },
    },
  };
}

describe('PeerTransport (streamed snapshot bodies and sinks)', function () {
  this.timeout(20_000);
  const signal = new Signal();
  let members: Member[] = [];

  afterEach(async () => {
    await Promise.all(members.map((m) => m.transport.close()));
    members = [];
  });

  it('reads the body one chunk at a time, in order, and the receiver sink gets it all', async () => {
    const a = await Member.start(1, signal, small);
    const b = await Member.start(2, signal, small);
    members = [a, b];
    meshAll(members);
    const sink = new RecordingSink(signal);
    b.transport.onSnapshotSink(() => sink.sink());
    const full = snapshotMessage(1, 2, 3 * MiB + 17);
    const rec = recordingBody(full.snapshot.data);
    const message: MsgSnap = { ...full, snapshot: { ...full.snapshot, data: new Uint8Array(0) } };
    a.transport.sendSnapshotStream(message, rec.body);
    await signal.until(() => a.snapshotStatus.length === 1, 'snapshot status');
    expect(a.snapshotStatus).to.deep.equal([{ to: 2, ok: true }]);
    // Never more than one read outstanding, each at most a chunk, in order, covering the data.
    expect(rec.maxInflight()).to.equal(1);
    let expectedOffset = 0;
    for (const r of rec.reads) {
      expect(r.offset).to.equal(expectedOffset);
      expect(r.length).to.be.at.most(small.snapshotChunkBytes);
      expectedOffset += r.length;
    }
    expect(expectedOffset).to.equal(full.snapshot.data.length);
    expect(rec.closed()).to.equal(1);
    expect(sink.finished).to.equal(1);
    const got = b.inbox[0] as MsgSnap;
    expect(Buffer.compare(got.snapshot.data, full.snapshot.data)).to.equal(0);
  });

  it('fails the transfer when the body finds its data corrupt; the receiver installs nothing', async () => {
    const a = await Member.start(1, signal, small);
    const b = await Member.start(2, signal, small);
    members = [a, b];
    meshAll(members);
    const sink = new RecordingSink(signal);
    b.transport.onSnapshotSink(() => sink.sink());
    const full = snapshotMessage(1, 2, 1 * MiB + 5);
    const rec = recordingBody(full.snapshot.data, true);
    a.transport.sendSnapshotStream(
      { ...full, snapshot: { ...full.snapshot, data: new Uint8Array(0) } },
      rec.body,
    );
    await signal.until(() => a.snapshotStatus.length === 1 && sink.aborted === 1, 'failure and abort');
    expect(a.snapshotStatus).to.deep.equal([{ to: 2, ok: false }]);
    expect(a.logger.has('warn', 'snapshot failed', (f) => /read failed/.test(String(f['reason'])))).to.equal(
      true,
    );
    expect(sink.finished).to.equal(0);
    expect(b.inbox).to.have.length(0);
    expect(rec.closed()).to.equal(1);
  });

  it('refuses a transfer it cannot store (the sink cannot be opened), and goes on', async () => {
    const a = await Member.start(1, signal, small);
    const b = await Member.start(2, signal, small);
    members = [a, b];
    meshAll(members);
    b.transport.onSnapshotSink(() => {
      throw new Error('storage failed');
    });
    a.transport.send([snapshotMessage(1, 2, 100_000)]);
    await signal.until(() => a.snapshotStatus.length === 1, 'snapshot status');
    expect(a.snapshotStatus).to.deep.equal([{ to: 2, ok: false }]);
    expect(
      a.logger.has('warn', 'snapshot failed', (f) => /could not be stored/.test(String(f['reason']))),
    ).to.equal(true);
    expect(b.inbox).to.have.length(0);
    await a.connect(b);
    a.transport.send([heartbeat(1, 2, 3)]);
    await signal.until(() => b.inbox.length === 1, 'b still hears a');
  });

  it('discards a torn transfer and installs the retry, which starts over', async () => {
    const b = await Member.start(2, signal, small);
    members = [b];
    knows(b, 1);
    const sink = new RecordingSink(signal);
    b.transport.onSnapshotSink(() => sink.sink());
    const full = snapshotMessage(1, 2, 100);
    const begin = encodeFrame({
      kind: 'snapBegin',
      transferId: 1,
      totalBytes: 100,
      message: { ...full, snapshot: { ...full.snapshot, data: new Uint8Array(0) } },
    });
    const chunk = encodeFrame({
      kind: 'snapChunk',
      transferId: 1,
      offset: 0,
      data: full.snapshot.data.subarray(0, 40),
    });
    await tornChannel(b.url, [begin, chunk]);
    await signal.until(() => sink.aborted === 1, 'the torn transfer discarded');
    expect(sink.finished).to.equal(0);
    expect(b.inbox).to.have.length(0);
    const a = await Member.start(1, signal, small);
    members.push(a);
    meshAll(members);
    a.transport.send([full]);
    await signal.until(() => a.snapshotStatus.length === 1, 'the retry');
    expect(a.snapshotStatus).to.deep.equal([{ to: 2, ok: true }]);
    expect(sink.finished).to.equal(1);
    expect(Buffer.compare((b.inbox[0] as MsgSnap).snapshot.data, full.snapshot.data)).to.equal(0);
  });
});

describe('PeerTransport (snapshot checksum)', function () {
  this.timeout(20_000);
  const signal = new Signal();
  let members: Member[] = [];

  afterEach(async () => {
    await Promise.all(members.map((m) => m.transport.close()));
    members = [];
  });

  it('refuses a transfer whose data does not match the checksum of SnapEnd, delivering nothing', async () => {
    const b = await Member.start(2, signal, small);
    members = [b];
    knows(b, 1);
    const full = snapshotMessage(1, 2, 3000);
    const data = full.snapshot.data;
    const corrupted = data.slice(1000, 2000);
    corrupted[17] = (corrupted[17] ?? 0) ^ 0x40;
    const frames = [
      encodeFrame({
        kind: 'snapBegin',
        transferId: 7,
        totalBytes: data.length,
        message: { ...full, snapshot: { ...full.snapshot, data: new Uint8Array(0) } },
      }),
      encodeFrame({ kind: 'snapChunk', transferId: 7, offset: 0, data: data.subarray(0, 1000) }),
      encodeFrame({ kind: 'snapChunk', transferId: 7, offset: 1000, data: corrupted }),
      encodeFrame({ kind: 'snapChunk', transferId: 7, offset: 2000, data: data.subarray(2000) }),
      encodeFrame({ kind: 'snapEnd', transferId: 7, crc32: crc32(data) }),
    ];
    const { acks } = await rawChannelWithAcks(b.url, frames);
    expect(acks).to.have.length(1);
    expect(acks[0]).to.deep.include({ kind: 'snapAck', transferId: 7, ok: false });
    expect((acks[0] as { reason: string }).reason).to.match(/checksum/);
    expect(b.inbox).to.have.length(0);
    expect(b.logger.has('warn', 'snapshot refused: checksum mismatch')).to.equal(true);
  });
});

/** Opens a raw snapshot channel from member 1, sends `frames`, then drops the connection. */
function tornChannel(url: string, frames: readonly Uint8Array[]): Promise<void> {
  return new Promise((resolve) => {
    const ws = rawSocket(url);
    ws.on('error', () => {});
    ws.on('message', () => {
      for (const f of frames) ws.send(f);
      ws.terminate();
      resolve();
    });
  });
}

/** Opens a raw snapshot channel from member 1, sends `frames`, collects the answer (the ack). */
function rawChannelWithAcks(
  url: string,
  frames: readonly Uint8Array[],
): Promise<{ acks: unknown[]; code: number }> {
  return new Promise((resolve) => {
    const ws = rawSocket(url);
    const acks: unknown[] = [];
    let hello = true;
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => {
      if (hello) {
        hello = false;
        for (const f of frames) ws.send(f);
        return;
      }
      acks.push(decodeFrame(new Uint8Array(data), MiB));
      // One ack ends a transfer, whatever the receiver does with the connection next.
      ws.close();
    });
    ws.on('close', (code) => resolve({ acks, code }));
  });
}

function rawSocket(url: string): WebSocket {
  return new WebSocket(`${url.replace('http', 'ws')}/raft/snapshot`, {
    headers: {
      'x-concord-peer-version': PEER_VERSION,
      'x-concord-cluster-id': CLUSTER,
      'x-concord-from': '1',
      'x-concord-to': '2',
    },
  });
}
