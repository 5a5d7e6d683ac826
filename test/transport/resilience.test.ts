/** Loopback: reconnects, backoff, and dropping (never blocking) when a peer is down or slow. */
import { expect } from 'chai';
import { SeededRandom } from '../../server/platform/random.js';
import { decodeFrame } from '../../server/transport/codec.js';
import {
  append,
  closedPortUrl,
  ControlledTimers,
  FakePeer,
  heartbeat,
  meshAll,
  Member,
  Signal,
} from './harness.js';

describe('PeerTransport (loopback resilience)', function () {
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

  context('when a peer restarts', () => {
    it('drops while it is down, then reconnects and delivers again', async () => {
      const a = await Member.start(1, signal);
      const b = await Member.start(2, signal);
      members = [a, b];
      meshAll(members);
      await a.connect(b);
      a.transport.send([heartbeat(1, 2, 1)]);
      await signal.until(() => b.inbox.length === 1, 'first heartbeat');

      const url = b.url;
      await b.transport.close();
      await signal.until(() => !a.isConnectedTo(2), 'a sees b down');
      const dropped = a.peerStats(2)?.droppedMessages ?? 0;
      a.transport.send([heartbeat(1, 2, 2), heartbeat(1, 2, 3)]);
      expect(a.peerStats(2)?.droppedMessages).to.equal(dropped + 2);

      const b2 = await Member.start(2, signal, { listenUrls: [url] });
      members.push(b2);
      b2.transport.addPeer(1, [a.url]);
      await signal.until(() => a.isConnectedTo(2), 'a reconnects to the restarted b');
      a.transport.send([heartbeat(1, 2, 4)]);
      await signal.until(() => b2.inbox.length === 1, 'heartbeat after restart');
      expect(b2.inbox[0]).to.deep.include({ type: 'MsgHeartbeat', commit: 4 });
      expect(a.peerStats(2)?.dials).to.be.greaterThan(1);
    });
  });

  context('when a peer is down', () => {
    it('drops and counts every message synchronously, without throwing', async () => {
      const a = await Member.start(1, signal);
      members = [a];
      a.transport.addPeer(2, [await closedPortUrl()]);
      for (let i = 0; i < 100; i++) a.transport.send([heartbeat(1, 2, i)]);
      expect(a.peerStats(2)).to.deep.include({ droppedMessages: 100, sentMessages: 0, connected: false });
      await signal.until(() => (a.peerStats(2)?.dialFailures ?? 0) >= 2, 'repeated dial failures');
    });

    it('redials with exponential backoff and jitter, one dial per delay', async () => {
      const dialTimeoutMs = 60_000;
      const timers = new ControlledTimers(-1, (ms) => ms !== dialTimeoutMs);
      const a = await Member.start(1, signal, {
        timers,
        random: new SeededRandom(7),
        reconnectBackoffMinMs: 100,
        reconnectBackoffMaxMs: 1_600,
        dialTimeoutMs,
        pingIntervalMs: 0,
      });
      members = [a];
      a.transport.addPeer(2, [await closedPortUrl()]);
      a.transport.send([heartbeat(1, 2, 0)]);
      const backoffs = (): number[] => timers.delays.filter((ms) => ms !== dialTimeoutMs);
      await signal.until(() => (a.peerStats(2)?.dialFailures ?? 0) >= 8, 'eight failed dials');
      const delays = backoffs().slice(0, 8);
      delays.forEach((ms, k) => {
        const base = Math.min(1_600, 100 * 2 ** k);
        expect(ms, `delay ${k}`).to.be.within(Math.max(100, base / 2), base);
      });
      expect(delays.slice(5)).to.satisfy(
        (d: number[]) => d.every((ms) => ms >= 800),
        'capped delays stay high',
      );
      expect(new Set(delays).size).to.be.greaterThan(4); // jitter: not a fixed ladder
      const stats = a.peerStats(2);
      expect(stats?.dials).to.be.within(backoffs().length, backoffs().length + 1);
    });
  });

  context('when a peer is slow (never reads)', () => {
    it('drops once maxQueuedBytesPerPeer is buffered, and other peers are unaffected', async () => {
      const opts = {
        maxFrameBytes: 64 * 1024,
        snapshotChunkBytes: 16 * 1024,
        maxQueuedBytesPerPeer: 256 * 1024,
      };
      const a = await Member.start(1, signal, opts);
      const c = await Member.start(3, signal, opts);
      const slow = await FakePeer.start(2, signal, (ws) => ws.pause());
      members = [a, c];
      fakes = [slow];
      a.transport.addPeer(2, [slow.url]);
      a.transport.addPeer(3, [c.url]);
      c.transport.addPeer(1, [a.url]);
      await a.connect(c);
      a.transport.send([heartbeat(1, 2, 0)]);
      await signal.until(() => a.isConnectedTo(2), 'a connected to the slow peer');
      const before = a.peerStats(2)?.droppedMessages ?? 0;
      let rounds = 0;
      while ((a.peerStats(2)?.droppedMessages ?? 0) === before && rounds < 2_000) {
        a.transport.send(Array.from({ length: 8 }, (_, i) => append(1, 2, rounds * 8 + i + 1, 30_000)));
        rounds += 1;
        await new Promise<void>((resolve) => setImmediate(resolve)); // let the batch flush
      }
      expect(a.peerStats(2)?.droppedMessages).to.be.greaterThan(before);
      expect(a.isConnectedTo(2)).to.equal(true);
      expect(
        a.logger.has(
          'warn',
          'dropping peer messages',
          (f) => f['reason'] === 'maxQueuedBytesPerPeer exceeded',
        ),
      ).to.equal(true);
      a.transport.send([heartbeat(1, 3, 42)]);
      await signal.until(
        () => c.inbox.some((m) => m.type === 'MsgHeartbeat' && m.commit === 42),
        'c still served',
      );
    });
  });

  context('when a peer reads again after frames waited in the socket', () => {
    it('receives every frame as it was sent (a frame buffer is reused only after its write)', async () => {
      let peerSocket: { resume(): void } | undefined;
      const slow = await FakePeer.start(2, signal, (ws) => {
        ws.pause();
        peerSocket = ws;
      });
      // No pings: the paused peer could not answer them, and a slow machine must not drop the stream.
      const a = await Member.start(1, signal, { pingIntervalMs: 0 });
      members = [a];
      fakes = [slow];
      a.transport.addPeer(2, [slow.url]);
      a.transport.connect(2);
      await signal.until(() => a.isConnectedTo(2), 'a connected to the paused peer');
      // 48 frames of 512 KiB (24 MiB, under maxQueuedBytesPerPeer's 32 MiB): more than loopback's
      // socket buffers hold, so most frames wait in the sender's user space while later frames
      // are built; each frame's entry is filled with a byte of its own.
      const rounds = 48;
      for (let i = 1; i <= rounds; i++) {
        a.transport.send([append(1, 2, i, 512 * 1024)]);
        await new Promise<void>((resolve) => setImmediate(resolve)); // one flush, one frame
      }
      expect(a.peerStats(2)?.droppedMessages).to.equal(0);
      peerSocket?.resume();
      await signal.until(() => slow.frames.length >= rounds, 'every frame read', 15_000);
      const indexes: number[] = [];
      for (const bytes of slow.frames) {
        const frame = decodeFrame(bytes, 1 << 30);
        if (frame.kind !== 'messages') continue;
        for (const m of frame.messages) {
          if (m.type !== 'MsgApp') continue;
          const entry = m.entries[0]!;
          indexes.push(entry.index);
          expect(entry.data.every((b) => b === entry.index % 251)).to.equal(true);
        }
      }
      expect(indexes).to.deep.equal(Array.from({ length: rounds }, (_, i) => i + 1));
    });
  });

  context('when the peer stops answering pings', () => {
    it('drops the stream and redials', async () => {
      const a = await Member.start(1, signal, { pingIntervalMs: 30 });
      const mute = await FakePeer.start(2, signal, () => {}, { autoPong: false });
      members = [a];
      fakes = [mute];
      a.transport.addPeer(2, [mute.url]);
      a.transport.send([heartbeat(1, 2, 0)]);
      await signal.until(() => a.isConnectedTo(2), 'connected');
      await signal.until(
        () => a.logger.has('warn', 'peer stream lost', (f) => /pong/.test(String(f['reason']))),
        'ping timeout',
      );
      await signal.until(() => mute.connections.length >= 2, 'a redial');
    });
  });

  describe('#close', () => {
    it('leaves no timer behind', async () => {
      const timers = new ControlledTimers(-1);
      const a = await Member.start(1, signal, { timers, pingIntervalMs: 1_000 });
      const b = await Member.start(2, signal);
      members = [a, b];
      meshAll(members);
      await a.connect(b);
      a.transport.addPeer(3, [await closedPortUrl()]);
      a.transport.send([heartbeat(1, 3, 0)]);
      await signal.until(() => (a.peerStats(3)?.dialFailures ?? 0) >= 1, 'a failed dial to 3');
      expect(timers.pending()).to.be.greaterThan(0);
      await a.transport.close();
      expect(timers.pending()).to.equal(0);
    });
  });
});
