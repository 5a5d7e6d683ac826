/**
 * The runners of `concord snapshot save|status|restore` (declared in snapshot-spec.ts).
 *
 * - save: the SDK's verified snapshot stream (client/snapshot.ts) into FILE.part, fsynced, renamed
 *   to FILE, the directory fsynced: FILE is either the previous file or the whole new snapshot,
 *   never a partial one. A progress line (bytes, percent, rate; progress.ts) goes to stderr while
 *   stdout and stderr are terminals; nothing otherwise.
 * - status: reads the file through the format's checks (client/protocol/snapshot-format.ts) and
 *   decodes the state in it, as restore and a member's boot would.
 * - restore: the same checks, then server/member/snapshot-restore.ts writes the data directory;
 *   ids come from `loadConfig`, the function `concord serve` derives them with, fed the same flags.
 *
 * A damaged file is refused with the offset where the damage was found (exit 1).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { OptionValues } from 'commander';
import { Client, formatSnapshotChecksum, type ClientOptions } from '../../client/index.js';
import { SnapshotFileReader, type SnapshotFileSummary } from '../../client/protocol/index.js';
import { InvalidConfigError, loadConfig } from './config.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { startBar, type ProgressBar } from './progress.js';
import { jsonFieldLines } from './recipe-views.js';
import { fieldLines, humanBytes, memberHex, table, type Json, type OutputFormat } from './render.js';

/** What a snapshot runner uses of client-verbs.ts's invocation. */
export interface SnapshotInvocation {
  readonly args: readonly string[];
  readonly opts: OptionValues;
  readonly globals: { readonly format: OutputFormat; readonly clientOptions: ClientOptions };
  readonly io: {
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
    readonly interrupt: AbortSignal;
  };
}

type SnapshotRunner = (inv: SnapshotInvocation) => Promise<number>;

// ---- save -------------------------------------------------------------------------------------

