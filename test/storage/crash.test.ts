/**
 * The crash test (issue 3): a child process appends entries over the real disk as fast as it can
 * and reports each durable one; the parent kills it with SIGKILL at a seeded moment (after a
 * random number of acknowledgements, while appends are in flight), then recovers the data
 * directory and checks that every acknowledged entry is present, in order, intact, and that
 * nothing was invented. The same directory goes through every kill, so repairs accumulate.
 *
 * Seed: CONCORD_CRASH_SEED (default fixed); kills: CONCORD_CRASH_KILLS (default 50).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NodeDisk } from '../../server/platform/node-disk.js';
import { SeededRandom } from '../../server/platform/random.js';
import { RaftStorage } from '../../server/storage/raft-storage.js';
import {
  CRASH_CLUSTER,
  CRASH_SEGMENT_BYTES,
  payloadFor,
  sameBytes,
  snapshotDataFor,
} from './crash-workload.js';

const SEED = Number(process.env['CONCORD_CRASH_SEED'] ?? '20261126');
const KILLS = Number(process.env['CONCORD_CRASH_KILLS'] ?? '50');
const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));

interface Round {
  readonly readyLast: number;
  readonly maxAcked: number;
  readonly acks: number;
}

/** Runs one child until it has acknowledged `killAfter` entries, then SIGKILLs it. */
function runChild(dir: string, killAfter: number, track: (c: ChildProcess) => void): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, '16'], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let readyLast = -1;
    let maxAcked = -1;
    let acks = 0;
    let stderr = '';
    let killed = false;
    let previous = -1;
    let orderError: string | undefined;
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const [kind, a] = line.split(' ');
      if (kind === 'ready') {
        readyLast = Number(a);
      } else if (kind === 'ack') {
        const index = Number(a);
        if (index <= previous) orderError ??= `ack ${index} after ack ${previous}`;
        previous = index;
        maxAcked = Math.max(maxAcked, index);
        acks++;
        if (acks >= killAfter && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (orderError !== undefined) reject(new Error(`child acknowledged out of order: ${orderError}`));
      else if (signal !== 'SIGKILL') reject(new Error(`child exited by itself (code ${code}): ${stderr}`));
      else resolve({ readyLast, maxAcked, acks });
    });
  });
}

describe('WAL crash test (SIGKILL)', function () {
  this.timeout(90_000);
  let dir = '';
  const children = new Set<ChildProcess>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-crash-'));
  });

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged entry across ${KILLS} SIGKILLs (seed ${SEED})`, async () => {
    const random = new SeededRandom(SEED);
    let durableFloor = 0;
    let totalAcks = 0;
    let repairs = 0;
    let beyondAck = 0;
    for (let round = 1; round <= KILLS; round++) {
      const killAfter = 1 + random.int(250);
      const result = await runChild(dir, killAfter, (c) => children.add(c));
      const where = `seed ${SEED} round ${round}`;
      expect(result.readyLast, `${where}: child recovered less than was acknowledged`).to.be.at.least(
        durableFloor,
      );
      expect(result.acks, where).to.be.at.least(killAfter);
      durableFloor = Math.max(durableFloor, result.maxAcked);
      totalAcks += result.acks;

      const disk = new NodeDisk();
      const { storage, boot } = await RaftStorage.open(disk, {
        dataDir: dir,
        ...CRASH_CLUSTER,
        segmentSizeBytes: CRASH_SEGMENT_BYTES,
        preallocateBytes: CRASH_SEGMENT_BYTES / 4,
        logger: { warn: () => repairs++ },
      });
      await storage.close();
      await disk.close();
      const snapIndex = boot.snapshot.metadata.index;
      if (snapIndex > 0) {
        expect(sameBytes(boot.snapshot.data, snapshotDataFor(snapIndex)), `${where}: snapshot data`).to.equal(
          true,
        );
      }
      expect(snapIndex, `${where}: snapshot beyond acknowledged entries`).to.be.at.most(durableFloor);
      boot.entries.forEach((e, i) => {
        expect(e.index, `${where}: entries out of order`).to.equal(snapIndex + 1 + i);
        expect(
          sameBytes(e.data, payloadFor(e.index)),
          `${where}: entry ${e.index} damaged or invented`,
        ).to.equal(true);
      });
      const last = boot.entries[boot.entries.length - 1]?.index ?? snapIndex;
      expect(last, `${where}: acknowledged entries lost`).to.be.at.least(durableFloor);
      expect(boot.hardState.commit).to.be.at.most(last);
      // Entries recovered beyond the acknowledged ones were durable but unacknowledged: allowed.
      if (last > result.maxAcked) beyondAck++;
      durableFloor = Math.max(durableFloor, last);
    }
    expect(totalAcks).to.be.greaterThan(KILLS);
    // Kills must land while appends are in flight: some rounds recover unacknowledged entries.
    expect(beyondAck, 'no kill landed while appends were in flight').to.be.greaterThan(0);
    if (process.env['CONCORD_CRASH_VERBOSE'] !== undefined) {
      console.log(
        `crash test: ${KILLS} kills, ${totalAcks} acks, ${beyondAck} rounds with unacknowledged entries, ${repairs} repairs`,
      );
    }
  });
});
