/**
 * The cluster's alarms (etcd's alarm store): a set of (member id, alarm type) raised through Raft
 * and applied on every member, so every member lists the same alarms and refuses the same writes.
 *
 * - NOSPACE: raised by the member whose write the space quota refused (as etcd's quota check does)
 *   or by a client; while raised, every write that adds data is refused with NO_SPACE (mvcc/quota.ts).
 * - CORRUPT: raised by a client (or a future consistency checker); while raised, every write is
 *   refused with CORRUPT (etcd's corrupt applier); reads still work.
 *
 * Deactivation clears what it names; as a Concord extension member id 0 names every member and type
 * NONE every type (etcd clears nothing for those), so `{"action":"DEACTIVATE"}` disarms everything.
 */
export type AlarmKind = 'noSpace' | 'corrupt';

export interface AlarmRecord {
  readonly memberId: number;
  readonly alarm: AlarmKind;
}

const ORDER: readonly AlarmKind[] = ['noSpace', 'corrupt'];

export class AlarmSet {
  private records: AlarmRecord[] = [];

  /** Raises `alarm` for `memberId`; returns the record (the existing one if already raised). */
  activate(memberId: number, alarm: AlarmKind): AlarmRecord {
    const existing = this.records.find((r) => r.memberId === memberId && r.alarm === alarm);
    if (existing !== undefined) return existing;
    const record = { memberId, alarm };
    this.records = sorted([...this.records, record]);
    return record;
  }

  /** Clears the alarms matching `memberId` (0: any) and `alarm` (undefined: any); returns them. */
  deactivate(memberId: number, alarm: AlarmKind | undefined): AlarmRecord[] {
    const matches = (r: AlarmRecord): boolean =>
      (memberId === 0 || r.memberId === memberId) && (alarm === undefined || r.alarm === alarm);
    const cleared = this.records.filter(matches);
    this.records = this.records.filter((r) => !matches(r));
    return cleared;
  }

  /** The raised alarms (of one type, or all), ordered by type then member id. */
  list(alarm?: AlarmKind): AlarmRecord[] {
    return alarm === undefined ? [...this.records] : this.records.filter((r) => r.alarm === alarm);
  }

  has(alarm: AlarmKind): boolean {
    return this.records.some((r) => r.alarm === alarm);
  }

  /** Replaces every alarm (from a snapshot). */
  restore(records: readonly AlarmRecord[]): void {
    this.records = sorted([...records]);
  }
}

function sorted(records: AlarmRecord[]): AlarmRecord[] {
  return records.sort((a, b) => ORDER.indexOf(a.alarm) - ORDER.indexOf(b.alarm) || a.memberId - b.memberId);
}

/** The byte each alarm kind is encoded as (commands and snapshots). */
export const ALARM_KINDS: readonly AlarmKind[] = ORDER;
