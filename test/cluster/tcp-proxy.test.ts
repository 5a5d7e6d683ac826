import { expect } from 'chai';
import { PeerTransport } from '../../server/transport/index.js';
import { NodeTimers } from '../../server/platform/node-timers.js';
import type { Message } from '../../server/raft/types.js';
import { freePort } from '../helpers/ports.js';
import { TcpProxy } from './tcp-proxy.js';

const heartbeat = (from: number, to: number, commit: number): Message => ({
  type: 'MsgHeartbeat',
  from,
  to,
  term: 1,
  commit,
  context: '',
});

/** Sends heartbeats until one arrives, or gives up after `attempts`; returns whether one arrived. */
async function delivered(
  from: PeerTransport,
  fromId: number,
  to: number,
  inbox: Message[],
  attempts: number,
): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    const before = inbox.filter((m) => m.from === fromId).length;
    from.send([heartbeat(fromId, to, i)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (inbox.filter((m) => m.from === fromId).length > before) return true;
  }
  return false;
}

describe('TcpProxy', () => {
  it('cuts the links of one source address and keeps the others (with transports dialling from their own address)', async () => {
    const targetPort = await freePort('127.0.0.3');
    const proxyPort = await freePort('127.0.0.3');
    const proxy = new TcpProxy('127.0.0.3', proxyPort, '127.0.0.3', targetPort);
    await proxy.start();
    const timers = new NodeTimers();
    const receiver = new PeerTransport({
      clusterId: 'c',
      memberId: 3,
      listenUrls: [`http://127.0.0.3:${targetPort}`],
      timers,
    });
    const fromA = new PeerTransport({
      clusterId: 'c',
      memberId: 1,
      localAddress: '127.0.0.1',
      timers,
      reconnectBackoffMinMs: 10,
      reconnectBackoffMaxMs: 20,
    });
    const fromB = new PeerTransport({
      clusterId: 'c',
      memberId: 2,
      localAddress: '127.0.0.2',
      timers,
      reconnectBackoffMinMs: 10,
      reconnectBackoffMaxMs: 20,
    });
    const inbox: Message[] = [];
    receiver.onMessage((m) => inbox.push(m));
    try {
      await receiver.start();
      // The handshake accepts only current members: the receiver knows both senders (at a closed
      // port, so its own dials to them fail and only theirs carry messages).
      for (const id of [1, 2]) receiver.addPeer(id, ['http://127.0.0.3:1']);
      for (const t of [fromA, fromB]) {
        await t.start();
        t.addPeer(3, [`http://127.0.0.3:${proxyPort}`]);
      }
      const fromOnly = (id: number): Message[] => inbox.filter((m) => m.from === id);
      expect(await delivered(fromA, 1, 3, inbox, 100)).to.equal(true);
      proxy.block('127.0.0.1');
      inbox.length = 0;
      // B still gets through; A's messages stop (dropped at the proxy, never delivered).
      expect(await delivered(fromB, 2, 3, inbox, 100)).to.equal(true);
      for (let i = 0; i < 10; i++) fromA.send([heartbeat(1, 3, 1000 + i)]);
      expect(await delivered(fromB, 2, 3, inbox, 100)).to.equal(true);
      expect(fromOnly(1)).to.deep.equal([]);
      proxy.unblock();
      expect(await delivered(fromA, 1, 3, inbox, 200)).to.equal(true);
    } finally {
      await Promise.all([receiver.close(), fromA.close(), fromB.close()]);
      await proxy.close();
    }
  });
});
