/**
 * Where the clients write down what they saw (record.ts has the shapes): register operations for
 * the linearizability check, acknowledged writes, reads, watches, leases known gone, and failed
 * calls by error code. `history()` is what the checkers judge.
 */
import type * as P from '../../../client/protocol/index.js';
import type { Operation } from '../../check/history.js';
import type { Scheduler } from '../scheduler.js';
import type { CallFailure } from './calls.js';
import type {
  AckedWrite,
  ClientHistory,
  CompactionRequest,
  LeaseGone,
  Mutation,
  ReadRecord,
  SeenKv,
  WatchRecord,
} from './record.js';
import { codeOf, seenKv } from './requests.js';

/** Who did something: a worker (its id is the client id) and the member it went to. */
export interface Actor {
  readonly id: number;
  readonly member: number;
}

export class HistoryRecorder {
  private readonly registers: Operation[] = [];
  private readonly writes: AckedWrite[] = [];
  private readonly reads: ReadRecord[] = [];
  private readonly watches: WatchRecord[] = [];
  private readonly leasesGone: LeaseGone[] = [];
  private readonly compactions: CompactionRequest[] = [];
  /** Failed calls by error code ('gave-up': timeout or crash; 'no-code': an untyped error). */
  private readonly refused = new Map<string, number>();
  private nextOpId = 1;

  constructor(private readonly scheduler: Scheduler) {}

  /** An acknowledged write; deleting nothing makes no revision, so no mutations record nothing. */
  write(by: Actor, revision: number, mutations: readonly Mutation[]): void {
    if (mutations.length > 0)
      this.writes.push({ revision, client: by.id, member: by.member, atMs: this.scheduler.nowMs, mutations });
  }

  /** A read of `[key, rangeEnd)` at `revision`; returns the keys as recorded. */
  read(
    by: Actor,
    kind: ReadRecord['kind'],
    key: string,
    rangeEnd: string,
    revision: number,
    kvs: readonly P.KeyValue[],
  ): SeenKv[] {
    const seen = kvs.map(seenKv);
    this.reads.push({
      client: by.id,
      member: by.member,
      atMs: this.scheduler.nowMs,
      kind,
      key,
      rangeEnd,
      revision,
      kvs: seen,
    });
    return seen;
  }

  newOperationId(): number {
    return this.nextOpId++;
  }

  register(op: Operation): void {
    this.registers.push(op);
  }

  /** A new watch: the record is filled in as the watch delivers and ends. */
  watch(record: WatchRecord): void {
    this.watches.push(record);
  }

  leaseGone(gone: LeaseGone): void {
    this.leasesGone.push(gone);
  }

  compaction(request: CompactionRequest): void {
    this.compactions.push(request);
  }

  refusal(r: CallFailure): void {
    const why = r.gaveUp ? 'gave-up' : (codeOf(r.error) ?? 'no-code');
    this.refused.set(why, (this.refused.get(why) ?? 0) + 1);
  }

  refusals(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.refused].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** The history, with `open` (register operations still open, as indeterminate) at the end. */
  history(open: readonly Operation[]): ClientHistory {
    return {
      registers: [...this.registers, ...open],
      writes: this.writes,
      reads: this.reads,
      watches: this.watches,
      leasesGone: this.leasesGone,
      compactions: this.compactions,
    };
  }
}
