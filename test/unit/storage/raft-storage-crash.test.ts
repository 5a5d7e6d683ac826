/**
 * Seeded crash simulation of RaftStorage over MemoryDisk: random saves (appends, overwrites by a
 * new leader, hard states, local snapshots, snapshots from a leader), left in flight, then a
 * power loss at a random microtask with torn, partly zeroed tails. After each reboot the
 * recovered state must equal the state after some save k with lastAcknowledged ≤ k ≤ lastIssued,
 * or a state part-way through a save after the acknowledged one (a save's records — marker,
 * entries, hard state — may be cut by a torn tail, in order): nothing acknowledged lost, nothing
 * invented, order kept. In a third of the incarnations a disk error (ENOSPC or EIO, possibly
 * after a short write) is injected first.
 */
import { expect } from 'chai';
import { FaultyDisk } from '../../../server/platform/faulty-disk.js';
import { MemoryDisk } from '../../../server/platform/memory-disk.js';
import { SeededRandom } from '../../../server/platform/random.js';
import type { Entry, HardState, RaftBootState, Snapshot } from '../../../server/raft/types.js';
import { RaftStorage } from '../../../server/storage/raft-storage.js';
import { silentLogger } from '../../../server/storage/logger.js';
import { entry } from './helpers.js';

const confState = { voters: [1], learners: [] };

interface ModelState {
  /** Entries by index; entries at or below `snapshotIndexes` minimum may be placeholders. */
  readonly log: readonly Entry[];
  readonly hardState: HardState;
  /** Snapshot indexes (with their terms) issued so far. */
  readonly snapshots: ReadonlyMap<number, number>;
}

const snap = (index: number, term: number): Snapshot => ({
  metadata: { index, term, confState },
  data: new TextEncoder().encode(`sm@${index}/${term}`),
});

function lastOf(log: readonly Entry[]): Entry | undefined {
  return log[log.length - 1];
}

function matches(boot: RaftBootState, state: ModelState): boolean {
  const s = boot.snapshot.metadata;
  if (s.index !== 0 && state.snapshots.get(s.index) !== s.term) return false;
  if (new TextDecoder().decode(boot.snapshot.data) !== (s.index === 0 ? '' : `sm@${s.index}/${s.term}`))
    return false;
  const expected = state.log.slice(s.index);
  if (expected.length !== boot.entries.length) return false;
  for (let i = 0; i < expected.length; i++) {
    const a = expected[i] as Entry;
    const b = boot.entries[i] as Entry;
    if (
      a.index !== b.index ||
      a.term !== b.term ||
      new TextDecoder().decode(a.data) !== new TextDecoder().decode(b.data)
    ) {
      return false;
    }
  }
  // Recovery raises a lagging commit to the snapshot and a lagging term to the log's newest term.
  let hs = { ...state.hardState, commit: Math.max(state.hardState.commit, s.index) };
  const newestTerm = Math.max(s.term, lastOf(state.log)?.term ?? 0);
  if (hs.term < newestTerm) hs = { term: newestTerm, vote: 0, commit: hs.commit };
  return (
    boot.hardState.term === hs.term && boot.hardState.vote === hs.vote && boot.hardState.commit === hs.commit
  );
}

let faultsInjected = 0;
let failedBoots = 0;

