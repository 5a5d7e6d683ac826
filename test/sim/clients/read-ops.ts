/**
 * Reads judged against the canonical history (history-reads.ts): serializable and linearizable
 * ranges over a key, a sub-prefix or everything, and serializable reads of a past revision.
 */
import type { ClientContext, Worker } from './client-context.js';
import { randomRange } from './key-choice.js';
import { rangeReq } from './requests.js';

export async function serializableRead(cx: ClientContext, w: Worker): Promise<void> {
  const [key, end] = randomRange(cx);
  const r = await cx.calls.call(w.member, (b, o) => b.range(rangeReq(key, end, { serializable: true }), o));
  if (!r.ok) return cx.failed(w, r);
  cx.record.read(w, 'serializable', key, end, r.value.header.revision, r.value.kvs);
}

export async function linearizablePrefixRead(cx: ClientContext, w: Worker): Promise<void> {
  const [key, end] = randomRange(cx);
  const r = await cx.calls.call(w.member, (b, o) => b.range(rangeReq(key, end), o));
  if (!r.ok) return cx.failed(w, r);
  cx.record.read(w, 'linearizable', key, end, r.value.header.revision, r.value.kvs);
}

/** A revision between 1 and the member's current one (it may be compacted: then refused). */
export async function pastRead(cx: ClientContext, w: Worker): Promise<void> {
  const current = cx.revisionAt(w.member) ?? 1;
  const revision = 1 + cx.random.int(Math.max(1, current));
  const [key, end] = randomRange(cx);
  const r = await cx.calls.call(w.member, (b, o) =>
    b.range(rangeReq(key, end, { serializable: true, revision }), o),
  );
  if (!r.ok) return cx.failed(w, r);
  cx.record.read(w, 'past', key, end, revision, r.value.kvs);
}
