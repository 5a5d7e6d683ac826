/** The workers' operation mix: each operation with its weight (its share of a worker's steps). */
import type { SeededRandom } from '../../../server/platform/random.js';
import type { AuthOps } from './auth-ops.js';
import type { ClientContext, Worker } from './client-context.js';
import type { LeaseOps } from './lease-ops.js';
import { deleteSome, pairPut, pairTxn } from './pair-ops.js';
import { linearizablePrefixRead, pastRead, serializableRead } from './read-ops.js';
import { registerCas, registerPut, registerRead } from './register-ops.js';

export type Op = (w: Worker) => Promise<void>;

export type OpMix = readonly (readonly [weight: number, op: Op])[];

export function opMix(cx: ClientContext, leases: LeaseOps, auth?: AuthOps): OpMix {
  const authMix: OpMix =
    auth === undefined
      ? []
      : [
          [14, (w) => auth.change(w)],
          [12, (w) => auth.put(w)],
          [3, (w) => auth.delete(w)],
          [4, (w) => auth.read(w)],
        ];
  return [
    ...authMix,
    [14, (w) => registerPut(cx, w)],
    [14, (w) => registerCas(cx, w)],
    [10, (w) => registerRead(cx, w)],
    [10, (w) => serializableRead(cx, w)],
    [4, (w) => linearizablePrefixRead(cx, w)],
    [4, (w) => pastRead(cx, w)],
    [10, (w) => pairTxn(cx, w)],
    [4, (w) => pairPut(cx, w)],
    [4, (w) => deleteSome(cx, w)],
    [4, (w) => leases.grant(w)],
    [8, (w) => leases.leasedPut(w)],
    [8, (w) => leases.keepAlive(w)],
    [2, (w) => leases.revoke(w)],
    [5, (w) => leases.timeToLive(w)],
  ];
}

export function pickOp(random: SeededRandom, mix: OpMix): Op {
  const total = mix.reduce((s, [weight]) => s + weight, 0);
  let x = random.int(total);
  for (const [weight, op] of mix) {
    if (x < weight) return op;
    x -= weight;
  }
  return mix[0]![1];
}
