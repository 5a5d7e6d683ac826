/**
 * Type tests of the public API: this file is compiled with the project's strict settings as part of
 * `npm run build` (never run). It uses only client/index.ts, as a consumer would, without `any`;
 * every `@ts-expect-error` line is a misuse the compiler must reject (if one compiled, the build
 * would fail with "unused @ts-expect-error").
 */
import { on, once } from 'node:events';
import {
  Client,
  Cmp,
  CompactedError,
  IndeterminateError,
  LeaseLostError,
  Op,
  UnreachableError,
  asText,
  type ClientLogger,
  type ClientState,
  type ClientStatus,
  type ConnectFailure,
  type KeyValue,
  type KvClient,
  type LeaseKeepAlive,
  type PutResult,
  type RangeResult,
  type Session,
  type TlsOptions,
  type Watch,
  type WatchBatch,
} from '../../../client/index.js';

/** pino's logger as its typings describe it (overloaded level methods, bindings, child), without `any`. */
interface PinoShaped {
  level: string;
  debug(obj: object, msg?: string, ...args: unknown[]): void;
  debug(msg: string, ...args: unknown[]): void;
  info(obj: object, msg?: string, ...args: unknown[]): void;
  info(msg: string, ...args: unknown[]): void;
  warn(obj: object, msg?: string, ...args: unknown[]): void;
  warn(msg: string, ...args: unknown[]): void;
  error(obj: object, msg?: string, ...args: unknown[]): void;
  error(msg: string, ...args: unknown[]): void;
  child(bindings: Record<string, unknown>): PinoShaped;
}
declare const pino: PinoShaped;

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

export async function consumer(): Promise<void> {
  await using client = new Client({ endpoints: ['ws://127.0.0.1:2379'], requestTimeoutMs: 2000 });
  const signal = AbortSignal.timeout(1000);

  const kv = await client.get('k', { signal, serializable: true });
  assertType<Equals<typeof kv, KeyValue | undefined>>(true);
  const text: string | undefined = await client.getText('k');
  const json: unknown = await client.getJson('k');
  const typed = await client.getJson('k', { parse: (v) => Number(v) });
  assertType<Equals<typeof typed, number | undefined>>(true);
  const range: RangeResult = await client.getPrefix('p/', {
    limit: 10,
    sortOrder: 'descend',
    sortTarget: 'mod',
  });
  const put: PutResult = await client.put('k', new Uint8Array([1]), { lease: 1, prevKv: true });
  void [text, json, range, put];

  // @ts-expect-error: values are strings or bytes, not numbers
  await client.put('k', 42);
  // @ts-expect-error: unknown sort order
  await client.getPrefix('p/', { sortOrder: 'sideways' });
  // @ts-expect-error: timeouts are numbers of milliseconds
  new Client({ endpoints: ['a:1'], requestTimeoutMs: '5s' });
  // @ts-expect-error: endpoints are required
  new Client({});

  const r = await client
    .txn()
    .if(Cmp.version('k', '>', 0))
    .then(Op.get('k'), Op.put('k', 'v'))
    .else(Op.prefix('p/'))
    .commit();
  if (r.succeeded) {
    const [got, written] = r.results;
    assertType<Equals<typeof got, KeyValue | undefined>>(true);
    assertType<Equals<typeof written, PutResult>>(true);
    // @ts-expect-error: the success branch has two results
    void r.results[2];
  } else {
    const [listing] = r.results;
    assertType<Equals<typeof listing, RangeResult>>(true);
  }
  // @ts-expect-error: unknown compare operator
  Cmp.version('k', '>=', 1);

  const watch: Watch = client.watch({ prefix: 'config/', startRevision: 5, signal });
  for await (const batch of watch) {
    assertType<Equals<typeof batch, WatchBatch>>(true);
    if (batch.type === 'events') for (const e of batch.events) void asText(e.kv.key);
    break;
  }
  try {
    await watch.next();
  } catch (e) {
    if (e instanceof CompactedError) void e.compactRevision;
    if (e instanceof IndeterminateError) void e.mayHaveApplied;
  }

  const grant = await client.lease.grant(10);
  await using ka: LeaseKeepAlive = await client.lease.keepAlive(grant.id, { signal });
  ka.signal.addEventListener('abort', () => {
    const reason: unknown = ka.signal.reason;
    if (reason instanceof LeaseLostError) void reason.reason;
  });
  const session: Session = await client.session({ ttlSec: 30 });
  await client.put('lock', 'me', { lease: session.leaseId, signal: session.signal });

  const view: KvClient = client.namespace('app/');
  await view.put('x', 'y');
  // @ts-expect-error: views do not own the connection
  await view.close();

  client.on('state', (s) => {
    assertType<Equals<typeof s, ClientState>>(true);
  });
  client.once('status', (s) => {
    assertType<Equals<typeof s, ClientStatus>>(true);
  });
  // Node's helpers take the client as the EventEmitter it is.
  const [first] = (await once(client, 'state', { signal })) as [ClientState];
  void first;
  for await (const [s] of on(client, 'status', { signal })) {
    const status = s as ClientStatus;
    if (status.type === 'connected') break;
  }
  // @ts-expect-error: no such event
  client.once('connected', () => undefined);

  await client.ready({ timeoutMs: 2000, signal });
  // @ts-expect-error: timeouts are numbers of milliseconds
  await client.ready({ timeoutMs: '2s' });
  try {
    await client.put('k', 'v');
  } catch (e) {
    if (e instanceof UnreachableError) {
      const failures: readonly ConnectFailure[] = e.failures;
      for (const f of failures) void [f.endpoint, f.code, f.tls, f.reason];
    }
  }

  const buffers: TlsOptions = {
    ca: [Buffer.from('pem'), 'pem'],
    cert: Buffer.from('pem'),
    key: new Uint8Array(),
    passphrase: 'secret',
  };
  new Client({ endpoints: ['wss://a:1'], tls: buffers });
  // @ts-expect-error: certificates are text or bytes
  new Client({ endpoints: ['wss://a:1'], tls: { ca: 42 } });

  const lines: ClientLogger = (line: string) => void line;
  new Client({ endpoints: ['a:1'], logger: lines });
  new Client({ endpoints: ['a:1'], logger: pino });
  new Client({ endpoints: ['a:1'], logger: pino.child({ component: 'concord' }) });
  new Client({ endpoints: ['a:1'], logger: console });
  // @ts-expect-error: a structured logger has all four level methods
  new Client({ endpoints: ['a:1'], logger: { info: () => undefined } });
  client.on('status', (s: ClientStatus) => {
    if (s.type === 'connected') void s.memberId;
    // @ts-expect-error: only connected carries memberId
    if (s.type === 'closed') void s.memberId;
  });
  // @ts-expect-error: no such event
  client.on('connected', () => undefined);
  for await (const s of client.status()) {
    if (s.type === 'failover') void s.to;
    break;
  }
}
