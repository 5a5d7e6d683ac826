/**
 * A synchronous in-memory cluster for Raft unit tests: every node's Ready is persisted into a
 * plain in-memory store, messages are delivered immediately (unless dropped or cut), and
 * `stabilize()` runs until nothing moves. After etcd-io/raft's `network` in raft_test.go.
 */
import { SeededRandom } from '../../server/platform/random.js';
import {
  EntryType,
  RaftNode,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type RaftConfig,
  type Snapshot,
} from '../../server/raft/index.js';

export interface TestNodeStore {
  hardState: HardState;
  snapshot: Snapshot;
  entries: Entry[];
  applied: Entry[];
}

export type NodeOptions = Partial<Omit<RaftConfig, 'id' | 'random' | 'boot'>>;

export function emptySnapshot(confState: ConfState): Snapshot {
  return { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
}

export function entry(term: number, index: number, text = ''): Entry {
  return { term, index, type: EntryType.Normal, data: new TextEncoder().encode(text) };
}

export class TestNetwork {
  readonly nodes = new Map<number, RaftNode>();
  readonly stores = new Map<number, TestNodeStore>();
  /** Messages delivered so far (for assertions on what was sent). */
  readonly delivered: Message[] = [];
  private readonly cut = new Set<string>();
  private readonly random: SeededRandom;
  /** Return false to drop a message. */
  filter: (m: Message) => boolean = () => true;

  constructor(
    ids: readonly number[],
    private readonly options: NodeOptions = {},
    seed = 1,
    learners: readonly number[] = [],
  ) {
    this.random = new SeededRandom(seed);
    const conf: ConfState = { voters: [...ids], learners: [...learners] };
    for (const id of [...ids, ...learners]) {
      this.stores.set(id, {
        hardState: { term: 0, vote: 0, commit: 0 },
        snapshot: emptySnapshot(conf),
        entries: [],
        applied: [],
      });
      this.start(id);
    }
  }

  /** (Re)start node `id` from its store, as after a crash. */
  start(id: number, options: NodeOptions = {}): RaftNode {
    const store = this.stores.get(id)!;
    const node = new RaftNode({
      electionTicks: 10,
      heartbeatTicks: 1,
      ...this.options,
      ...options,
      id,
      random: this.random.fork(),
      boot: { hardState: store.hardState, snapshot: store.snapshot, entries: store.entries },
      appliedIndex: store.snapshot.metadata.index,
    });
    store.applied = store.applied.filter((e) => e.index <= store.snapshot.metadata.index);
    this.nodes.set(id, node);
    return node;
  }

  /** Add a brand-new member that knows only `conf` (it learns the rest from the leader). */
  addNode(id: number, conf: ConfState, options: NodeOptions = {}): RaftNode {
    this.stores.set(id, {
      hardState: { term: 0, vote: 0, commit: 0 },
      snapshot: emptySnapshot(conf),
      entries: [],
      applied: [],
    });
    return this.start(id, options);
  }

  node(id: number): RaftNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  store(id: number): TestNodeStore {
    return this.stores.get(id)!;
  }

  isolate(id: number): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}-${other}`);
      this.cut.add(`${other}-${id}`);
    }
  }

  cutLink(a: number, b: number): void {
    this.cut.add(`${a}-${b}`);
    this.cut.add(`${b}-${a}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Handle every pending Ready once; returns the messages to deliver. */
  private processReadies(): Message[] {
    const out: Message[] = [];
    for (const [id, node] of this.nodes) {
      while (node.hasReady()) {
        const rd = node.ready();
        const store = this.stores.get(id)!;
        if (rd.snapshot !== undefined) {
          store.snapshot = rd.snapshot;
          store.entries = [];
          store.applied = decodeApplied(rd.snapshot.data);
        }
        if (rd.entries.length > 0) {
          const first = rd.entries[0]!.index;
          store.entries = store.entries.filter((e) => e.index < first).concat(rd.entries);
        }
        if (rd.hardState !== undefined) store.hardState = rd.hardState;
        out.push(...rd.messages);
        for (const e of rd.committedEntries) store.applied.push(e);
        node.advance(rd);
      }
    }
    return out;
  }

  /** Deliver messages until no node has anything left to do. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      const msgs = this.processReadies();
      if (msgs.length === 0) return;
      for (const m of msgs) this.deliver(m);
    }
    throw new Error('network did not stabilize');
  }

  private deliver(m: Message): void {
    if (this.cut.has(`${m.from}-${m.to}`) || !this.filter(m)) return;
    const node = this.nodes.get(m.to);
    if (node === undefined) return;
    this.delivered.push(m);
    node.step(m);
  }

  tickAll(ticks = 1): void {
    for (let i = 0; i < ticks; i++) {
      for (const node of this.nodes.values()) node.tick();
      this.stabilize();
    }
  }

  leader(): number | undefined {
    for (const [id, node] of this.nodes) if (node.status().role === 'leader') return id;
    return undefined;
  }

  appliedData(id: number): string[] {
    return this.store(id)
      .applied.filter((e) => e.type === EntryType.Normal && e.data.length > 0)
      .map((e) => new TextDecoder().decode(e.data));
  }

  /** Take a snapshot of node `id` at its applied index and compact its log. */
  snapshotAndCompact(id: number): void {
    const node = this.node(id);
    const store = this.store(id);
    const st = node.status();
    const term = store.entries.find((e) => e.index === st.applied)?.term ?? store.snapshot.metadata.term;
    const snap: Snapshot = {
      metadata: { index: st.applied, term, confState: node.confState() },
      data: encodeApplied(store.applied),
    };
    node.compact(snap);
    store.snapshot = snap;
    store.entries = store.entries.filter((e) => e.index > st.applied);
  }
}

function encodeApplied(applied: readonly Entry[]): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(
      applied.map((e) => ({
        term: e.term,
        index: e.index,
        type: e.type,
        data: new TextDecoder().decode(e.data),
      })),
    ),
  );
}

function decodeApplied(data: Uint8Array): Entry[] {
  if (data.length === 0) return [];
  const raw = JSON.parse(new TextDecoder().decode(data)) as {
    term: number;
    index: number;
    type: Entry['type'];
    data: string;
  }[];
  return raw.map((e) => ({ ...e, data: new TextEncoder().encode(e.data) }));
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
