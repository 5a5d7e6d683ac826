/**
 * `npm run bench -- h2-authority-shim [--requests N] [--rounds N] [--concurrency N]`: what the
 * HTTP/2 authority shim (server/api/h2-authority-shim.ts) costs per request. One process holds a
 * node:http2 server and a node:http2 client sending gRPC-shaped unary calls (etcdctl's headers,
 * `:authority` with a scheme, a 5-byte-framed body, an answer with trailers); the server reads
 * the connection straight from the socket, or routed by its first request (h2-first-request.ts):
 * natively for a bare `:authority`, through the shim for etcdctl's URL; the rows take turns round
 * by round. CPU is this process's user + system time per request (client and server
 * alike, so the difference between the rows is the shim's). Compare with the member's CPU per gRPC
 * put (`npm run bench -- door-cpu`).
 */
import { connect, createServer, type ClientHttp2Session } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AuthorityShim } from '../server/api/h2-authority-shim.js';
import { routeByFirstRequest } from '../server/api/h2-first-request.js';
import { ArgReader } from './args.js';
import { median } from './stats.js';

const USAGE = 'usage: npm run bench -- h2-authority-shim [--requests 20000] [--rounds 5] [--concurrency 16]';

const BODY = Buffer.concat([Buffer.from([0, 0, 0, 0, 70]), Buffer.alloc(70, 120)]);

async function callMany(
  session: ClientHttp2Session,
  authority: string,
  requests: number,
  concurrency: number,
): Promise<void> {
  let next = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = session.request({
        ':method': 'POST',
        ':scheme': 'http',
        ':path': '/etcdserverpb.KV/Put',
        ':authority': authority,
        'content-type': 'application/grpc',
        'user-agent': 'grpc-go/1.26.0',
        te: 'trailers',
        'grpc-timeout': '4999833u',
      });
      req.on('data', () => undefined);
      req.on('end', resolve);
      req.on('error', reject);
      req.end(BODY);
    });
  const worker = async (): Promise<void> => {
    while (next++ < requests) await one();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function run(argv: string[]): Promise<void> {
  const a = new ArgReader(argv, USAGE);
  let requests = 20_000;
  let rounds = 5;
  let concurrency = 16;
  for (let f = a.flag(); f !== undefined; f = a.flag()) {
    if (f === '--requests') requests = a.integer(f);
    else if (f === '--rounds') rounds = a.integer(f);
    else if (f === '--concurrency') concurrency = a.integer(f);
    else throw a.unknown(f);
  }
  const h2 = createServer();
  h2.on('stream', (stream) => {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(BODY);
    });
  });
  const toNode = (s: Duplex): void => {
    h2.emit('connection', s);
  };
  const routed = (s: Socket): void =>
    routeByFirstRequest(s, { native: toNode, shim: (c) => toNode(new AuthorityShim(c)) });
  // The native server would refuse the URL (the reason for the shim): the first two rows send
  // host:port, the last etcdctl's URL.
  const modes = [
    { name: 'native socket (no routing)', accept: toNode, authority: '127.0.0.1:2379' },
    { name: 'routed by first request → native', accept: routed, authority: '127.0.0.1:2379' },
    { name: 'routed by first request → shim', accept: routed, authority: 'http://127.0.0.1:2379' },
  ];
  const listeners = await Promise.all(
    modes.map(
      (m) =>
        new Promise<ReturnType<typeof createNetServer>>((resolve) => {
          const l = createNetServer(m.accept);
          l.listen(0, '127.0.0.1', () => resolve(l));
        }),
    ),
  );
  const sessions = listeners.map((l) => connect(`http://127.0.0.1:${(l.address() as AddressInfo).port}`));
  try {
    for (let i = 0; i < modes.length; i++)
      await callMany(sessions[i]!, modes[i]!.authority, 2000, concurrency);
    const samples: number[][] = modes.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < modes.length; i++) {
        const before = process.cpuUsage();
        await callMany(sessions[i]!, modes[i]!.authority, requests, concurrency);
        const used = process.cpuUsage(before);
        samples[i]!.push((used.user + used.system) / requests);
      }
    }
    const base = median(samples[0]!);
    console.log(`CPU per unary call, client and server in one process, ${requests} calls × ${rounds} rounds`);
    console.log('| server reads | CPU µs/call (median) | min–max | vs native |');
    console.log('|---|---|---|---|');
    modes.forEach((m, i) => {
      const s = samples[i]!;
      const med = median(s);
      console.log(
        `| ${m.name} | ${med.toFixed(1)} | ${Math.min(...s).toFixed(1)}–${Math.max(...s).toFixed(1)} | ${(med - base).toFixed(1)} µs (${(med / base).toFixed(2)}×) |`,
      );
    });
  } finally {
    for (const s of sessions) s.close();
    for (const l of listeners) l.close();
    h2.close();
  }
}
