/** Which keys an operation touches (draws from the clients' PRNG). */
import type { SeededRandom } from '../../../server/platform/random.js';
import {
  CLIENT_PREFIX,
  LEASE_PREFIX,
  PAIR_PREFIX,
  REGISTER_PREFIX,
  type SimClientsOptions,
} from './client-options.js';
import { prefixEnd } from './record.js';

interface Chooser {
  readonly random: SeededRandom;
  readonly o: SimClientsOptions;
}

export function regKey(cx: Chooser): string {
  return `${REGISTER_PREFIX}${cx.random.int(cx.o.registerKeys)}`;
}

export function pairKey(cx: Chooser): string {
  return `${PAIR_PREFIX}${cx.random.int(cx.o.pairKeys)}`;
}

/** A key (register or pair), a sub-prefix or the whole client prefix, as [key, rangeEnd]. */
export function randomRange(cx: Chooser): [string, string] {
  switch (cx.random.int(4)) {
    case 0:
      return [CLIENT_PREFIX, prefixEnd(CLIENT_PREFIX)];
    case 1:
      return [LEASE_PREFIX, prefixEnd(LEASE_PREFIX)];
    case 2:
      return [PAIR_PREFIX, prefixEnd(PAIR_PREFIX)];
    default:
      return [cx.random.chance(0.5) ? regKey(cx) : pairKey(cx), ''];
  }
}