async function runSeed(seed: number): Promise<number> {
  const random = new SeededRandom(seed);
  const disk = new MemoryDisk();
  const options = {
    dataDir: 'm',
    clusterId: 'sim',
    memberId: 1,
    initialConfState: confState,
    segmentSizeBytes: 1024,
    keepSnapshots: 2,
    logger: silentLogger,
  };
  let state: ModelState = { log: [], hardState: { term: 0, vote: 0, commit: 0 }, snapshots: new Map() };
  let checks = 0;
  for (let cycle = 0; cycle < 4; cycle++) {
    const faulty = new FaultyDisk(disk.attach());
    // A disk error in a third of the incarnations — during recovery itself (faultAt 0) or later
    // (faultAt 1) — possibly after a short write: the storage must fail cleanly, acknowledge
    // nothing it did not make durable, and recover after the crash.
    const faultAt = random.int(6);
    const injectFault = (): void => {
      const ops = [
        'append',
        'fdatasync',
        'write',
        'fsync',
        'rename',
        'fsyncDir',
        'truncate',
        'remove',
      ] as const;
      faulty.inject({
        ops: [ops[random.int(ops.length)] ?? 'append'],
        code: random.int(2) === 0 ? 'ENOSPC' : 'EIO',
        times: 1,
        partialBytes: random.int(30),
      });
      faultsInjected++;
    };
    if (faultAt === 0) injectFault();
    let opened: Awaited<ReturnType<typeof RaftStorage.open>>;
    try {
      opened = await RaftStorage.open(faulty, options);
    } catch {
      // Recovery itself failed: crash, and the next boot must still find the previous state.
      disk.crash({ random });
      const { storage: again, boot: recovered } = await RaftStorage.open(disk.attach(), options);
      expect(
        matches(recovered, state),
        `seed ${seed} cycle ${cycle}: state changed by a failed boot`,
      ).to.equal(true);
      await again.close();
      failedBoots++;
      continue;
    }
    const { storage, boot } = opened;
    if (faultAt === 1) injectFault();
    if (cycle > 0) checks++;
    // Rebuild the model from what was recovered (placeholders below the snapshot).
    const snapIndex = boot.snapshot.metadata.index;
    const log: Entry[] = [];
    for (let i = 1; i <= snapIndex; i++) log.push(entry(i, 0, 'placeholder'));
    log.push(...boot.entries);
    state = { log, hardState: boot.hardState, snapshots: state.snapshots };
    let term = Math.max(boot.hardState.term, lastOf(log)?.term ?? 0, boot.snapshot.metadata.term, 1);
    let lowest = snapIndex;
    /** Acceptable recovered states: `at` k for the state after save k, k - 0.5 part-way into it. */
    const states: { at: number; st: ModelState }[] = [{ at: 0, st: state }];
    let acked = 0;
    const ops = 5 + random.int(25);
    for (let k = 1; k <= ops; k++) {
      const cur = (states[states.length - 1] as { st: ModelState }).st;
      const commit = cur.hardState.commit;
      const last = cur.log.length;
      const roll = random.int(10);
      let next: ModelState;
      let p: Promise<void>;
      if (roll < 7) {
        const from = Math.max(commit, lowest) + 1 + random.int(last - Math.max(commit, lowest) + 1);
        if (from <= last) term++;
        const n = 1 + random.int(5);
        const fresh: Entry[] = [];
        for (let i = from; i < from + n; i++) fresh.push(entry(i, term, `v${i}/${term}/${seed}`));
        const log2 = [...cur.log.slice(0, from - 1), ...fresh];
        const newCommit = commit + random.int(log2.length - commit + 1);
        const hardState = { term, vote: 1, commit: newCommit };
        next = { log: log2, hardState, snapshots: cur.snapshots };
        for (let j = 1; j <= n; j++) {
          states.push({
            at: k - 0.5,
            st: { ...cur, log: [...cur.log.slice(0, from - 1), ...fresh.slice(0, j)] },
          });
        }
        p = storage.save({ snapshot: undefined, entries: fresh, hardState });
      } else if (roll < 9 && commit > lowest) {
        const index = lowest + 1 + random.int(commit - lowest);
        const t = (cur.log[index - 1] as Entry).term;
        const snapshots = new Map(cur.snapshots).set(index, t);
        next = { ...cur, snapshots };
        lowest = Math.max(lowest, index);
        p = storage.saveSnapshot(snap(index, t));
      } else {
        term++;
        const index = last + 1 + random.int(5);
        const log2: Entry[] = [];
        for (let i = 1; i <= index; i++) log2.push(entry(i, 0, 'placeholder'));
        const hardState = { term, vote: 0, commit: index };
        next = { log: log2, hardState, snapshots: new Map(cur.snapshots).set(index, term) };
        states.push({ at: k - 0.5, st: { ...next, hardState: cur.hardState } });
        lowest = index;
        p = storage.save({ snapshot: snap(index, term), entries: [], hardState });
      }
      states.push({ at: k, st: next });
      p.then(
        () => {
          acked = Math.max(acked, k);
        },
        () => undefined,
      );
      if (random.int(3) === 0) await p.catch(() => undefined);
    }
    // Let a random amount of the in-flight work happen, then pull the plug.
    const turns = random.int(40);
    for (let i = 0; i < turns; i++) await Promise.resolve();
    disk.crash({ random });
    const issued = ops;
    const { storage: after, boot: recovered } = await RaftStorage.open(disk.attach(), options);
    let found = -1;
    for (let i = states.length - 1; i >= 0; i--) {
      const candidate = states[i] as { at: number; st: ModelState };
      if (candidate.at < acked) break;
      if (matches(recovered, candidate.st)) {
        found = i;
        break;
      }
    }
    if (found < acked && process.env['CRASH_DEBUG'] !== undefined) {
      const show = (b: { snapshot?: Snapshot; entries: readonly Entry[]; hardState: HardState }): string =>
        `snap=${b.snapshot?.metadata.index ?? '-'} hs=${JSON.stringify(b.hardState)} ents=${b.entries.map((e) => `${e.index}:${e.term}`).join(',')}`;
      console.log('recovered', show(recovered));
      for (const { at, st } of states.filter((c) => c.at >= acked)) {
        console.log(
          at,
          `snaps=${JSON.stringify([...st.snapshots])}`,
          show({ entries: st.log.filter((e) => e.term > 0), hardState: st.hardState }),
        );
      }
    }
    expect(
      found,
      `seed ${seed} cycle ${cycle}: recovered state matches no save in [${acked}, ${issued}]`,
    ).to.be.at.least(0);
    state = { ...(states[found] as { st: ModelState }).st };
    await after.close();
  }
  return checks;
}

describe('RaftStorage under simulated crashes', () => {
  const seeds = Number(process.env['CONCORD_STORAGE_SIM_SEEDS'] ?? '200');
  const first = Number(process.env['CONCORD_STORAGE_SIM_FIRST_SEED'] ?? '1');
  it(`recovers a state between the last acknowledged and the last issued save (${seeds} seeds)`, async () => {
    let total = 0;
    for (let seed = first; seed < first + seeds; seed++) total += await runSeed(seed);
    expect(total).to.be.greaterThan(0);
    // The seeds must exercise the fault paths (a third of the incarnations inject one).
    expect(faultsInjected).to.be.greaterThan(seeds / 4);
    if (seeds >= 100) expect(failedBoots).to.be.greaterThan(0);
  });
});
