/**
 * One watch stream behind three doors: the same cases, from one table, against the WebSocket
 * protocol, the gateway's `/v3/watch` and gRPC's `Watch` (server/api/watch-stream-core.ts). Each
 * door's answers are brought to one shape (`Msg`) so that a case states the behaviour once; where
 * the doors differ by design (the WebSocket answers a create in a `response`, etcd's doors in the
 * stream), the shape says what both mean.
 */
import { create } from '@bufbuild/protobuf';
import { status, type ServiceError } from '@grpc/grpc-js';
import { expect } from 'chai';
import {
  WatchRequestSchema,
  WatchResponseSchema,
  type WatchResponse,
} from '../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import { b64, startTestServer, unb64, type Json, type TestServer } from './helpers.js';
import { RawGrpc } from './grpc/grpc-client.js';
import { RangeRequestSchema, RangeResponseSchema } from '../../client/protocol/gen/etcdserverpb/rpc_pb.js';

/** A watch stream's message, whatever the door. */
interface Msg {
  readonly kind: 'created' | 'events' | 'progress' | 'canceled' | 'refused';
  readonly watchId: number;
  readonly keys: readonly string[];
  readonly fragment: boolean;
  /** The compaction revision a watch was refused or canceled for (0: none). */
  readonly compactRevision: number;
}

interface Create {
  readonly key: string;
  readonly rangeEnd?: string;
  readonly startRevision?: number;
  readonly progressNotify?: boolean;
  readonly fragment?: boolean;
  /** The id the client chooses (etcd's doors; the request id on the WebSocket). */
  readonly watchId?: number;
}

const WAIT_BOUND_MS = 10_000;

