/**
 * `npm run bench -- snapshot-catchup [--keys 200000] [--value-bytes 256] [--dir /tmp]`
 *
 * What a follower's catch-up by snapshot costs each end. Two child processes on loopback, each
 * with the production RaftStorage (real disk, fsync on) and PeerTransport:
 *
 * - the leader holds a StateMachine of `--keys` keys and its snapshot file (written from the pinned
 *   view, as the replica does), then sends that snapshot to the follower exactly as the replica
 *   does: streamed from the file when the build can (`openSnapshot` + `sendSnapshotStream`), else
 *   read back whole and sent (`loadSnapshot` + `send`);
 * - the follower receives it (into its snap directory when the build can: `onSnapshotSink`),
 *   persists it as Raft's Ready would (`storage.save`), and restores its state machine from it.
 *
 * Printed per end: RSS and heap (and array buffers, where received bytes live) just before and at
 * their peak during the transfer (sampled every 5 ms, plus the kernel's max RSS), the leader's
 * longest event-loop delay while sending, and the time from the send to the follower's restored
 * state. Only public surfaces are used, so the same file measures an older build (feature checks).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { StateMachine } from '../server/apply/index.js';
import { NodeDisk } from '../server/platform/node-disk.js';
import type { MsgSnap, SnapshotMetadata } from '../server/raft/types.js';
import { decodeReplicaSnapshot, encodeReplicaSnapshotHead, MemberRegistry } from '../server/replica/index.js';
import { RaftStorage } from '../server/storage/index.js';
import { PeerTransport } from '../server/transport/index.js';

const MiB = 1024 * 1024;
const CLUSTER = 'bench-catchup';
const confState = { voters: [1, 2], learners: [] };
const SNAP_INDEX = 10;
const metadata: SnapshotMetadata = { index: SNAP_INDEX, term: 1, confState };

interface Args {
  keys: number;
  valueBytes: number;
  dir: string;
}

function parse(args: readonly string[]): Args {
  const out: Args = { keys: 200_000, valueBytes: 256, dir: tmpdir() };
  for (let i = 0; i < args.length; i += 2) {
    const [k, v] = [args[i], args[i + 1]];
    if (k === '--keys') out.keys = Number(v);
    else if (k === '--value-bytes') out.valueBytes = Number(v);
    else if (k === '--dir') out.dir = String(v);
    else if (k !== '--role') throw new Error(`unknown option ${k}`);
  }
  return out;
}

/** Peak memory while armed, sampled every 5 ms (a synchronous restore is caught by `end`). */
class Peaks {
  rss = 0;
  heap = 0;
  external = 0;
  private timer: NodeJS.Timeout | undefined;
  arm(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 5);
  }
  sample(): void {
    const m = process.memoryUsage();
    this.rss = Math.max(this.rss, m.rss);
    this.heap = Math.max(this.heap, m.heapUsed);
    this.external = Math.max(this.external, m.arrayBuffers);
  }
  end(): { rss: number; heap: number; arrayBuffers: number; maxRss: number } {
    this.sample();
    clearInterval(this.timer);
    return {
      rss: this.rss,
      heap: this.heap,
      arrayBuffers: this.external,
      maxRss: process.resourceUsage().maxRSS * 1024,
    };
  }
}

