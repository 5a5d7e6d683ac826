/**
 * Test helpers for the client API: a raw protocol client over real `ws` (frames as parsed JSON, so
 * tests assert the wire form), a server started on 127.0.0.1 port 0 with the fake backend, and
 * fetch helpers for the HTTP gateway.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { SUBPROTOCOL_JSON_V1 } from '../../client/protocol/index.js';
import { startClientApi, type ApiLimits, type ClientApi } from '../../server/api/index.js';
import { MetricsRegistry } from '../../server/api/metrics.js';
import type { LogFields, Logger } from '../../server/platform/logger.js';
import { FakeBackend } from './fake-backend.js';

export type Json = Record<string, unknown> & { type?: string; id?: number };

/** Bytes as etcd's JSON wants them. */
export const b64 = (s: string): string => Buffer.from(s).toString('base64');
export const unb64 = (s: unknown): string => Buffer.from(String(s), 'base64').toString();

/** A bound for "this should have happened by now": turns a hang into a readable failure. */
const WAIT_BOUND_MS = 10_000;

export class TestClient {
  private readonly inbox: Json[] = [];
  private waiters: { pred: (f: Json) => boolean; resolve: (f: Json) => void }[] = [];
  private nextId = 1;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The TCP socket under the WebSocket (to pause reading, as a slow client). */
  socket: Socket | undefined;
  welcome: Json | undefined;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const frame = JSON.parse(data.toString()) as Json;
      const i = this.waiters.findIndex((w) => w.pred(frame));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        w?.resolve(frame);
      } else this.inbox.push(frame);
    });
    ws.on('error', () => undefined);
  }

  static async open(
    baseUrl: string,
    options: {
      protocols?: string[];
      hello?: boolean;
      autoPong?: boolean;
      path?: string;
      /** Optional protocol features to announce in the hello. */
      features?: string[];
    } = {},
  ): Promise<TestClient> {
    const url = baseUrl.replace(/^http/, 'ws') + (options.path ?? '/ws');
    const ws = new WebSocket(url, options.protocols ?? [SUBPROTOCOL_JSON_V1], {
      autoPong: options.autoPong ?? true,
    });
    const client = new TestClient(ws);
    ws.on('upgrade', (res: IncomingMessage) => (client.socket = res.socket as Socket));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (options.hello !== false) {
      const hello: Json = { type: 'hello', protocol_version: 1, client_name: 'test' };
      if (options.features !== undefined) hello['features'] = options.features;
      client.send(hello);
      client.welcome = await client.next((f) => f.type === 'welcome');
    }
    return client;
  }

  send(frame: Json | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame matching `pred` (consumed), waiting for it if needed. */
  next(pred: (f: Json) => boolean, what = 'a frame'): Promise<Json> {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as Json);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `no ${what} within ${WAIT_BOUND_MS} ms; inbox: ${JSON.stringify(this.inbox).slice(0, 500)}`,
          ),
        );
      }, WAIT_BOUND_MS);
      const waiter = {
        pred,
        resolve: (f: Json) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Frames received and not consumed yet. */
  pending(): readonly Json[] {
    return this.inbox;
  }

  allocId(): number {
    return this.nextId++;
  }

  /** Sends a request; resolves with its response frame. */
  async call(method: string, params?: Record<string, unknown>, id = this.allocId()): Promise<Json> {
    const frame: Json = { type: 'request', id, method };
    if (params !== undefined) frame['params'] = params;
    this.send(frame);
    return this.next((f) => f.type === 'response' && f.id === id, `response to #${id} ${method}`);
  }

  /** Sends a request; resolves with its result, or throws with the error body. */
  async ok(method: string, params?: Record<string, unknown>, id?: number): Promise<Json> {
    const res = await this.call(method, params, id);
    if (res['error'] !== undefined) throw new Error(`${method} failed: ${JSON.stringify(res['error'])}`);
    return res['result'] as Json;
  }

  close(): void {
    this.ws.close();
  }
}

/** A logger that records messages and lets a test wait for one (an event, not a sleep). */
export class LogSpy implements Logger {
  readonly lines: { level: string; msg: string; fields: LogFields | undefined }[] = [];
  private waiters: { msg: string; resolve: () => void }[] = [];
  debug(msg: string, fields?: LogFields): void {
    this.record('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.record('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.record('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.record('error', msg, fields);
  }
  /** Resolves when `msg` has been logged (at once if it already was). */
  when(msg: string): Promise<void> {
    if (this.lines.some((l) => l.msg === msg)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ msg, resolve }));
  }
  has(msg: string): boolean {
    return this.lines.some((l) => l.msg === msg);
  }
  private record(level: string, msg: string, fields: LogFields | undefined): void {
    this.lines.push({ level, msg, fields });
    this.waiters = this.waiters.filter((w) => {
      if (w.msg !== msg) return true;
      w.resolve();
      return false;
    });
  }
}

export interface TestServer {
  readonly api: ClientApi;
  readonly backend: FakeBackend;
  readonly url: string;
  readonly registry: MetricsRegistry;
  readonly log: LogSpy;
  readonly clients: TestClient[];
  client(options?: {
    hello?: boolean;
    protocols?: string[];
    autoPong?: boolean;
    features?: string[];
  }): Promise<TestClient>;
  stop(): Promise<void>;
}

export async function startTestServer(
  limits: Partial<ApiLimits> = {},
  backend = new FakeBackend(),
): Promise<TestServer> {
  const registry = new MetricsRegistry();
  const log = new LogSpy();
  const api = await startClientApi({
    logger: log,
    listenUrls: ['http://127.0.0.1:0'],
    backend,
    limits,
    metrics: registry,
    serverVersion: '9.9.9-test',
  });
  const clients: TestClient[] = [];
  const url = api.urls[0] as string;
  return {
    api,
    backend,
    url,
    registry,
    log,
    clients,
    async client(options) {
      const c = await TestClient.open(url, options);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.ws.terminate();
      await api.close();
    },
  };
}

/** POSTs a JSON body (a string is sent as is) to the gateway. */
export async function post(
  url: string,
  path: string,
  body: unknown,
): Promise<{ status: number; json: Json; text: string }> {
  const res = await fetch(url + path, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // streams and plain text: the caller reads `text`
  }
  return { status: res.status, json, text };
}

/** A streamed gateway response (`/v3/watch`), read one JSON line at a time. */
export interface LineStream {
  readonly status: number;
  /** The next line, parsed (undefined at the end of the response). */
  next(): Promise<Json | undefined>;
  abort(): void;
}

/** POSTs a body (a string is sent as is) and reads the streamed response line by line. */
export async function openLineStream(url: string, body: unknown): Promise<LineStream> {
  const ac = new AbortController();
  const res = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: ac.signal,
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    status: res.status,
    abort: () => ac.abort(),
    async next() {
      for (;;) {
        const nl = buffered.indexOf('\n');
        if (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          return JSON.parse(line) as Json;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffered += decoder.decode(value, { stream: true });
      }
    },
  };
}

/** The Concord error code inside a gateway error body. */
export function gatewayCode(json: Json): unknown {
  const details = json['details'] as Json[] | undefined;
  return details?.[0]?.['code'];
}
