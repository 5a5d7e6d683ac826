/**
 * Typed, validated configuration that follows a key.
 *
 *   const parse = (v: unknown): Limits => { if (!isLimits(v)) throw new Error('bad limits'); return v; };
 *   for await (const u of subscribeConfig(client, 'app/limits', { parse, signal })) {
 *     if (u.type === 'value') apply(u.value);
 *     else if (u.type === 'invalid') log.warn(`ignored bad config at ${u.revision}: ${u.error}`);
 *   }
 *
 * The stored value is JSON (or, with `decode`, any text); `parse` (a schema's parse function, e.g.
 * zod's `schema.parse`) or `validate` (a type guard) checks it.
 *
 * Guarantees
 * - The first update is the current state (value, invalid, or missing), read linearizably; then one
 *   update per change of the key, in revision order, each tagged with its revision.
 * - Across member failovers and reconnects no update is missed or repeated: the SDK watch resumes
 *   from the revision after the last one delivered.
 * - A bad value (not JSON, or rejected by parse/validate) is delivered as `{ type: 'invalid' }`
 *   with the error and raw text, never as a value; the last good value is in `lastGood`.
 * - If the watch falls behind a compaction, the current value is re-read and delivered (with
 *   `resynced: true`): intermediate versions that were compacted away are skipped, but the
 *   subscriber always converges to the latest value.
 */
import { CompactedError, type KvClient, type KeyValue } from '../client/index.js';
import { invalidArgument } from './errors.js';
import { sig, text } from './internal.js';

export type ConfigUpdate<T> =
  | { readonly type: 'value'; readonly value: T; readonly revision: number; readonly resynced: boolean }
  | {
      readonly type: 'invalid';
      readonly error: unknown;
      readonly raw: string;
      readonly revision: number;
      readonly lastGood: T | undefined;
      readonly resynced: boolean;
    }
  | { readonly type: 'missing'; readonly revision: number; readonly resynced: boolean };

export interface SubscribeConfigOptions<T> {
  readonly signal?: AbortSignal;
  /** Turns the decoded value into T or throws (e.g. a zod schema's `parse`). */
  readonly parse?: (value: unknown) => T;
  /** Any object with a throwing `parse` (a zod / valibot-style schema); same as `parse: schema.parse`. */
  readonly schema?: { readonly parse: (value: unknown) => T };
  /** A type guard; a value failing it is reported as invalid. */
  readonly validate?: (value: unknown) => value is T;
  /** How to decode the stored text (default JSON.parse). */
  readonly decode?: (raw: string) => unknown;
}

/** Decodes and checks one stored value (pure; exported for tests and tools). */
export function checkConfigValue<T>(
  raw: string,
  options: Pick<SubscribeConfigOptions<T>, 'parse' | 'validate' | 'decode' | 'schema'>,
): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    const decoded = (options.decode ?? JSON.parse)(raw) as unknown;
    if (options.parse !== undefined) return { ok: true, value: options.parse(decoded) };
    if (options.schema !== undefined) return { ok: true, value: options.schema.parse(decoded) };
    if (options.validate !== undefined && !options.validate(decoded))
      return { ok: false, error: new Error('value rejected by validate()') };
    return { ok: true, value: decoded as T };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The current typed value, then every change. See the file header. */
export async function* subscribeConfig<T = unknown>(
  kv: KvClient,
  key: string,
  options: SubscribeConfigOptions<T> = {},
): AsyncGenerator<ConfigUpdate<T>> {
  if (typeof key !== 'string' || key.length === 0)
    throw invalidArgument('config key must be a non-empty string');
  if ([options.parse, options.validate, options.schema].filter((o) => o !== undefined).length > 1)
    throw invalidArgument('give one of parse, schema and validate');
  const signal = options.signal;
  let lastGood: T | undefined;
  const toUpdate = (kvNow: KeyValue | undefined, revision: number, resynced: boolean): ConfigUpdate<T> => {
    if (kvNow === undefined) return { type: 'missing', revision, resynced };
    const raw = text(kvNow.value);
    const checked = checkConfigValue(raw, options);
    if (checked.ok) {
      lastGood = checked.value;
      return { type: 'value', value: checked.value, revision: kvNow.modRevision, resynced };
    }
    return { type: 'invalid', error: checked.error, raw, revision: kvNow.modRevision, lastGood, resynced };
  };
  let resynced = false;
  for (;;) {
    let revision: number;
    try {
      const r = await kv.getRange(key, '', sig(signal));
      revision = r.revision;
      yield toUpdate(r.kvs[0], r.kvs[0]?.modRevision ?? r.revision, resynced);
    } catch (e) {
      if (signal?.aborted === true) return;
      throw e;
    }
    try {
      await using watch = kv.watch({ key, startRevision: revision + 1, ...sig(signal) });
      for await (const batch of watch) {
        for (const e of batch.events)
          yield toUpdate(e.type === 'put' ? e.kv : undefined, e.kv.modRevision, false);
      }
      return;
    } catch (e) {
      if (signal?.aborted === true) return;
      if (!(e instanceof CompactedError)) throw e;
      resynced = true;
    }
  }
}
