/**
 * How the fault workers reach a member: read, write and compare-and-swap one key, each answering
 * with a definite result or throwing. The HTTP implementation speaks the etcd-compatible JSON
 * gateway (a CAS is a txn: compare VALUE (or CREATE = 0 for "absent"), put on success, range on
 * failure so a failed CAS also reports what it found).
 *
 * Classifying failures is the part that decides whether the checker is sound: an error on a
 * write may come after the entry was proposed (and later committed), so it is indeterminate; only
 * a connection that was refused (the request never reached a process) is a definite failure.
 */
import type { RegisterValue } from '../check/history.js';

export interface RegisterClient {
  read(key: string, signal: AbortSignal): Promise<RegisterValue>;
  write(key: string, value: string, signal: AbortSignal): Promise<void>;
  /** Returns whether it swapped, and on failure the value found. */
  cas(
    key: string,
    expected: RegisterValue,
    value: string,
    signal: AbortSignal,
  ): Promise<{ succeeded: boolean; current: RegisterValue }>;
  /** True when `err` proves the request did not take effect (a write that errs otherwise is indeterminate). */
  definitelyNotApplied(err: unknown): boolean;
  close(): Promise<void>;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();

/** An error reply from the gateway, with etcd's / Concord's code. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body.slice(0, 200)}`);
  }

  /** A short stable label for tallies: the Concord code from details when present. */
  get label(): string {
    try {
      const json = JSON.parse(this.body) as {
        details?: { code?: string }[] | { code?: string };
        message?: string;
      };
      const d = Array.isArray(json.details) ? json.details[0] : json.details;
      return d?.code ?? `HTTP_${this.status}`;
    } catch {
      return `HTTP_${this.status}`;
    }
  }
}

/** True when the request certainly never reached a member (connection refused). */
export function isDefinitelyNotSent(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code === 'ECONNREFUSED';
}

export function errorLabel(err: unknown): string {
  if (err instanceof GatewayError) return err.label;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'TIMEOUT';
  const cause = (err as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code ?? (err instanceof Error ? err.name : 'UNKNOWN');
}

interface RangeReply {
  kvs?: { value?: string }[];
}

export class HttpRegisterClient implements RegisterClient {
  /**
   * `serializableReads` reads the member's local state without the ReadIndex round: allowed to be
   * stale, so a run with it is the fault suite's negative control (it should find violations).
   */
  constructor(
    private readonly baseUrl: string,
    private readonly serializableReads = false,
  ) {}

  private async post<T>(path: string, body: unknown, signal: AbortSignal): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
    const text = await res.text();
    if (!res.ok) throw new GatewayError(res.status, text);
    return JSON.parse(text) as T;
  }

  definitelyNotApplied(err: unknown): boolean {
    return isDefinitelyNotSent(err);
  }

  async close(): Promise<void> {}

  async read(key: string, signal: AbortSignal): Promise<RegisterValue> {
    const res = await this.post<RangeReply>(
      '/v3/kv/range',
      { key: b64(key), ...(this.serializableReads ? { serializable: true } : {}) },
      signal,
    );
    const kv = res.kvs?.[0];
    return kv === undefined ? null : unb64(kv.value);
  }

  async write(key: string, value: string, signal: AbortSignal): Promise<void> {
    await this.post('/v3/kv/put', { key: b64(key), value: b64(value) }, signal);
  }

  async cas(
    key: string,
    expected: RegisterValue,
    value: string,
    signal: AbortSignal,
  ): Promise<{ succeeded: boolean; current: RegisterValue }> {
    const compare =
      expected === null
        ? { key: b64(key), target: 'CREATE', result: 'EQUAL', create_revision: '0' }
        : { key: b64(key), target: 'VALUE', result: 'EQUAL', value: b64(expected) };
    const res = await this.post<{ succeeded?: boolean; responses?: { response_range?: RangeReply }[] }>(
      '/v3/kv/txn',
      {
        compare: [compare],
        success: [{ request_put: { key: b64(key), value: b64(value) } }],
        failure: [{ request_range: { key: b64(key) } }],
      },
      signal,
    );
    if (res.succeeded === true) return { succeeded: true, current: value };
    const kv = res.responses?.[0]?.response_range?.kvs?.[0];
    return { succeeded: false, current: kv === undefined ? null : unb64(kv.value) };
  }
}
