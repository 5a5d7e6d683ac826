import { assert } from '../assert.js';
import { ConfChangeType, type ConfChange } from './types.js';

const TYPES: readonly string[] = Object.values(ConfChangeType);

/** ConfChange entries carry a small JSON document; membership changes are rare, so clarity wins. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const parsed: unknown = JSON.parse(new TextDecoder().decode(data));
  assert(typeof parsed === 'object' && parsed !== null, 'conf change: not an object');
  const obj = parsed as Record<string, unknown>;
  assert(typeof obj['type'] === 'string' && TYPES.includes(obj['type']), 'conf change: bad type');
  assert(Number.isSafeInteger(obj['nodeId']) && (obj['nodeId'] as number) > 0, 'conf change: bad nodeId');
  const cc: ConfChange = { type: obj['type'] as ConfChangeType, nodeId: obj['nodeId'] as number };
  return typeof obj['context'] === 'string' ? { ...cc, context: obj['context'] } : cc;
}