function now(): { rss: number; heap: number; arrayBuffers: number } {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

const send = (msg: unknown): void => {
  process.send?.(msg);
};

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function leader(args: Args, dir: string): Promise<void> {
  const { storage } = await RaftStorage.open(new NodeDisk(), {
    dataDir: dir,
    clusterId: CLUSTER,
    memberId: 1,
    initialConfState: confState,
  });
  const entries = Array.from({ length: SNAP_INDEX }, (_, i) => ({
    index: i + 1,
    term: 1,
    type: 0,
    data: new Uint8Array(0),
  }));
  await storage.save({
    entries: entries as never,
    hardState: { term: 1, vote: 1, commit: SNAP_INDEX },
    snapshot: undefined,
  });
  const machine = new StateMachine();
  const value = new Uint8Array(args.valueBytes).fill(0x61);
  for (let i = 0; i < args.keys; i++) {
    machine.apply(i + 1, {
      type: 'put',
      request: { key: new TextEncoder().encode(`key-${String(i).padStart(8, '0')}`), value } as never,
    });
  }
  const source = machine.beginSnapshot();
  let head: Uint8Array | undefined = encodeReplicaSnapshotHead(new MemberRegistry());
  let bytes = 0;
  await storage.saveSnapshotStream(metadata, () => {
    const out = head ?? source.next();
    head = undefined;
    bytes += out?.length ?? 0;
    return out;
  });
  const transport = new PeerTransport({
    clusterId: CLUSTER,
    memberId: 1,
    listenUrls: ['http://127.0.0.1:0'],
  });
  await transport.start();
  const peaks = new Peaks();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let startedAt = 0;
  transport.onSnapshotStatus((_to, ok) => {
    delay.disable();
    send({
      kind: 'sent',
      ok,
      ms: performance.now() - startedAt,
      peak: peaks.end(),
      maxDelayMs: delay.max / 1e6,
      p99DelayMs: delay.percentile(99) / 1e6,
    });
  });
  process.on('message', (msg: { kind: string; url?: string }) => {
    if (msg.kind === 'peer') transport.addPeer(2, [msg.url as string]);
    if (msg.kind === 'idle') {
      // The noise floor: the same measure over one idle second (a shared machine preempts us).
      const idle = monitorEventLoopDelay({ resolution: 1 });
      idle.enable();
      setTimeout(() => {
        idle.disable();
        send({ kind: 'idle', maxDelayMs: idle.max / 1e6 });
      }, 1000);
    }
    if (msg.kind === 'send') {
      gc();
      send({ kind: 'armed', before: now() });
      peaks.arm();
      delay.enable();
      startedAt = performance.now();
      const message: MsgSnap = {
        type: 'MsgSnap',
        from: 1,
        to: 2,
        term: 1,
        snapshot: { metadata, data: new Uint8Array(0) },
      };
      const streaming = storage as unknown as {
        openSnapshot?: (m: SnapshotMetadata) => Promise<never>;
      };
      const streamingTransport = transport as unknown as {
        sendSnapshotStream?: (m: MsgSnap, b: never) => void;
      };
      if (streaming.openSnapshot !== undefined && streamingTransport.sendSnapshotStream !== undefined) {
        void streaming
          .openSnapshot(metadata)
          .then((body) => streamingTransport.sendSnapshotStream!(message, body));
      } else {
        void storage.loadSnapshot(metadata).then((snapshot) => transport.send([{ ...message, snapshot }]));
      }
    }
    if (msg.kind === 'exit')
      void transport
        .close()
        .then(() => storage.close())
        .then(() => process.exit(0));
  });
  send({ kind: 'ready', url: transport.listenUrls()[0], snapshotBytes: bytes, state: now() });
}

async function follower(_args: Args, dir: string): Promise<void> {
  const { storage } = await RaftStorage.open(new NodeDisk(), {
    dataDir: dir,
    clusterId: CLUSTER,
    memberId: 2,
    initialConfState: confState,
  });
  const transport = new PeerTransport({
    clusterId: CLUSTER,
    memberId: 2,
    listenUrls: ['http://127.0.0.1:0'],
  });
  const sinks = transport as unknown as { onSnapshotSink?: (f: (m: MsgSnap) => unknown) => void };
  const receiving = storage as unknown as { receiveSnapshot?: (m: SnapshotMetadata) => unknown };
  if (sinks.onSnapshotSink !== undefined && receiving.receiveSnapshot !== undefined) {
    sinks.onSnapshotSink((m) => receiving.receiveSnapshot!(m.snapshot.metadata));
  }
  await transport.start();
  const machine = new StateMachine();
  const peaks = new Peaks();
  transport.onMessage((m) => {
    if (m.type !== 'MsgSnap') return;
    // As the Ready loop: persist the snapshot, then restore the state machine from it.
    void storage
      .save({ snapshot: m.snapshot, entries: [], hardState: { term: 1, vote: 1, commit: SNAP_INDEX } })
      .then(() => {
        peaks.sample();
        const decoded = decodeReplicaSnapshot(m.snapshot.data);
        machine.restore(decoded.stateMachine ?? new Uint8Array(0));
        const peak = peaks.end();
        const keys = machine.range({
          key: new Uint8Array([0]),
          rangeEnd: new Uint8Array([0]),
          countOnly: true,
        } as never).count;
        send({ kind: 'restored', peak, keys });
        return reboot(dir, storage);
      })
      .then((boot) => send({ kind: 'rebooted', ...boot }));
  });
  process.on('message', (msg: { kind: string; url?: string }) => {
    if (msg.kind === 'peer') transport.addPeer(1, [msg.url as string]);
    if (msg.kind === 'arm') {
      gc();
      send({ kind: 'armed', before: now() });
      peaks.arm();
    }
    // The storage was closed by the reboot measure.
    if (msg.kind === 'exit') void transport.close().then(() => process.exit(0));
  });
  send({ kind: 'ready', url: transport.listenUrls()[0] });
}

/** Boot from what the catch-up left: open the storage (reads and verifies the snapshot), restore. */
async function reboot(dir: string, old: RaftStorage): Promise<{ openMs: number; restoreMs: number }> {
  await old.close();
  const t0 = performance.now();
  const { storage, boot } = await RaftStorage.open(new NodeDisk(), {
    dataDir: dir,
    clusterId: CLUSTER,
    memberId: 2,
  });
  const t1 = performance.now();
  const machine = new StateMachine();
  machine.restore(decodeReplicaSnapshot(boot.snapshot.data).stateMachine ?? new Uint8Array(0));
  const t2 = performance.now();
  await storage.close();
  return { openMs: t1 - t0, restoreMs: t2 - t1 };
}

const mb = (n: number): string => `${(n / MiB).toFixed(0)} MiB`;

function next(child: ChildProcess, kind: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: Record<string, unknown>): void => {
      if (msg['kind'] !== kind) return;
      child.off('message', onMessage);
      resolve(msg);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before '${kind}'`)));
  });
}

export async function run(argv: string[]): Promise<void> {
  const args = parse(argv);
  const root = mkdtempSync(join(args.dir, 'concord-catchup-'));
  const self = fileURLToPath(import.meta.url);
  const spawn = (role: string): ChildProcess =>
    fork(self, ['--role', role, ...argv], {
      execArgv: ['--expose-gc', ...(process.env['CATCHUP_TRACE_GC'] === '1' ? ['--trace-gc'] : [])],
      env: { ...process.env, CATCHUP_DIR: join(root, role) },
    });
  const l = spawn('leader');
  const f = spawn('follower');
  try {
    const [lr, fr] = await Promise.all([next(l, 'ready'), next(f, 'ready')]);
    l.send({ kind: 'peer', url: fr['url'] });
    f.send({ kind: 'peer', url: lr['url'] });
    const idle = next(l, 'idle');
    l.send({ kind: 'idle' });
    const idleMaxMs = (await idle)['maxDelayMs'] as number;
    const fArmed = next(f, 'armed');
    f.send({ kind: 'arm' });
    const fBefore = (await fArmed)['before'] as ReturnType<typeof now>;
    const lArmed = next(l, 'armed');
    const sent = next(l, 'sent');
    const restored = next(f, 'restored');
    const t0 = performance.now();
    l.send({ kind: 'send' });
    const lBefore = (await lArmed)['before'] as ReturnType<typeof now>;
    const s = await sent;
    const rebooted = next(f, 'rebooted');
    const r = await restored;
    const total = performance.now() - t0;
    const b = await rebooted;
    const lp = s['peak'] as ReturnType<Peaks['end']>;
    const fp = r['peak'] as ReturnType<Peaks['end']>;
    console.log(`keys ${args.keys} x ${args.valueBytes} B, snapshot ${mb(lr['snapshotBytes'] as number)}`);
    console.log(
      `leader   before: rss ${mb(lBefore.rss)} heap ${mb(lBefore.heap)} buffers ${mb(lBefore.arrayBuffers)} | peak while sending: rss ${mb(lp.rss)} heap ${mb(lp.heap)} buffers ${mb(lp.arrayBuffers)} | max event-loop delay ${(s['maxDelayMs'] as number).toFixed(1)} ms (p99 ${(s['p99DelayMs'] as number).toFixed(1)} ms) | acked after ${(s['ms'] as number).toFixed(0)} ms`,
    );
    console.log(
      `follower before: rss ${mb(fBefore.rss)} heap ${mb(fBefore.heap)} buffers ${mb(fBefore.arrayBuffers)} | peak until restored: rss ${mb(fp.rss)} (kernel max ${mb(fp.maxRss)}) heap ${mb(fp.heap)} buffers ${mb(fp.arrayBuffers)} | restored ${String(r['keys'])} keys`,
    );
    console.log(
      `catch-up (send → follower restored): ${total.toFixed(0)} ms; leader idle event-loop delay max ${idleMaxMs.toFixed(1)} ms`,
    );
    console.log(
      `follower reboot from it: storage open ${(b['openMs'] as number).toFixed(0)} ms + restore ${(b['restoreMs'] as number).toFixed(0)} ms`,
    );
  } finally {
    for (const c of [l, f]) if (c.connected) c.send({ kind: 'exit' });
    await Promise.all(
      [l, f].map(
        (c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve))),
      ),
    );
    rmSync(root, { recursive: true, force: true });
  }
}

const roleAt = process.argv.indexOf('--role');
if (roleAt >= 0 && process.argv[1] === fileURLToPath(import.meta.url)) {
  const role = process.argv[roleAt + 1];
  const args = parse(
    process.argv.slice(2).filter((_, i, all) => all[i] !== '--role' && all[i - 1] !== '--role'),
  );
  const dir = process.env['CATCHUP_DIR'] as string;
  await (role === 'leader' ? leader(args, dir) : follower(args, dir));
}
