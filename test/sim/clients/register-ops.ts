/**
 * Operations on the register keys (c/reg/N), each recorded as an Operation for the
 * linearizability check: put (unique values), CAS (a txn comparing the value, version or mod
 * revision the worker last saw; put on success, range on failure) and linearizable read.
 */
import { Outcome, type RegisterInput, type RegisterOutput } from '../../check/history.js';
import type * as P from '../../../client/protocol/index.js';
import type { CallResult } from './calls.js';
import type { ClientContext, Worker } from './client-context.js';
import { regKey } from './key-choice.js';
import type { SeenKv } from './record.js';
import { compareNumber, compareValueEquals, putReq, rangeReq } from './requests.js';

/** Runs one register operation and records it for the linearizability check. */
async function register(
  cx: ClientContext,
  w: Worker,
  key: string,
  input: RegisterInput,
  run: () => Promise<CallResult<RegisterOutput>>,
): Promise<void> {
  const id = cx.record.newOperationId();
  const invokeMs = cx.nowMs;
  w.open = { id, key, input, invokeMs };
  const r = await run();
  w.open = undefined;
  const completeMs = cx.nowMs;
  const base = { id, client: w.id, key, input, invokeMs, completeMs };
  if (r.ok) cx.record.register({ ...base, outcome: Outcome.Ok, output: r.value });
  else {
    cx.failed(w, r);
    // A read that failed changed nothing; a write that failed may still take effect.
    cx.record.register({ ...base, outcome: input.type === 'read' ? Outcome.Fail : Outcome.Indeterminate });
  }
}

function remember(w: Worker, kv: SeenKv | undefined): void {
  if (kv !== undefined)
    w.seen.set(kv.key, { value: kv.value, modRevision: kv.modRevision, version: kv.version });
}

export function registerPut(cx: ClientContext, w: Worker): Promise<void> {
  const key = regKey(cx);
  const value = cx.value(w);
  return register(cx, w, key, { type: 'write', value }, async () => {
    const r = await cx.calls.call(w.member, (b, o) => b.put(putReq(key, value), o));
    if (!r.ok) return r;
    cx.record.write(w, r.value.header.revision, [{ type: 'put', key, value, lease: 0 }]);
    w.seen.set(key, { value, modRevision: r.value.header.revision });
    return { ok: true, value: { type: 'write' } };
  });
}

/** The compare of a CAS: on what the worker last saw of the key (its absence if nothing). */
function casCompare(cx: ClientContext, w: Worker, key: string): P.Compare {
  const last = w.seen.get(key);
  const how = cx.random.int(3);
  if (last === undefined) return compareNumber(key, 'equal', 'version', 0);
  if (how === 0 || (how === 1 && last.version === undefined)) return compareValueEquals(key, last.value);
  if (how === 1) return compareNumber(key, 'equal', 'version', last.version!);
  return compareNumber(key, 'equal', 'mod', last.modRevision);
}

export function registerCas(cx: ClientContext, w: Worker): Promise<void> {
  const key = regKey(cx);
  const value = cx.value(w);
  const expected = w.seen.get(key)?.value ?? null;
  const txn: P.TxnRequest = {
    compare: [casCompare(cx, w, key)],
    success: [{ type: 'put', request: putReq(key, value) }],
    failure: [{ type: 'range', request: rangeReq(key, '') }],
  };
  return register(cx, w, key, { type: 'cas', expected, value }, async () => {
    const r = await cx.calls.call(w.member, (b, o) => b.txn(txn, o));
    if (!r.ok) return r;
    const revision = r.value.header.revision;
    if (r.value.succeeded) {
      cx.record.write(w, revision, [{ type: 'put', key, value, lease: 0 }]);
      w.seen.set(key, { value, modRevision: revision });
      return { ok: true, value: { type: 'cas', succeeded: true } };
    }
    const resp = r.value.responses[0];
    const kvs = resp?.type === 'range' ? resp.response.kvs : [];
    const [kv] = cx.record.read(w, 'txn-failure', key, '', revision, kvs);
    remember(w, kv);
    return { ok: true, value: { type: 'cas', succeeded: false, current: kv?.value ?? null } };
  });
}

export function registerRead(cx: ClientContext, w: Worker): Promise<void> {
  const key = regKey(cx);
  return register(cx, w, key, { type: 'read' }, async () => {
    const r = await cx.calls.call(w.member, (b, o) => b.range(rangeReq(key, ''), o));
    if (!r.ok) return r;
    const [kv] = cx.record.read(w, 'linearizable', key, '', r.value.header.revision, r.value.kvs);
    remember(w, kv);
    return { ok: true, value: { type: 'read', value: kv?.value ?? null } };
  });
}
