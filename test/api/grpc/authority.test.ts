/**
 * etcdctl 3.4 with endpoints given as URLs (`http://…`, `https://…`) against the client port: it
 * sends the URL, scheme included, as `:authority`, which the authority shim
 * (server/api/h2-authority-shim.ts) makes acceptable to node:http2, over cleartext h2c and over
 * TLS with ALPN h2 and a client certificate; the calls still know their peer and certificate
 * user. A client whose frames cannot be followed is cut off and counted, and the member serves on.
 */
import { create } from '@bufbuild/protobuf';
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { RangeRequestSchema, RangeResponseSchema } from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import type { PutRequest, PutResponse } from '../../../client/protocol/index.js';
import type { CallOptions } from '../../../server/api/backend.js';
import { startClientApi, type ClientApi } from '../../../server/api/index.js';
import { requireEtcdctl, runEtcdctl } from '../../helpers/etcdctl.js';
import { eventually } from '../../helpers/eventually.js';
import { createTestPki, type TestPki } from '../../helpers/tls.js';
import { FakeBackend } from '../fake-backend.js';
import { RawGrpc } from './grpc-client.js';

/** Remembers the options of every put. */
class RecordingBackend extends FakeBackend {
  readonly puts: CallOptions[] = [];
  override async put(req: PutRequest, options: CallOptions): Promise<PutResponse> {
    this.puts.push(options);
    return super.put(req, options);
  }
}

const hostPort = (url: string): string => url.replace(/^https?:\/\//, '');

describe('gRPC door: :authority with a scheme (etcdctl 3.4)', function () {
  this.timeout(60_000);

  before(function () {
    requireEtcdctl(this);
  });

  context('over cleartext HTTP/2', () => {
    let backend: RecordingBackend;
    let api: ClientApi;
    let url: string;

    beforeEach(async () => {
      backend = new RecordingBackend();
      api = await startClientApi({ listenUrls: ['http://127.0.0.1:0'], backend });
      url = api.urls[0]!;
    });
    afterEach(() => api.close());

    it('serves endpoint status, put and get to an http:// endpoint', async () => {
      const status = await runEtcdctl([url], ['endpoint', 'status']);
      expect(status.stderr).to.equal('');
      expect(status.stdout).to.match(new RegExp(`^${url}, 16, `));
      const put = await runEtcdctl([url], ['put', 'k', 'v']);
      expect(put.stdout).to.equal('OK\n');
      const get = await runEtcdctl([url], ['get', 'k']);
      expect(get.stdout).to.equal('k\nv\n');
    });

    it('gives the calls their peer, with and without the scheme', async () => {
      await runEtcdctl([url], ['put', 'a', '1']);
      await runEtcdctl([hostPort(url)], ['put', 'b', '2']);
      expect(backend.puts.map((o) => o.peer)).to.satisfy((peers: string[]) =>
        peers.every((p) => /^127\.0\.0\.1:\d+$/.test(p)),
      );
      expect(backend.puts).to.have.length(2);
    });

    it('cuts off a client whose frames cannot be followed, counts it, and serves the others', async () => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      const closed = new Promise<Buffer>((resolve) => {
        const got: Buffer[] = [];
        socket.on('data', (b: Buffer) => got.push(b));
        socket.on('close', () => resolve(Buffer.concat(got)));
      });
      socket.on('error', () => undefined);
      const frame = (type: number, flags: number, stream: number, payload: number[]): Buffer =>
        Buffer.concat([
          Buffer.from([0, 0, payload.length, type, flags, 0, 0, 0, stream]),
          Buffer.from(payload),
        ]);
      // A first request with etcdctl's authority sends the connection through the shim; the
      // client acknowledges the member's SETTINGS, as clients do; then a header block that
      // names an index past every HPACK table.
      const literal = (name: string, value: string): number[] => [
        0,
        name.length,
        ...Buffer.from(name),
        value.length,
        ...Buffer.from(value),
      ];
      const first = [
        ...literal(':method', 'POST'),
        ...literal(':scheme', 'http'),
        ...literal(':path', '/etcdserverpb.KV/Range'),
        ...literal(':authority', url),
        ...literal('content-type', 'application/grpc'),
      ];
      socket.write(
        Buffer.concat([
          Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
          frame(0x4, 0, 0, []),
          frame(0x4, 0x1, 0, []),
          frame(0x1, 0x4, 1, first),
          frame(0x1, 0x4, 3, [0xff, 0x7f]),
        ]),
      );
      const answer = await closed;
      // Somewhere after node's SETTINGS: GOAWAY with COMPRESSION_ERROR.
      const at = answer.indexOf(Buffer.from([0, 0, 8, 7, 0, 0, 0, 0, 0]));
      expect(at, 'a GOAWAY frame').to.be.at.least(0);
      expect(answer.readUInt32BE(at + 13)).to.equal(9);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).to.match(/^concord_client_http2_malformed_total 1$/m);
      const grpc = new RawGrpc(url);
      try {
        const got = await grpc.unary(
          '/etcdserverpb.KV/Range',
          RangeRequestSchema,
          RangeResponseSchema,
          create(RangeRequestSchema, { key: new Uint8Array([0x6b]) }),
        );
        expect(got.header?.memberId).to.equal(22n);
      } finally {
        grpc.close();
      }
    });
  });

  context('over TLS (ALPN h2) with a client certificate', () => {
    let pki: TestPki;
    let backend: RecordingBackend;
    let api: ClientApi;
    let url: string;

    before(async () => {
      pki = await createTestPki();
    });
    after(() => pki.remove());
    beforeEach(async () => {
      const [cert, key, ca] = await Promise.all([
        readFile(pki.peer.certFile),
        readFile(pki.peer.keyFile),
        readFile(pki.caFile),
      ]);
      backend = new RecordingBackend();
      api = await startClientApi({
        listenUrls: ['https://127.0.0.1:0'],
        tls: { cert, key, ca, requestCert: true, rejectUnauthorized: true },
        backend,
      });
      url = api.urls[0]!;
    });
    afterEach(() => api.close());

    it('serves an https:// endpoint, the call knowing its certificate user and peer', async () => {
      const tls = ['--cacert', pki.caFile, '--cert', pki.peer.certFile, '--key', pki.peer.keyFile];
      const status = await runEtcdctl([url], [...tls, 'endpoint', 'status']);
      expect(status.stderr).to.equal('');
      expect(status.stdout).to.match(new RegExp(`^${url}, 16, `));
      const health = await runEtcdctl([url], [...tls, 'endpoint', 'health']);
      // etcdctl 3.4 writes its health lines to stderr.
      expect(health.stderr).to.match(new RegExp(`^${url} is healthy`));
      const put = await runEtcdctl([url], [...tls, 'put', 'k', 'v']);
      expect(put.stdout).to.equal('OK\n');
      await eventually('the put', () => (backend.puts.length === 1 ? true : undefined));
      expect(backend.puts[0]!.certUser).to.equal('peer');
      expect(backend.puts[0]!.peer).to.match(/^127\.0\.0\.1:\d+$/);
    });
  });
});
