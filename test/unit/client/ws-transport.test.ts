/** The default transport on real loopback sockets, against the fake member behind a ws server. */
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { WebSocket as WsWebSocket, WebSocketServer, type WebSocket } from 'ws';
import { Client, nativeWebSocketTransport, wsTransport } from '../../../client/index.js';
import { FrameQueue } from '../../../client/transport.js';
import { FakeCluster, FakeSession } from './fake-server.js';

interface Served {
  readonly url: string;
  readonly paths: string[];
  readonly sockets: Set<WebSocket>;
  close(): Promise<void>;
}

async function serve(cluster: FakeCluster): Promise<Served> {
  const member = cluster.member(1);
  const paths: string[] = [];
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('concord.v1.json') ? 'concord.v1.json' : false),
  });
  wss.on('connection', (socket, request) => {
    paths.push(request.url ?? '');
    sockets.add(socket);
    const queue = new FrameQueue();
    const session = new FakeSession(member, queue, () => socket.close());
    member.sessions.add(session);
    void (async () => {
      for await (const frame of queue) socket.send(frame);
    })();
    socket.on('message', (data: Buffer) => session.receive(data.toString('utf8')));
    socket.on('close', () => {
      sockets.delete(socket);
      session.drop();
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    paths,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of wss.clients) s.terminate();
        wss.close(() => resolve());
      }),
  };
}

describe('wsTransport', () => {
  it('talks the protocol over a real WebSocket on /ws with the concord.v1.json subprotocol', async () => {
    const cluster = new FakeCluster(1);
    const served = await serve(cluster);
    try {
      await using client = new Client({ endpoints: [served.url], transport: wsTransport() });
      await client.put('k', 'v');
      expect(await client.getText('k')).to.equal('v');
      expect(served.paths).to.deep.equal(['/ws']);
    } finally {
      await served.close();
    }
  });

  it('reconnects after the server terminates the socket and resumes a watch', async () => {
    const cluster = new FakeCluster(1);
    const served = await serve(cluster);
    try {
      await using client = new Client({ endpoints: [served.url] });
      const watch = client.watch({ key: 'k' });
      await watch.ready();
      const it = watch[Symbol.asyncIterator]();
      await client.put('k', '1');
      const first = await it.next();
      expect(first.done !== true && first.value.events.length).to.equal(1);
      for (const s of served.sockets) s.terminate();
      cluster.store.put(new TextEncoder().encode('k'), new TextEncoder().encode('2'));
      const second = await it.next();
      expect(second.done !== true && second.value.events[0]?.kv.modRevision).to.equal(3);
      expect(served.paths).to.have.length(2);
    } finally {
      await served.close();
    }
  });
});

describe('nativeWebSocketTransport', () => {
  it('works on a standard WebSocket (here: ws installed as globalThis.WebSocket)', async () => {
    const cluster = new FakeCluster(1);
    const served = await serve(cluster);
    const globals = globalThis as { WebSocket?: unknown };
    const previous = globals.WebSocket;
    globals.WebSocket = WsWebSocket;
    try {
      await using client = new Client({ endpoints: [served.url], transport: nativeWebSocketTransport() });
      await client.put('k', 'v');
      expect(await client.getText('k')).to.equal('v');
      for (const s of served.sockets) s.terminate();
      expect(await client.getText('k')).to.equal('v');
      expect(served.paths).to.deep.equal(['/ws', '/ws']);
    } finally {
      globals.WebSocket = previous;
      await served.close();
    }
  });
});
