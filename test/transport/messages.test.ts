/** Loopback: transports on 127.0.0.1 exchanging batched Raft messages. */
import { expect } from 'chai';
import type { Message } from '../../server/raft/types.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { append, heartbeat, meshAll, Member, Signal } from './harness.js';

describe('PeerTransport (loopback)', function () {
  this.timeout(15_000);
  const signal = new Signal();
  let members: Member[] = [];

  afterEach(async () => {
    await Promise.all(members.map((m) => m.transport.close()));
    members = [];
  });

  describe('#start', () => {
    it('exposes the bound address when listening on port 0', async () => {
      members = [await Member.start(1, signal)];
      expect(members[0]?.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(members[0]?.url).to.not.equal('http://127.0.0.1:0');
    });
  });

  describe('#send', () => {
    context('with two members', () => {
      it('delivers messages in order in both directions', async () => {
        const a = await Member.start(1, signal);
        const b = await Member.start(2, signal);
        members = [a, b];
        meshAll(members);
        await a.connect(b);
        await b.connect(a);
        const toB: Message[] = [heartbeat(1, 2, 5), append(1, 2, 6, 100), append(1, 2, 7, 0)];
        const toA: Message[] = [
          { type: 'MsgAppResp', from: 2, to: 1, term: 2, index: 7, reject: false, rejectHint: 0, logTerm: 0 },
        ];
        a.transport.send(toB);
        b.transport.send(toA);
        await signal.until(() => b.inbox.length === 3 && a.inbox.length === 1, 'both inboxes');
        expect(b.inbox).to.deep.equal(toB);
        expect(a.inbox).to.deep.equal(toA);
      });

      it('puts messages sent in one macrotask into one frame', async () => {
        const a = await Member.start(1, signal);
        const b = await Member.start(2, signal);
        members = [a, b];
        meshAll(members);
        await a.connect(b);
        const framesBefore = a.peerStats(2)?.sentFrames ?? 0;
        for (let i = 1; i <= 50; i++) a.transport.send([append(1, 2, i, 10)]);
        await signal.until(() => b.inbox.length === 50, '50 messages');
        expect(a.peerStats(2)?.sentFrames).to.equal(framesBefore + 1);
        expect(a.peerStats(2)?.sentMessages).to.equal(50);
        expect(b.peerStats(1)?.receivedMessages).to.equal(50);
        expect(b.inbox.map((m) => (m.type === 'MsgApp' ? m.entries[0]?.index : -1))).to.deep.equal(
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
      });

      context('a commit notice (an append without entries)', () => {
        const notice = (commit: number, term = 2): Message => ({
          type: 'MsgApp',
          from: 1,
          to: 2,
          term,
          index: commit,
          logTerm: 2,
          commit,
          entries: [],
        });
        const nextMacrotask = (): Promise<void> => new Promise((r) => setImmediate(r));
        // The sender's timers move only when a test advances them: only what a test sends can end
        // a notice's wait (its dial and pings need no timer to fire here).
        let clock = new ManualClock();
        const pair = async (commitNoticeDelayMs: number): Promise<[Member, Member]> => {
          clock = new ManualClock();
          const a = await Member.start(1, signal, { commitNoticeDelayMs, timers: clock });
          const b = await Member.start(2, signal);
          members = [a, b];
          meshAll(members);
          await a.connect(b);
          return [a, b];
        };

        it('is not sent when a later append with at least its commit goes out', async () => {
          const [a, b] = await pair(5);
          const framesBefore = a.peerStats(2)?.sentFrames ?? 0;
          a.transport.send([notice(10)]);
          await nextMacrotask();
          await nextMacrotask();
          const next = append(1, 2, 11, 10);
          a.transport.send([next]);
          await signal.until(() => b.inbox.length === 1, 'the append');
          expect(b.inbox).to.deep.equal([next]);
          expect(a.peerStats(2)?.supersededNotices).to.equal(1);
          expect(a.peerStats(2)?.sentFrames).to.equal(framesBefore + 1);
        });

        it('rides first in the next frame when that frame does not supersede it', async () => {
          const [a, b] = await pair(5);
          const framesBefore = a.peerStats(2)?.sentFrames ?? 0;
          a.transport.send([notice(10)]);
          await nextMacrotask();
          await nextMacrotask();
          // A heartbeat, and an append of a newer term: neither carries this term's commit.
          const others: Message[] = [heartbeat(1, 2, 10), { ...append(1, 2, 20, 1), term: 3 }];
          a.transport.send(others);
          await signal.until(() => b.inbox.length === 3, 'three messages');
          expect(b.inbox).to.deep.equal([notice(10), ...others]);
          expect(a.peerStats(2)?.sentFrames).to.equal(framesBefore + 1);
          expect(a.peerStats(2)?.supersededNotices).to.equal(0);
        });

        it('leaves alone when the delay ends, the newest of several', async () => {
          const [a, b] = await pair(5);
          a.transport.send([notice(10)]);
          await nextMacrotask();
          a.transport.send([notice(11)]);
          await nextMacrotask();
          expect(b.inbox).to.deep.equal([]);
          await clock.advance(5);
          await signal.until(() => b.inbox.length === 1, 'the notice');
          expect(b.inbox).to.deep.equal([notice(11)]);
          expect(a.peerStats(2)?.supersededNotices).to.equal(1);
        });

        it('goes out at once, in its own frame, with commitNoticeDelayMs 0', async () => {
          const [a, b] = await pair(0);
          const framesBefore = a.peerStats(2)?.sentFrames ?? 0;
          a.transport.send([notice(10)]);
          await signal.until(() => b.inbox.length === 1, 'the notice');
          expect(a.peerStats(2)?.sentFrames).to.equal(framesBefore + 1);
          const next = append(1, 2, 11, 10);
          a.transport.send([next]);
          await signal.until(() => b.inbox.length === 2, 'the append');
          expect(b.inbox).to.deep.equal([notice(10), next]);
          expect(a.peerStats(2)?.supersededNotices).to.equal(0);
        });
      });

      it('splits a batch larger than maxFrameBytes into several frames', async () => {
        const opts = { maxFrameBytes: 64 * 1024, snapshotChunkBytes: 32 * 1024 };
        const a = await Member.start(1, signal, opts);
        const b = await Member.start(2, signal, opts);
        members = [a, b];
        meshAll(members);
        await a.connect(b);
        const batch = Array.from({ length: 10 }, (_, i) => append(1, 2, i + 1, 20_000));
        a.transport.send(batch);
        await signal.until(() => b.inbox.length === 10, '10 large messages');
        expect(a.peerStats(2)?.sentFrames).to.be.at.least(4);
        expect(b.inbox).to.deep.equal(batch);
      });

      it('drops a single message too large for any frame', async () => {
        const opts = { maxFrameBytes: 64 * 1024, snapshotChunkBytes: 32 * 1024 };
        const a = await Member.start(1, signal, opts);
        const b = await Member.start(2, signal, opts);
        members = [a, b];
        meshAll(members);
        await a.connect(b);
        const droppedBefore = a.peerStats(2)?.droppedMessages ?? 0;
        a.transport.send([append(1, 2, 1, 100_000), heartbeat(1, 2, 9)]);
        await signal.until(() => b.inbox.length === 1, 'the heartbeat');
        expect(b.inbox[0]?.type).to.equal('MsgHeartbeat');
        expect(a.peerStats(2)?.droppedMessages).to.equal(droppedBefore + 1);
      });
    });

    context('with three members', () => {
      it('delivers every message between every pair', async () => {
        members = [
          await Member.start(1, signal),
          await Member.start(2, signal),
          await Member.start(3, signal),
        ];
        meshAll(members);
        for (const a of members) for (const b of members) if (a !== b) await a.connect(b);
        for (const a of members) {
          const out: Message[] = [];
          for (const b of members)
            if (a !== b) for (let i = 0; i < 5; i++) out.push(heartbeat(a.id, b.id, i));
          a.transport.send(out);
        }
        await signal.until(() => members.every((m) => m.inbox.length === 10), 'ten messages each');
        for (const m of members) {
          for (const other of members) {
            if (other === m) continue;
            const fromOther = m.inbox
              .filter((x) => x.from === other.id)
              .map((x) => (x.type === 'MsgHeartbeat' ? x.commit : -1));
            expect(fromOther).to.deep.equal([0, 1, 2, 3, 4]);
            expect(m.inbox.every((x) => x.to === m.id)).to.equal(true);
          }
        }
      });
    });

    context('when the peer is unknown', () => {
      it('drops and counts the message without throwing', async () => {
        members = [await Member.start(1, signal)];
        const t = members[0]!.transport;
        t.send([heartbeat(1, 9, 0)]);
        expect(t.stats().unknownPeerDrops).to.equal(1);
      });
    });
  });

  describe('#connect', () => {
    it('dials before the first message, so the first message is delivered', async () => {
      const a = await Member.start(1, signal);
      const b = await Member.start(2, signal);
      members = [a, b];
      meshAll(members);
      a.transport.connect(2);
      await signal.until(() => a.isConnectedTo(2), 'connected');
      a.transport.send([heartbeat(1, 2, 1)]);
      await signal.until(() => b.inbox.length === 1, 'first message');
      expect(a.peerStats(2)?.droppedMessages).to.equal(0);
    });

    it('is lazy otherwise: the first message is dropped and triggers the dial', async () => {
      const a = await Member.start(1, signal);
      const b = await Member.start(2, signal);
      members = [a, b];
      meshAll(members);
      a.transport.send([heartbeat(1, 2, 1)]);
      expect(a.peerStats(2)?.droppedMessages).to.equal(1);
      await signal.until(() => a.isConnectedTo(2), 'connected after the dropped message');
      expect(b.inbox).to.have.length(0);
    });
  });

  describe('#close', () => {
    it('is idempotent and stops delivering', async () => {
      const a = await Member.start(1, signal);
      const b = await Member.start(2, signal);
      members = [a, b];
      meshAll(members);
      await a.connect(b);
      const first = b.transport.close();
      expect(b.transport.close()).to.equal(first);
      await first;
      a.transport.send([heartbeat(1, 2, 1)]);
      await signal.until(() => !a.isConnectedTo(2), 'a notices b is gone');
      expect(b.inbox).to.have.length(0);
    });

    it('closes through await using', async () => {
      const b = await Member.start(2, signal);
      members = [b];
      let url: string;
      {
        await using a = await Member.start(1, signal).then((m) => m.transport);
        url = a.listenUrls()[0] as string;
      }
      // The listener is gone: dialling it now fails.
      b.transport.addPeer(1, [url]);
      b.transport.send([heartbeat(2, 1, 0)]);
      await signal.until(() => (b.peerStats(1)?.dialFailures ?? 0) > 0, 'a failed dial');
    });
  });
});
