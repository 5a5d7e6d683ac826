/**
 * Writes to the pair keys (c/pair/N): txns writing two keys in one branch (so a watch must deliver
 * both events of the revision), single puts, and deletes of a key or the whole pair prefix.
 */
import type * as P from '../../../client/protocol/index.js';
import { PAIR_PREFIX } from './client-options.js';
import type { ClientContext, Worker } from './client-context.js';
import { pairKey } from './key-choice.js';
import { prefixEnd } from './record.js';
import { bytes, compareNumber, putReq, text } from './requests.js';

/** Two pair keys written in one branch (the success or the failure one). */
export async function pairTxn(cx: ClientContext, w: Worker): Promise<void> {
  const a = pairKey(cx);
  let b = pairKey(cx);
  if (b === a) b = `${PAIR_PREFIX}${(Number(a.slice(a.lastIndexOf('/') + 1)) + 1) % cx.o.pairKeys}`;
  const v1 = cx.value(w);
  const v2 = cx.value(w);
  const result = cx.random.chance(0.5) ? 'greater' : 'less';
  const txn: P.TxnRequest = {
    compare: [compareNumber(a, result, 'version', cx.random.int(4))],
    success: [
      { type: 'put', request: putReq(a, v1) },
      { type: 'put', request: putReq(b, v2) },
    ],
    failure: [
      { type: 'put', request: putReq(b, v1) },
      { type: 'put', request: putReq(a, v2) },
    ],
  };
  cx.note(w.member, `txn ${a},${b}`);
  const r = await cx.calls.call(w.member, (be, o) => be.txn(txn, o));
  if (!r.ok) return cx.failed(w, r);
  const [first, second] = r.value.succeeded ? [a, b] : [b, a];
  cx.record.write(w, r.value.header.revision, [
    { type: 'put', key: first, value: v1, lease: 0 },
    { type: 'put', key: second, value: v2, lease: 0 },
  ]);
}

export async function pairPut(cx: ClientContext, w: Worker): Promise<void> {
  const key = pairKey(cx);
  const value = cx.value(w);
  const r = await cx.calls.call(w.member, (b, o) => b.put(putReq(key, value), o));
  if (!r.ok) return cx.failed(w, r);
  cx.record.write(w, r.value.header.revision, [{ type: 'put', key, value, lease: 0 }]);
}

export async function deleteSome(cx: ClientContext, w: Worker): Promise<void> {
  // Pair keys only: a lease's key must live until its lease is revoked or expires, so that what
  // the revoke does to it is seen.
  const whole = cx.random.chance(0.3);
  const key = whole ? PAIR_PREFIX : `${PAIR_PREFIX}${cx.random.int(cx.o.pairKeys)}`;
  const rangeEnd = whole ? prefixEnd(PAIR_PREFIX) : '';
  const r = await cx.calls.call(w.member, (b, o) =>
    b.deleteRange({ key: bytes(key), rangeEnd: bytes(rangeEnd), prevKv: true }, o),
  );
  if (!r.ok) return cx.failed(w, r);
  cx.record.write(
    w,
    r.value.header.revision,
    r.value.prevKvs.map((kv) => ({ type: 'delete', key: text(kv.key) })),
  );
}