async function save(inv: SnapshotInvocation): Promise<number> {
  const [file] = inv.args as [string];
  const part = `${file}.part`;
  const client = new Client(inv.globals.clientOptions);
  let progress: ProgressBar | undefined;
  try {
    const snap = await client.snapshot({ signal: inv.io.interrupt });
    progress = await startBar({ label: 'snapshot', total: snap.totalBytes, unit: 'bytes' });
    const fh = await open(part, 'w');
    try {
      for await (const chunk of snap) {
        await fh.write(chunk);
        progress?.update(snap.receivedBytes);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    progress?.stop();
    progress = undefined;
    await rename(part, file);
    await fsyncDir(dirname(file));
    const summary = snap.summary!;
    const { revision, memberId } = snap.header;
    const answer: Record<string, Json> = {
      file,
      revision,
      member_id: memberId,
      size: summary.fileBytes,
      checksum: formatSnapshotChecksum(summary.checksum),
    };
    if (inv.globals.format === 'json') {
      inv.io.out(JSON.stringify(answer));
    } else if (inv.globals.format === 'fields') {
      for (const l of jsonFieldLines(answer)) inv.io.out(l);
    } else {
      inv.io.out(
        `Snapshot saved at ${file} (revision ${revision}, ${humanBytes(summary.fileBytes)}, checksum ${formatSnapshotChecksum(summary.checksum)}, from member ${memberHex(memberId)})`,
      );
    }
    return ExitCode.Ok;
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  } finally {
    progress?.stop();
    await client.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

// ---- reading a file -------------------------------------------------------------------------

/**
 * A snapshot file read through its checks: its summary and payload (the state machine snapshot).
 * `onBytes` is told how many bytes have been read so far, after each read.
 */
export async function readSnapshotFile(
  file: string,
  onBytes?: (bytesRead: number) => void,
): Promise<{ summary: SnapshotFileSummary; payload: Uint8Array }> {
  const reader = new SnapshotFileReader(createHash('sha256'));
  const parts: Uint8Array[] = [];
  let read = 0;
  // Fresh buffers per read: the payload views into them can be kept.
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    parts.push(...reader.push(chunk as Buffer));
    read += (chunk as Buffer).length;
    onBytes?.(read);
  }
  const summary = reader.finish();
  const payload = new Uint8Array(summary.payloadBytes);
  let at = 0;
  for (const p of parts) {
    payload.set(p, at);
    at += p.length;
  }
  return { summary, payload };
}

// ---- status -----------------------------------------------------------------------------------

async function status(inv: SnapshotInvocation): Promise<number> {
  const [file] = inv.args as [string];
  const { summary, payload } = await readSnapshotFile(file);
  const { inspectStateSnapshot } = await import('../member/snapshot-restore.js');
  const contents = inspectStateSnapshot(payload);
  const hash = formatSnapshotChecksum(summary.checksum);
  switch (inv.globals.format) {
    case 'json':
      // etcdctl's field names (its hash is a number too).
      inv.io.out(
        JSON.stringify({
          hash: summary.checksum,
          revision: contents.revision,
          totalKey: contents.keyCount,
          totalSize: summary.fileBytes,
          compactRevision: contents.compactRevision,
          leases: contents.leaseCount,
        }),
      );
      break;
    case 'table':
      inv.io.out(
        table(
          ['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE'],
          [[hash, String(contents.revision), String(contents.keyCount), humanBytes(summary.fileBytes)]],
        ),
      );
      break;
    case 'fields':
      for (const line of fieldLines([
        ['Hash', summary.checksum],
        ['Revision', contents.revision],
        ['TotalKey', contents.keyCount],
        ['TotalSize', summary.fileBytes],
      ]))
        inv.io.out(line);
      break;
    case 'simple':
      inv.io.out(`${hash}, ${contents.revision}, ${contents.keyCount}, ${humanBytes(summary.fileBytes)}`);
      break;
  }
  return ExitCode.Ok;
}

// ---- restore ----------------------------------------------------------------------------------

function restoreConfig(opts: OptionValues): ReturnType<typeof loadConfig> {
  const argv: string[] = [];
  const pass = (flag: string, value: unknown): void => {
    if (typeof value === 'string') argv.push(`--${flag}=${value}`);
  };
  pass('name', opts['name']);
  pass('initial-cluster', opts['initialCluster']);
  pass('initial-advertise-peer-urls', opts['initialAdvertisePeerUrls']);
  pass('initial-cluster-token', opts['initialClusterToken']);
  pass('data-dir', opts['dataDir']);
  try {
    return loadConfig(argv);
  } catch (err) {
    if (err instanceof InvalidConfigError) throw new UsageError(err.message);
    throw err;
  }
}

async function restore(inv: SnapshotInvocation): Promise<number> {
  const [file] = inv.args as [string];
  const config = restoreConfig(inv.opts);
  // Reading and checking the file is the long part of a restore: that is what the line shows.
  const progress = await startBar({ label: 'restore', total: (await stat(file)).size, unit: 'bytes' });
  let summary: SnapshotFileSummary;
  let payload: Uint8Array;
  try {
    ({ summary, payload } = await readSnapshotFile(file, (bytes) => progress?.update(bytes)));
  } finally {
    progress?.stop();
  }
  const { restoreMemberDataDir } = await import('../member/snapshot-restore.js');
  const restored = await restoreMemberDataDir(payload, {
    dataDir: config.dataDir,
    clusterId: config.clusterId,
    memberId: config.memberId,
    members: config.initialCluster,
  });
  if (inv.globals.format === 'json' || inv.globals.format === 'fields') {
    const answer: Json = {
      data_dir: config.dataDir,
      name: config.name,
      member_id: config.memberId,
      cluster_id: config.clusterId,
      revision: restored.revision,
      total_keys: restored.keyCount,
      raft_index: restored.snapshotIndex,
      hash: summary.checksum,
    };
    if (inv.globals.format === 'json') inv.io.out(JSON.stringify(answer));
    else for (const l of jsonFieldLines(answer)) inv.io.out(l);
  } else {
    inv.io.out(
      `Restored ${basename(file)} (revision ${restored.revision}, ${restored.keyCount} keys) into ${join(config.dataDir)} as member ${config.name} (${memberHex(config.memberId)}) of cluster ${memberHex(config.clusterId)}`,
    );
  }
  return ExitCode.Ok;
}

export const SNAPSHOT_RUNNERS: Readonly<Record<string, SnapshotRunner>> = {
  'snapshot save': save,
  'snapshot status': status,
  'snapshot restore': restore,
};
