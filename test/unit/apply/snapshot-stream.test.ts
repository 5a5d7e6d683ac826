/**
 * StateMachine#beginSnapshot: a view of the state at the applied index, serialised slice by slice
 * while later entries are applied in between. The slices must be exactly the snapshot a twin
 * machine that stopped at that index takes, and restore to its state hash.
 */
import { expect } from 'chai';
import { StateMachine, type Command, type StateSnapshotStream } from '../../../server/apply/index.js';
import { SeededRandom } from '../../../server/platform/random.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A random write: puts (some with a lease), deletes, lease grants and revokes. */
function randomCommand(random: SeededRandom, i: number): Command {
  const key = bytes(`k${random.int(200).toString().padStart(3, '0')}`);
  switch (random.int(10)) {
    case 0:
      return { type: 'deleteRange', request: { key } };
    case 1:
      return { type: 'leaseGrant', id: 1000 + i, ttlSec: 60 };
    case 2:
      return { type: 'leaseRevoke', id: 1000 + random.int(i + 1) };
    case 3:
      return {
        type: 'deleteRange',
        request: { key: bytes('k1'), rangeEnd: bytes('k2') },
      };
    default:
      return { type: 'put', request: { key, value: bytes(`v${i}-${'x'.repeat(random.int(300))}`) } };
  }
}

function drain(stream: StateSnapshotStream, between: () => void = () => {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let part = stream.next(); part !== undefined; part = stream.next()) {
    parts.push(part.slice()); // a slice is overwritten by the next one
    between();
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('StateMachine#beginSnapshot', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`streams the state at its index while writes go on between slices (seed ${seed})`, () => {
      const random = new SeededRandom(seed);
      const live = new StateMachine();
      const twin = new StateMachine();
      let index = 0;
      const apply = (machines: StateMachine[]): void => {
        const c = randomCommand(random, ++index);
        for (const m of machines) m.apply(index, c);
      };
      for (let i = 0; i < 400; i++) apply([live, twin]);
      // A compaction before the snapshot: the view keeps its kept records and history.
      live.apply(++index, { type: 'compact', revision: live.store.currentRevision - 50 });
      twin.apply(index, { type: 'compact', revision: twin.store.currentRevision - 50 });
      const at = index;
      const expectedBytes = twin.snapshot();
      // Slices of ~512 bytes: dozens of them, with writes in between every one.
      const stream = live.beginSnapshot(512);
      expect(stream.appliedIndex).to.equal(at);
      let slices = 0;
      const streamed = drain(stream, () => {
        slices++;
        for (let k = 0; k < 3; k++) apply([live]);
      });
      expect(slices).to.be.greaterThan(20);
      expect(live.appliedIndex).to.be.greaterThan(at);
      expect(streamed).to.deep.equal(expectedBytes);
      const restored = new StateMachine();
      restored.restore(streamed);
      expect(restored.hash()).to.equal(twin.hash());
      expect(live.store.pinnedRevision).to.equal(undefined);
    });
  }

  it('holds physical compaction back while it streams, and still yields the state at its index', () => {
    const sm = new StateMachine();
    const twin = new StateMachine();
    for (let i = 1; i <= 100; i++) {
      const c: Command = { type: 'put', request: { key: bytes(`k${i % 20}`), value: bytes(`v${i}`) } };
      sm.apply(i, c);
      twin.apply(i, c);
    }
    sm.apply(101, { type: 'compact', revision: 30 });
    twin.apply(101, { type: 'compact', revision: 30 });
    const expectedBytes = twin.snapshot();
    const stream = sm.beginSnapshot(64);
    const first = [(stream.next() as Uint8Array).slice(), (stream.next() as Uint8Array).slice()];
    expect(sm.store.pinnedRevision).to.equal(30);
    // A later compaction applies (logically) at once; its physical part waits for the pin.
    sm.apply(102, { type: 'compact', revision: 90 });
    while (sm.store.dropCompactedBatch(5)) {
      /* drop what the pin allows */
    }
    expect(sm.store.compactionPending).to.equal(false);
    const rest = drain(stream);
    const streamed = new Uint8Array([...(first[0] ?? []), ...(first[1] ?? []), ...rest]);
    expect(streamed).to.deep.equal(expectedBytes);
    const restored = new StateMachine();
    restored.restore(streamed);
    expect(restored.hash()).to.equal(twin.hash());
    // Released: physical compaction goes on to 90.
    expect(sm.store.pinnedRevision).to.equal(undefined);
    expect(sm.store.compactionPending).to.equal(true);
    while (sm.store.dropCompactedBatch(5)) {
      /* drop the rest */
    }
    expect(sm.store.compactionPending).to.equal(false);
  });

  it('is not disturbed by a restore: it goes on streaming the state it started from', () => {
    const a = new StateMachine();
    for (let i = 1; i <= 50; i++)
      a.apply(i, { type: 'put', request: { key: bytes(`k${i}`), value: bytes('a') } });
    const expectedBytes = a.snapshot();
    const stream = a.beginSnapshot(64);
    const first = [(stream.next() as Uint8Array).slice(), (stream.next() as Uint8Array).slice()];
    const b = new StateMachine();
    for (let i = 1; i <= 80; i++)
      b.apply(i, { type: 'put', request: { key: bytes(`j${i}`), value: bytes('b') } });
    a.restore(b.snapshot());
    const rest = drain(stream);
    const streamed = new Uint8Array([...(first[0] ?? []), ...(first[1] ?? []), ...rest]);
    expect(streamed).to.deep.equal(expectedBytes);
  });
});
