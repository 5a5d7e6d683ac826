/** The payload (state machine snapshot) of a snapshot file, checked (client/protocol/snapshot-format.ts). */
import { createHash } from 'node:crypto';
import { SnapshotFileReader } from '../../client/protocol/index.js';

export function unframeSnapshot(file: Uint8Array): Uint8Array {
  const reader = new SnapshotFileReader(createHash('sha256'));
  const parts = reader.push(file);
  const { payloadBytes } = reader.finish();
  const out = new Uint8Array(payloadBytes);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
