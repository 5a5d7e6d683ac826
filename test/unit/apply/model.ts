/**
 * A plain, obviously-correct model of the state machine for property tests: the whole key space is
 * copied at every revision (small tests only), keys are strings of single-byte chars, every
 * operation is written out directly from etcd's documented semantics.
 */

export interface ModelKv {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly lease: number;
}

export interface ModelEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The new kv for a put. */
  readonly kv?: ModelKv;
  readonly revision: number;
}

export type ModelRange = { key: string; end?: string | undefined };

export type ModelOp =
  | { type: 'put'; key: string; value: string; lease: number }
  | { type: 'delete'; key: string; end?: string | undefined }
  | { type: 'range'; range: ModelRange }
  | { type: 'txn'; compares: ModelCompare[]; success: ModelOp[]; failure: ModelOp[] };

/** The non-txn ops a (possibly nested) txn performs. */
type FlatOp = Exclude<ModelOp, { type: 'txn' }>;

export interface ModelCompare {
  key: string;
  target: 'value' | 'version' | 'mod' | 'create' | 'lease';
  result: 'equal' | 'notEqual' | 'less' | 'greater';
  value: string | number;
}

export type ModelOutcome = { ok: true; revision: number; extra?: unknown } | { ok: false; code: string };

export function inRange(r: ModelRange, key: string): boolean {
  if (r.end === undefined) return key === r.key;
  if (r.end === '\0') return key >= r.key;
  return key >= r.key && key < r.end;
}

export class Model {
  /** A new store is at revision 1 (etcd's), with no keys; its first write gets revision 2. */
  revision = 1;
  compactRevision = 0;
  /** states[r] = live keys at revision r (states[0] only fills the index: no revision 0). */
  readonly states: Map<string, ModelKv>[] = [new Map(), new Map()];
  readonly events: ModelEvent[] = [];
  readonly leases = new Map<number, { ttlSec: number }>();
  minTtlSec = 2;

  get live(): Map<string, ModelKv> {
    return this.states[this.revision] as Map<string, ModelKv>;
  }

  rangeAt(r: ModelRange, rev: number): ModelKv[] {
    const state = this.states[rev] as Map<string, ModelKv>;
    return [...state.values()]
      .filter((kv) => inRange(r, kv.key))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Applies writes as one revision on a working copy; returns the per-op results. */
  private commit(ops: readonly FlatOp[]): unknown[] {
    const next = new Map(this.live);
    const rev = this.revision + 1;
    const pending: ModelEvent[] = [];
    const results: unknown[] = [];
    for (const op of ops) {
      if (op.type === 'put') {
        const prev = next.get(op.key);
        const kv: ModelKv = {
          key: op.key,
          value: op.value,
          createRevision: prev?.createRevision ?? rev,
          modRevision: rev,
          version: (prev?.version ?? 0) + 1,
          lease: op.lease,
        };
        next.set(op.key, kv);
        pending.push({ type: 'put', key: op.key, kv, revision: rev });
        results.push(prev);
      } else if (op.type === 'delete') {
        const doomed = [...next.keys()].filter((k) => inRange({ key: op.key, end: op.end }, k)).sort();
        for (const k of doomed) {
          next.delete(k);
          pending.push({ type: 'delete', key: k, revision: rev });
        }
        results.push(doomed.length);
      } else {
        const readRev = pending.length > 0 ? rev : this.revision;
        const state = pending.length > 0 ? next : this.live;
        results.push([...state.values()].filter((kv) => inRange(op.range, kv.key)).length + readRev * 0);
      }
    }
    if (pending.length > 0) {
      this.revision = rev;
      this.states.push(next);
      this.events.push(...pending);
    }
    return results;
  }

  put(key: string, value: string, lease: number): ModelOutcome {
    if (lease !== 0 && !this.leases.has(lease)) return { ok: false, code: 'LEASE_NOT_FOUND' };
    this.commit([{ type: 'put', key, value, lease }]);
    return { ok: true, revision: this.revision };
  }

  delete(key: string, end: string | undefined): ModelOutcome {
    const [deleted] = this.commit([{ type: 'delete', key, end }]);
    return { ok: true, revision: this.revision, extra: deleted };
  }

  txn(
    compares: readonly ModelCompare[],
    success: readonly ModelOp[],
    failure: readonly ModelOp[],
  ): ModelOutcome {
    // Every compare, nested ones too, sees the state before the txn (as etcd).
    const ok = compares.every((c) => this.compare(c));
    const ops = this.flatten(ok ? success : failure);
    for (const op of ops)
      if (op.type === 'put' && op.lease !== 0 && !this.leases.has(op.lease))
        return { ok: false, code: 'LEASE_NOT_FOUND' };
    this.commit(ops);
    return { ok: true, revision: this.revision, extra: ok };
  }

  private flatten(ops: readonly ModelOp[]): FlatOp[] {
    return ops.flatMap((op) =>
      op.type === 'txn'
        ? this.flatten(op.compares.every((c) => this.compare(c)) ? op.success : op.failure)
        : [op],
    );
  }

  compare(c: ModelCompare): boolean {
    const kv = this.live.get(c.key);
    if (kv === undefined && c.target === 'value') return false;
    let diff: number;
    if (c.target === 'value') {
      const v = (kv as ModelKv).value;
      diff = v < (c.value as string) ? -1 : v > (c.value as string) ? 1 : 0;
    } else {
      const field =
        kv === undefined
          ? 0
          : { version: kv.version, mod: kv.modRevision, create: kv.createRevision, lease: kv.lease }[
              c.target
            ];
      diff = field - (c.value as number);
    }
    return c.result === 'equal'
      ? diff === 0
      : c.result === 'notEqual'
        ? diff !== 0
        : c.result === 'less'
          ? diff < 0
          : diff > 0;
  }

  compact(rev: number): ModelOutcome {
    if (rev <= this.compactRevision) return { ok: false, code: 'COMPACTED' };
    if (rev > this.revision) return { ok: false, code: 'FUTURE_REVISION' };
    this.compactRevision = rev;
    return { ok: true, revision: this.revision };
  }

  grant(id: number, ttlSec: number): ModelOutcome {
    if (this.leases.has(id)) return { ok: false, code: 'LEASE_EXISTS' };
    this.leases.set(id, { ttlSec: Math.max(ttlSec, this.minTtlSec) });
    return { ok: true, revision: this.revision };
  }

  revoke(id: number): ModelOutcome {
    if (!this.leases.has(id)) return { ok: false, code: 'LEASE_NOT_FOUND' };
    const keys = [...this.live.values()]
      .filter((kv) => kv.lease === id)
      .map((kv) => kv.key)
      .sort();
    this.leases.delete(id);
    if (keys.length > 0) this.commit(keys.map((key) => ({ type: 'delete', key })));
    return { ok: true, revision: this.revision };
  }
}
