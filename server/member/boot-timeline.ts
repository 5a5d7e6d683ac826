/**
 * Times the steps of a member's boot for its 'boot' log line: how long each took (ms) and what it
 * read, plus the process's age when the boot began (module loading) and ended.
 */
import { performance } from 'node:perf_hooks';

export class BootTimeline {
  private readonly fields: Record<string, number> = {};
  private last = performance.now();

  constructor() {
    this.fields['processAgeAtStartMs'] = Math.round(this.last);
  }

  /** The step `name` just ended; `detail` (counts, bytes) is logged as `<name>.<key>`. */
  step(name: string, detail: Readonly<Record<string, number>>): void {
    const now = performance.now();
    this.fields[`${name}Ms`] = Math.round(now - this.last);
    for (const [k, v] of Object.entries(detail)) this.fields[`${name}.${k}`] = v;
    this.last = now;
  }

  summary(): Readonly<Record<string, number>> {
    return { ...this.fields, processAgeMs: Math.round(performance.now()) };
  }
}
