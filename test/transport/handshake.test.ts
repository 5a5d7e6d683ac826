/** Loopback: the handshake refuses other clusters, wrong targets, removed members and bad frames. */
import { expect } from 'chai';
import WebSocket from 'ws';
import { CloseCode, encodeFrame } from '../../server/transport/index.js';
import { CLUSTER, FakePeer, heartbeat, meshAll, Member, Signal, knows } from './harness.js';

interface RawResult {
  readonly code: number;
  readonly reason: string;
  readonly frames: number;
}

/** Dials `url` like a peer would, with chosen headers, sends `frames` once open, reports the close. */
function rawPeer(
  url: string,
  headers: Record<string, string>,
  frames: readonly Uint8Array[],
): Promise<RawResult> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/raft/stream`, { headers });
    let received = 0;
    ws.on('error', () => {});
    ws.on('open', () => {
      for (const f of frames) ws.send(f);
    });
    ws.on('message', () => {
      received += 1;
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), frames: received }));
  });
}

function headers(clusterId: string, from: number, to: number): Record<string, string> {
  return {
    'x-concord-peer-version': '2',
    'x-concord-cluster-id': clusterId,
    'x-concord-from': String(from),
    'x-concord-to': String(to),
  };
}

describe('PeerTransport (loopback handshake)', function () {
  this.timeout(15_000);
  const signal = new Signal();
  let members: Member[] = [];

  afterEach(async () => {
    await Promise.all(members.map((m) => m.transport.close()));
    members = [];
  });

  context('when the dialer belongs to another cluster', () => {
    it('refuses it with CLUSTER_ID_MISMATCH and logs on both sides', async () => {
      const stranger = await Member.start(1, signal, { clusterId: 'other-cluster' });
      const b = await Member.start(2, signal);
      members = [stranger, b];
      stranger.transport.addPeer(2, [b.url]);
      stranger.transport.send([heartbeat(1, 2, 0)]);
      await signal.until(
        () =>
          stranger.logger.has(
            'error',
            'peer refused connection',
            (f) => f['code'] === CloseCode.ClusterIdMismatch,
          ),
        'the dialer logs the refusal',
      );
      expect(
        b.logger.has('warn', 'peer connection refused', (f) => f['clusterId'] === 'other-cluster'),
      ).to.equal(true);
      expect(b.transport.stats().refusedConnections).to.be.at.least(1);
      expect(stranger.isConnectedTo(2)).to.equal(false);
      expect(b.inbox).to.have.length(0);
    });

    it('never delivers frames it sends right after the upgrade', async () => {
      const b = await Member.start(2, signal);
      members = [b];
      const frame = encodeFrame({ kind: 'messages', messages: [heartbeat(1, 2, 0)] });
      const result = await rawPeer(b.url, headers('other-cluster', 1, 2), [frame, frame]);
      expect(result.code).to.equal(CloseCode.ClusterIdMismatch);
      expect(result.reason).to.match(/cluster id mismatch/);
      expect(result.frames).to.equal(0); // no Hello either
      expect(b.inbox).to.have.length(0);
      expect(b.peerStats(1)).to.equal(undefined);
    });

    it('accepts the same frames from a dialer of its own cluster (control case)', async () => {
      const b = await Member.start(2, signal);
      members = [b];
      knows(b, 1);
      const frame = encodeFrame({ kind: 'messages', messages: [heartbeat(1, 2, 0)] });
      const ws = new WebSocket(`${b.url.replace('http', 'ws')}/raft/stream`, {
        headers: headers(CLUSTER, 1, 2),
      });
      ws.on('error', () => {});
      ws.on('open', () => ws.send(frame));
      await signal.until(() => b.inbox.length === 1, 'delivery');
      ws.terminate();
    });
  });

  context('when the dialer targets another member id', () => {
    it('refuses it with WRONG_TARGET', async () => {
      const a = await Member.start(1, signal);
      const b = await Member.start(2, signal);
      members = [a, b];
      a.transport.addPeer(3, [b.url]); // a believes member 3 lives at b's address
      a.transport.send([heartbeat(1, 3, 0)]);
      await signal.until(
        () => a.logger.has('error', 'peer refused connection', (f) => f['code'] === CloseCode.WrongTarget),
        'wrong target refusal',
      );
      expect(b.inbox).to.have.length(0);
    });
  });

  context('when the acceptor answers as another member', () => {
    it('the dialer refuses the stream and sends nothing', async () => {
      const a = await Member.start(1, signal);
      const impostor = await FakePeer.start(3, signal); // says Hello as member 3
      members = [a];
      try {
        a.transport.addPeer(2, [impostor.url]);
        a.transport.connect(2);
        await signal.until(
          () => a.logger.has('error', 'peer refused connection', (f) => f['code'] === CloseCode.WrongTarget),
          'the dialer refuses the Hello',
        );
        a.transport.send([heartbeat(1, 2, 0)]);
        expect(a.isConnectedTo(2)).to.equal(false);
        expect(impostor.frames).to.have.length(0);
      } finally {
        await impostor.close();
      }
    });
  });

  context('when the handshake headers are missing or malformed', () => {
    for (const [name, h, code] of [
      ['no headers', {}, CloseCode.UnsupportedVersion],
      ['a bad sender id', headers(CLUSTER, 0, 2), CloseCode.PeerRejected],
      ['the acceptor as sender', headers(CLUSTER, 2, 2), CloseCode.PeerRejected],
    ] as const) {
      it(`refuses ${name}`, async () => {
        const b = await Member.start(2, signal);
        members = [b];
        const result = await rawPeer(b.url, h, []);
        expect(result.code).to.equal(code);
      });
    }
  });

  context('when the peer was removed', () => {
    it('refuses its connections until it is added again', async () => {
      const a = await Member.start(1, signal);
      const b = await Member.start(2, signal);
      members = [a, b];
      meshAll(members);
      b.transport.removePeer(1);
      a.transport.send([heartbeat(1, 2, 0)]);
      await signal.until(
        () => a.logger.has('error', 'peer refused connection', (f) => f['code'] === CloseCode.PeerRejected),
        'removed member refused',
      );
      b.transport.addPeer(1, [a.url]);
      await signal.until(() => a.isConnectedTo(2), 'accepted again after addPeer');
    });
  });

  context('when an accepted peer sends a bad frame', () => {
    it('closes the stream with PROTOCOL_ERROR and delivers nothing from it', async () => {
      const b = await Member.start(2, signal);
      members = [b];
      knows(b, 1);
      const good = encodeFrame({ kind: 'messages', messages: [heartbeat(1, 2, 0)] });
      const result = await rawPeer(b.url, headers(CLUSTER, 1, 2), [
        new Uint8Array([0x43, 0x50, 1, 2, 5, 99]),
        good,
      ]);
      expect(result.code).to.equal(CloseCode.ProtocolError);
      expect(result.reason).to.equal('PEER_FRAME_TRUNCATED');
      expect(b.transport.stats().protocolErrors).to.equal(1);
      expect(b.inbox).to.have.length(0);
    });

    it('refuses a message whose sender is not the handshake sender', async () => {
      const b = await Member.start(2, signal);
      members = [b];
      knows(b, 1);
      const forged = encodeFrame({ kind: 'messages', messages: [heartbeat(1, 2, 0), heartbeat(7, 2, 0)] });
      const result = await rawPeer(b.url, headers(CLUSTER, 1, 2), [forged]);
      expect(result.code).to.equal(CloseCode.ProtocolError);
      expect(b.inbox).to.have.length(0); // not even the well-addressed first message
    });
  });

  context('when the request is not a peer upgrade', () => {
    it('answers plain HTTP with 404', async () => {
      const b = await Member.start(2, signal);
      members = [b];
      const res = await fetch(`${b.url}/raft/stream`);
      expect(res.status).to.equal(404);
    });
  });
});