/** Messages in arrival order; `next` takes the first matching one, waiting for it. */
class Inbox {
  private readonly messages: Msg[] = [];
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];

  push(m: Msg): void {
    const i = this.waiters.findIndex((w) => w.pred(m));
    if (i >= 0) this.waiters.splice(i, 1)[0]?.resolve(m);
    else this.messages.push(m);
  }

  next(pred: (m: Msg) => boolean, what: string): Promise<Msg> {
    const i = this.messages.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.messages.splice(i, 1)[0] as Msg);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${what} within ${WAIT_BOUND_MS} ms; got ${JSON.stringify(this.messages)}`));
      }, WAIT_BOUND_MS);
      const waiter = {
        pred,
        resolve: (m: Msg) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Every message of watch `id` received so far and not taken, in order. */
  of(id: number): Msg[] {
    return this.messages.filter((m) => m.watchId === id);
  }
}

interface DoorStream {
  readonly inbox: Inbox;
  close(): void;
}

interface Door {
  readonly name: string;
  /** Opens a stream carrying `creates` (in order, each answered before the next is served). */
  open(server: TestServer, creates: readonly Create[]): Promise<DoorStream>;
}

const msg = (kind: Msg['kind'], watchId: number, extra: Partial<Msg> = {}): Msg => ({
  kind,
  watchId,
  keys: [],
  fragment: false,
  compactRevision: 0,
  ...extra,
});

/** The JSON of a create, with etcd's field names (the gateway's and the WebSocket's params). */
function createJson(c: Create, withId: boolean): Json {
  const json: Json = { key: b64(c.key) };
  if (c.rangeEnd !== undefined) json['range_end'] = b64(c.rangeEnd);
  if (c.startRevision !== undefined) json['start_revision'] = String(c.startRevision);
  if (c.progressNotify === true) json['progress_notify'] = true;
  if (c.fragment === true) json['fragment'] = true;
  if (withId && c.watchId !== undefined) json['watch_id'] = String(c.watchId);
  return json;
}

/** An etcd WatchResponse in JSON (the gateway's lines) as a Msg. */
function fromEtcdJson(r: Json): Msg {
  const watchId = Number(r['watch_id'] ?? 0);
  const compactRevision = Number(r['compact_revision'] ?? 0);
  if (r['canceled'] === true)
    return msg(r['created'] === true ? 'refused' : 'canceled', watchId, { compactRevision });
  if (r['created'] === true) return msg('created', watchId);
  const events = (r['events'] as Json[] | undefined) ?? [];
  if (events.length === 0 && r['fragment'] !== true) return msg('progress', watchId);
  return msg('events', watchId, {
    keys: events.map((e) => unb64((e['kv'] as Json)['key'])),
    fragment: r['fragment'] === true,
  });
}

const websocket: Door = {
  name: 'WebSocket',
  async open(server, creates) {
    const client = await server.client();
    const inbox = new Inbox();
    let auto = 1000;
    const createIds = new Set<number>();
    const ws = client.ws;
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Json;
      const id = Number(f.id ?? -1);
      const result = (f['result'] ?? {}) as Json;
      const error = f['error'] as Json | undefined;
      if (f.type === 'response' && createIds.has(id)) {
        const details = (error?.['details'] ?? {}) as Json;
        inbox.push(
          error === undefined
            ? msg('created', id)
            : msg('refused', id, { compactRevision: Number(details['compact_revision'] ?? 0) }),
        );
      } else if (f.type === 'error') {
        inbox.push(msg('refused', -1)); // a request id (= watch id) already in use
      } else if (f.type === 'watch') {
        const events = (result['events'] as Json[] | undefined) ?? [];
        inbox.push(
          events.length === 0
            ? msg('progress', id)
            : msg('events', id, {
                keys: events.map((e) => unb64((e['kv'] as Json)['key'])),
                fragment: result['fragment'] === true,
              }),
        );
      } else if (f.type === 'end') {
        const details = ((error?.['details'] ?? {}) as Json) ?? {};
        inbox.push(msg('canceled', id, { compactRevision: Number(details['compact_revision'] ?? 0) }));
      }
    });
    for (const c of creates) {
      const id = c.watchId ?? auto++;
      createIds.add(id);
      client.send({ type: 'request', id, method: 'watch.create', params: createJson(c, false) });
    }
    return { inbox, close: () => client.close() };
  },
};

const gateway: Door = {
  name: 'gateway',
  async open(server, creates) {
    const ac = new AbortController();
    const body = creates.map((c) => JSON.stringify({ create_request: createJson(c, true) })).join('\n');
    const res = await fetch(`${server.url}/v3/watch`, { method: 'POST', body, signal: ac.signal });
    expect(res.status).to.equal(200);
    const inbox = new Inbox();
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    void (async () => {
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done === true) return;
        buffered += decoder.decode(value, { stream: true });
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          inbox.push(fromEtcdJson((JSON.parse(line) as Json)['result'] as Json));
        }
      }
    })();
    return { inbox, close: () => ac.abort() };
  },
};

const grpc: Door = {
  name: 'gRPC',
  async open(server, creates) {
    const client = new RawGrpc(server.url);
    const stream = client.bidi('/etcdserverpb.Watch/Watch', WatchRequestSchema, WatchResponseSchema);
    const inbox = new Inbox();
    stream.on('data', (r: WatchResponse) => {
      const watchId = Number(r.watchId);
      const compactRevision = Number(r.compactRevision);
      if (r.canceled) inbox.push(msg(r.created ? 'refused' : 'canceled', watchId, { compactRevision }));
      else if (r.created) inbox.push(msg('created', watchId));
      else if (r.events.length === 0 && !r.fragment) inbox.push(msg('progress', watchId));
      else
        inbox.push(
          msg('events', watchId, {
            keys: r.events.map((e) => new TextDecoder().decode(e.kv?.key)),
            fragment: r.fragment,
          }),
        );
    });
    stream.on('error', () => undefined);
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    for (const c of creates) {
      stream.write(
        create(WatchRequestSchema, {
          requestUnion: {
            case: 'createRequest',
            value: {
              key: enc(c.key),
              ...(c.rangeEnd === undefined ? {} : { rangeEnd: enc(c.rangeEnd) }),
              startRevision: BigInt(c.startRevision ?? 0),
              progressNotify: c.progressNotify ?? false,
              fragment: c.fragment ?? false,
              watchId: BigInt(c.watchId ?? 0),
            },
          },
        }),
      );
    }
    return {
      inbox,
      close: () => {
        stream.cancel();
        client.close();
      },
    };
  },
};

const put = (server: TestServer, key: string, value: Uint8Array | string): Promise<unknown> =>
  server.backend.put(
    {
      key: Buffer.from(key),
      value: typeof value === 'string' ? Buffer.from(value) : value,
      lease: 0,
      prevKv: false,
      ignoreValue: false,
      ignoreLease: false,
    },
    {},
  );

/** One revision of 20 puts of 10 kB each: larger than any door's frame budget in these tests. */
const bigRevision = (server: TestServer): Promise<unknown> =>
  server.backend.txn(
    {
      compare: [],
      success: Array.from({ length: 20 }, (_, i) => ({
        type: 'put' as const,
        request: {
          key: Buffer.from(`big${String(i).padStart(2, '0')}`),
          value: new Uint8Array(10_000).fill(65),
          lease: 0,
          prevKv: false,
          ignoreValue: false,
          ignoreLease: false,
        },
      })),
      failure: [],
    },
    {},
  );

const BIG_KEYS = Array.from({ length: 20 }, (_, i) => `big${String(i).padStart(2, '0')}`);

describe('Watch streams on every door', () => {
  let server: TestServer;
  let stream: DoorStream | undefined;

  afterEach(async () => {
    stream?.close();
    stream = undefined;
    await server.stop();
  });

  for (const door of [websocket, gateway, grpc]) {
    describe(door.name, () => {
      it('answers created before any event of the watch, then replays history in order', async () => {
        server = await startTestServer();
        for (const key of ['h1', 'h2', 'h3']) await put(server, key, 'v');
        stream = await door.open(server, [{ key: 'h', rangeEnd: 'i', startRevision: 1 }]);
        const first = await stream.inbox.next(() => true, 'the first message');
        expect(first.kind).to.equal('created');
        const seen: string[] = [];
        while (seen.length < 3) {
          const m = await stream.inbox.next((x) => x.watchId === first.watchId, 'events');
          expect(m.kind).to.equal('events');
          seen.push(...m.keys);
        }
        expect(seen).to.deep.equal(['h1', 'h2', 'h3']);
      });

      it('sends progress notifications to an idle watch created with progress_notify', async () => {
        server = await startTestServer({ progressIntervalMs: 20 });
        stream = await door.open(server, [{ key: 'quiet' }, { key: 'idle', progressNotify: true }]);
        const quiet = await stream.inbox.next((m) => m.kind === 'created', 'created (quiet)');
        const idle = await stream.inbox.next((m) => m.kind === 'created', 'created (idle)');
        const progress = await stream.inbox.next((m) => m.kind === 'progress', 'a progress notification');
        expect(progress.watchId).to.equal(idle.watchId);
        expect(stream.inbox.of(quiet.watchId)).to.deep.equal([]);
      });

      it('splits a revision larger than a frame into fragments when the watch asks for them', async () => {
        server = await startTestServer({ maxFrameBytes: 100_000, maxRequestBytes: 20_000 });
        stream = await door.open(server, [{ key: 'big', rangeEnd: 'bih', fragment: true }]);
        const created = await stream.inbox.next((m) => m.kind === 'created', 'created');
        await bigRevision(server);
        const frames: Msg[] = [];
        let count = 0;
        while (count < 20) {
          const m = await stream.inbox.next((x) => x.watchId === created.watchId, 'a fragment');
          expect(m.kind).to.equal('events');
          frames.push(m);
          count += m.keys.length;
        }
        expect(frames.length).to.be.greaterThan(1);
        expect(frames.slice(0, -1).every((f) => f.fragment)).to.equal(true);
        expect(frames.at(-1)?.fragment).to.equal(false);
        expect(frames.flatMap((f) => f.keys)).to.deep.equal(BIG_KEYS);
      });

      it('refuses a create whose watch id is already open, and keeps serving the first', async () => {
        server = await startTestServer();
        stream = await door.open(server, [
          { key: 'd', watchId: 7 },
          { key: 'x', watchId: 7 },
        ]);
        const created = await stream.inbox.next((m) => m.kind === 'created', 'created');
        expect(created.watchId).to.equal(7);
        const refused = await stream.inbox.next((m) => m.kind === 'refused', 'the refusal');
        expect(refused.watchId).to.equal(-1);
        await put(server, 'd', 'v');
        const events = await stream.inbox.next((m) => m.kind === 'events', 'an event of watch 7');
        expect(events).to.deep.include({ watchId: 7, keys: ['d'] });
      });

      it('answers a start revision already compacted with the compaction revision', async () => {
        server = await startTestServer();
        for (let i = 0; i < 4; i++) await put(server, 'c', String(i));
        server.backend.compactRevision = 4;
        stream = await door.open(server, [{ key: 'c', startRevision: 2 }]);
        const answer = await stream.inbox.next((m) => m.kind !== 'created', 'the compaction answer');
        // WebSocket: the create's response is COMPACTED; etcd's doors: created, then canceled.
        expect(answer.kind).to.equal(door === websocket ? 'refused' : 'canceled');
        expect(answer.compactRevision).to.equal(4);
        expect(server.backend.watcherCount).to.equal(0);
      });
    });
  }

  describe("etcd's doors", () => {
    for (const door of [gateway, grpc]) {
      it(`${door.name}: sends a large revision whole to a watch without fragment, as etcd does`, async () => {
        server = await startTestServer({ maxFrameBytes: 100_000, maxRequestBytes: 20_000 });
        stream = await door.open(server, [{ key: 'big', rangeEnd: 'bih' }]);
        const created = await stream.inbox.next((m) => m.kind === 'created', 'created');
        await bigRevision(server);
        const events = await stream.inbox.next((m) => m.watchId === created.watchId, 'the revision');
        expect(events).to.deep.include({ kind: 'events', fragment: false, keys: BIG_KEYS });
      });
    }
  });

  describe('a gRPC client that never reads its watch stream', () => {
    const createFor = (key: string) =>
      create(WatchRequestSchema, {
        requestUnion: { case: 'createRequest', value: { key: new TextEncoder().encode(key) } },
      });

    it('gets its stream ended with SLOW_WATCHER while the member serves the other clients', async () => {
      server = await startTestServer({ maxQueuedWatchBytes: 256 * 1024 });
      const slowClient = new RawGrpc(server.url);
      const otherClient = new RawGrpc(server.url);
      try {
        // The slow client reads its `created`, then stops reading: grpc-js stops taking data
        // from HTTP/2, so the member's writes are held by flow control.
        const slow = slowClient.bidi('/etcdserverpb.Watch/Watch', WatchRequestSchema, WatchResponseSchema);
        const slowGot: WatchResponse[] = [];
        const slowEnded = new Promise<ServiceError>((resolve) => slow.on('error', resolve));
        const slowCreated = new Promise<void>((resolve) =>
          slow.on('data', (r: WatchResponse) => {
            slowGot.push(r);
            if (r.created) {
              slow.pause();
              resolve();
            }
          }),
        );
        slow.write(createFor('s'));
        await slowCreated;

        const other = otherClient.bidi('/etcdserverpb.Watch/Watch', WatchRequestSchema, WatchResponseSchema);
        const otherInbox = new Inbox();
        other.on('data', (r: WatchResponse) =>
          otherInbox.push(
            msg(r.created ? 'created' : 'events', Number(r.watchId), {
              keys: r.events.map((e) => new TextDecoder().decode(e.kv?.key)),
            }),
          ),
        );
        other.on('error', () => undefined);
        other.write(createFor('o'));
        await otherInbox.next((m) => m.kind === 'created', 'the other watch created');
        expect(server.backend.watcherCount).to.equal(2);

        // Feed the slow watch until the member gives up on it; each put is one event of 16 kB.
        const value = new Uint8Array(16 * 1024).fill(66);
        let puts = 0;
        while (server.backend.watcherCount === 2 && puts < 10_000) {
          await put(server, 's', value);
          puts++;
          await new Promise((resolve) => setImmediate(resolve)); // let the sockets move
        }
        // The slow watch is gone from the backend while its client still does not read.
        expect(server.backend.watcherCount, `after ${puts} puts`).to.equal(1);
        expect(slow.isPaused()).to.equal(true);

        // The member is up and keeps serving the other client: an event, and a unary call.
        await put(server, 'o', 'still here');
        const event = await otherInbox.next((m) => m.kind === 'events', 'an event of the other watch');
        expect(event.keys).to.deep.equal(['o']);
        const range = await otherClient.unary(
          '/etcdserverpb.KV/Range',
          RangeRequestSchema,
          RangeResponseSchema,
          {
            key: new TextEncoder().encode('o'),
          },
        );
        expect(range.count).to.equal(1n);

        // Once the slow client reads again it learns why: a canceled watch, then the status.
        slow.resume();
        const err = await slowEnded;
        expect(err.code).to.equal(status.RESOURCE_EXHAUSTED);
        expect(err.metadata.get('concord-error-code')).to.deep.equal(['SLOW_WATCHER']);
        const canceled = slowGot.find((r) => r.canceled);
        expect(canceled?.cancelReason).to.match(/could not keep up/);
        // It ended before all the events fed to it were sent: the member dropped them.
        const delivered = slowGot.reduce((n, r) => n + r.events.length, 0);
        expect(delivered).to.be.lessThan(puts);
      } finally {
        slowClient.close();
        otherClient.close();
      }
    });
  });
});
