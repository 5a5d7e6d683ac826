/**
 * The last few things that happened in a simulated run, kept in a ring buffer so a failing seed can
 * print a readable tail without paying for string formatting on every event: subjects are stored as
 * references and rendered only when a failure is reported. Ticks are left out: they are regular and
 * would crowd out the messages.
 */
import type { Message } from '../../server/raft/index.js';
import { describeMessage } from './describe.js';

export type TraceSubject = Message | string | undefined;

interface TraceRecord {
  timeMs: number;
  label: string;
  node: number;
  subject: TraceSubject;
}

export const TRACE_DEFAULTS = { capacity: 50 } as const;

/**
 * Labels not worth a line: ticks and the liveness poll are regular; the fault driver's timers
 * ('weather:*') record their own line naming the member and the outcome when they act.
 */
const QUIET_LABELS: ReadonlySet<string> = new Set(['tick', 'probe']);

export class Trace {
  private readonly ring: TraceRecord[] = [];
  private next = 0;
  private total = 0;

  constructor(private readonly capacity: number = TRACE_DEFAULTS.capacity) {}

  recordEvent(timeMs: number, label: string, node: number, subject: TraceSubject): void {
    if (QUIET_LABELS.has(label) || label.startsWith('weather:')) return;
    this.total++;
    const slot = this.ring[this.next];
    if (slot === undefined) {
      this.ring.push({ timeMs, label, node, subject });
    } else {
      slot.timeMs = timeMs;
      slot.label = label;
      slot.node = node;
      slot.subject = subject;
    }
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first, one line per record. */
  render(): string[] {
    const n = this.ring.length;
    const start = n < this.capacity ? 0 : this.next;
    const lines: string[] = [];
    for (let k = 0; k < n; k++) {
      const r = this.ring[(start + k) % n] as TraceRecord;
      const subject =
        r.subject === undefined ? '' : typeof r.subject === 'string' ? r.subject : describeMessage(r.subject);
      const node = r.node > 0 ? ` n${r.node}` : '';
      lines.push(`${r.timeMs.toFixed(3).padStart(10)}ms ${r.label.padEnd(9)}${node} ${subject}`.trimEnd());
    }
    return lines;
  }

  get recorded(): number {
    return this.total;
  }
}
