/**
 * The register operations through the SDK (`client/index.ts`), the way users reach Concord: one
 * `Client` per worker over every member's ws endpoint, failing over by itself. A CAS is a txn
 * (`Cmp.value ==`, or `Cmp.missing` for "absent"; `Op.get` on failure so a failed CAS reports the
 * value it found).
 *
 * Classification: the SDK marks every error with `mayHaveApplied` (IndeterminateError and codes
 * like TIMEOUT or UNAVAILABLE after sending); a write that fails with `mayHaveApplied === false`
 * certainly did not happen (`fail`), otherwise it is indeterminate.
 */
import { asText, Client, ClientError, Cmp, Op } from '../../client/index.js';
import type { RegisterValue } from '../check/history.js';
import type { RegisterClient } from './register-client.js';

export class SdkRegisterClient implements RegisterClient {
  readonly client: Client;

  /** `auth`: the user to authenticate as, for a cluster with access control on. */
  constructor(
    endpoints: readonly string[],
    requestTimeoutMs: number,
    auth?: { readonly username: string; readonly password: string },
  ) {
    this.client = new Client({ endpoints, requestTimeoutMs, ...(auth === undefined ? {} : { auth }) });
  }

  definitelyNotApplied(err: unknown): boolean {
    return err instanceof ClientError && !err.mayHaveApplied;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async read(key: string, signal: AbortSignal): Promise<RegisterValue> {
    const kv = await this.client.get(key, { signal });
    return kv === undefined ? null : asText(kv.value);
  }

  async write(key: string, value: string, signal: AbortSignal): Promise<void> {
    await this.client.put(key, value, { signal });
  }

  async cas(
    key: string,
    expected: RegisterValue,
    value: string,
    signal: AbortSignal,
  ): Promise<{ succeeded: boolean; current: RegisterValue }> {
    const r = await this.client
      .txn()
      .if(expected === null ? Cmp.missing(key) : Cmp.value(key, '==', expected))
      .then(Op.put(key, value))
      .else(Op.get(key))
      .commit({ signal });
    if (r.succeeded) return { succeeded: true, current: value };
    const kv = r.results[0];
    return { succeeded: false, current: kv === undefined ? null : asText(kv.value) };
  }
}
