/**
 * The nemesis: one fault at a time over a ClusterHarness, then a heal, then a quiet spell, until
 * told to stop. Every fault is logged with its target and wall times so a violation can be lined
 * up with what was happening to the cluster.
 *
 * Faults (names are what `--nemesis` accepts; `all` is every one):
 * - `kill-leader`, `kill-random`: kill -9, hold down, restart from the same data directory;
 * - `pause-leader`, `pause-random`: SIGSTOP for longer than the election timeout, then SIGCONT;
 * - `isolate-leader`: cut every peer link of the leader, both directions;
 * - `split`: a random minority against the majority (for 3 members: one member alone);
 * - `one-way`: the leader's outgoing messages to the others are lost (it still hears them).
 *
 * Choices come from a seeded PRNG; the timing of real processes does not replay exactly, but the
 * seed, the fault log and the history are enough to understand a run.
 */
import { prng } from '../check/generate.js';
import type { ClusterHarness } from '../cluster/harness.js';

export const FAULT_KINDS = [
  'kill-leader',
  'kill-random',
  'pause-leader',
  'pause-random',
  'isolate-leader',
  'split',
  'one-way',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const NEMESIS_GROUPS: Readonly<Record<string, readonly FaultKind[]>> = {
  all: FAULT_KINDS,
  none: [],
  kill: ['kill-leader', 'kill-random'],
  pause: ['pause-leader', 'pause-random'],
  partition: ['isolate-leader', 'split', 'one-way'],
};

/** Parses `all`, a group, or a comma list of kinds and groups. */
export function parseNemesis(spec: string): FaultKind[] {
  const out = new Set<FaultKind>();
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const group = NEMESIS_GROUPS[part];
    if (group !== undefined) for (const k of group) out.add(k);
    else if ((FAULT_KINDS as readonly string[]).includes(part)) out.add(part as FaultKind);
    else
      throw new Error(
        `unknown nemesis ${JSON.stringify(part)}; use ${[...Object.keys(NEMESIS_GROUPS), ...FAULT_KINDS].join(', ')}`,
      );
  }
  return [...out];
}

export interface FaultRecord {
  readonly kind: FaultKind;
  readonly targets: readonly string[];
  /** Wall-clock ISO times and the monotonic times the history uses. */
  readonly startedAt: string;
  readonly startMs: number;
  endMs: number;
  note?: string;
}

export interface NemesisOptions {
  readonly kinds: readonly FaultKind[];
  readonly seed: number;
  readonly electionTimeoutMs: number;
  /** How long a fault lasts. Default [1500, 3500] ms; pauses last at least 2 election timeouts. */
  readonly holdMs?: readonly [number, number];
  /** Quiet time between faults. Default [800, 2000] ms. */
  readonly quietMs?: readonly [number, number];
  readonly log?: (line: string) => void;
}

export class Nemesis {
  readonly faults: FaultRecord[] = [];
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly rnd: () => number;

  constructor(
    private readonly h: ClusterHarness,
    private readonly options: NemesisOptions,
  ) {
    this.rnd = prng(options.seed);
  }

  start(): void {
    this.loop = this.run();
  }

  /** Ends the current fault early, heals everything and waits for a leader. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await this.healAll();
  }

  private async sleep(ms: number): Promise<void> {
    if (this.stopping) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private between([lo, hi]: readonly [number, number]): number {
    return lo + this.rnd() * (hi - lo);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }

  private async run(): Promise<void> {
    if (this.options.kinds.length === 0) return;
    while (!this.stopping) {
      await this.sleep(this.between(this.options.quietMs ?? [800, 2000]));
      if (this.stopping) break;
      const kind = this.pick(this.options.kinds);
      try {
        await this.inject(kind);
      } catch (err) {
        this.options.log?.(`nemesis: ${kind} failed: ${err instanceof Error ? err.message : String(err)}`);
        await this.healAll();
      }
    }
  }

  /** The leader as the responsive members see it, or a random member when they do not agree yet. */
  private async leaderOrRandom(): Promise<string> {
    try {
      return await this.h.waitForLeader(3_000);
    } catch {
      return this.pick(this.h.members).name;
    }
  }

  private async inject(kind: FaultKind): Promise<void> {
    const names = this.h.members.map((m) => m.name);
    const hold = this.between(this.options.holdMs ?? [1500, 3500]);
    let targets: string[];
    let heal: () => Promise<void> | void;
    switch (kind) {
      case 'kill-leader':
      case 'kill-random': {
        const t = kind === 'kill-leader' ? await this.leaderOrRandom() : this.pick(names);
        targets = [t];
        await this.h.kill(t);
        heal = () => this.h.restart(t);
        break;
      }
      case 'pause-leader':
      case 'pause-random': {
        const t = kind === 'pause-leader' ? await this.leaderOrRandom() : this.pick(names);
        targets = [t];
        this.h.pause(t);
        heal = () => this.h.resume(t);
        break;
      }
      case 'isolate-leader': {
        const t = await this.leaderOrRandom();
        targets = [t];
        this.h.isolate(t);
        heal = () => this.h.heal();
        break;
      }
      case 'split': {
        const shuffled = [...names].sort(() => this.rnd() - 0.5);
        const minority = shuffled.slice(0, Math.floor((names.length - 1) / 2));
        const majority = shuffled.slice(minority.length);
        targets = minority;
        this.h.partition([minority, majority]);
        heal = () => this.h.heal();
        break;
      }
      case 'one-way': {
        const t = await this.leaderOrRandom();
        targets = [t];
        for (const other of names) if (other !== t) this.h.blockOneWay(t, other);
        heal = () => this.h.heal();
        break;
      }
    }
    const record: FaultRecord = {
      kind,
      targets,
      startedAt: new Date().toISOString(),
      startMs: performance.now(),
      endMs: NaN,
    };
    this.faults.push(record);
    this.options.log?.(`nemesis: ${kind} ${targets.join(',')}`);
    const minHold = kind.startsWith('pause') ? 2 * this.options.electionTimeoutMs : 0;
    await this.sleep(Math.max(hold, minHold));
    await heal();
    record.endMs = performance.now();
  }

  /** Everything back: links, paused and dead members. */
  async healAll(): Promise<void> {
    this.h.heal();
    for (const m of this.h.members) {
      this.h.resume(m.name);
      if (m.process === undefined) this.h.restart(m.name);
    }
  }
}
