/** The simulated clients' knobs (sim-clients.ts) and the key space they write. */

export interface SimClientsOptions {
  /** Workers, each with at most one operation open. */
  readonly clients: number;
  readonly registerKeys: number;
  readonly pairKeys: number;
  readonly leaseKeys: number;
  /** Mean pause between a worker's operations (exponential). */
  readonly thinkMeanMs: number;
  /** A client gives up on an answer after this long (the operation is then indeterminate). */
  readonly requestTimeoutMs: number;
  /** How often clients notice crashed members (open operations and watches on them). */
  readonly sweepMs: number;
  /** Prefix watches from revision 1 kept for the whole run (the complete history). */
  readonly anchorWatches: number;
  /** Key or prefix watches from past revisions, each living a while, at most this many at once. */
  readonly roamingWatches: number;
  readonly roamingLifeMeanMs: number;
  /** Mean interval between compactions (0: none). */
  readonly compactMeanMs: number;
  /**
   * The share of compactions that race a watch: just before compacting, a prefix watch starts on
   * the same member from the oldest revision still kept, so it is catching up when the compaction
   * applies and (on a member that catches up slowly, slow-catch-up.ts) is canceled as compacted.
   */
  readonly compactionRaceChance: number;
  /** Lease TTLs, in (virtual) seconds (the lessor raises a TTL below its minimum, 2 s by default). */
  readonly leaseTtlSec: readonly [number, number];
  /** A lease is kept alive for up to this long after its grant, then left to expire. */
  readonly leaseKeepMaxMs: number;
  /** Leases not known to be gone, at most (a grant waits while there are this many). */
  readonly liveLeases: number;
  /** The auth workload (auth-ops.ts): other operations then run as root. */
  readonly auth: boolean;
  /**
   * With `auth`: the roles may write the whole auth prefix from the start, and an admin change is
   * now and then a revocation race (auth-ops.ts `revokeRace`); the first change after the setup
   * always is one.
   */
  readonly authRaces: boolean;
}

export const SIM_CLIENTS_DEFAULTS: SimClientsOptions = {
  clients: 4,
  registerKeys: 3,
  pairKeys: 4,
  leaseKeys: 6,
  thinkMeanMs: 8,
  requestTimeoutMs: 1500,
  sweepMs: 20,
  anchorWatches: 2,
  roamingWatches: 3,
  roamingLifeMeanMs: 300,
  compactMeanMs: 500,
  compactionRaceChance: 0.5,
  leaseTtlSec: [2, 3],
  leaseKeepMaxMs: 1000,
  liveLeases: 3,
  auth: false,
  authRaces: false,
};

/** Every key the clients write starts with this. */
export const CLIENT_PREFIX = 'c/';
export const REGISTER_PREFIX = `${CLIENT_PREFIX}reg/`;
export const PAIR_PREFIX = `${CLIENT_PREFIX}pair/`;
export const LEASE_PREFIX = `${CLIENT_PREFIX}lease/`;
export const AUTH_PREFIX = `${CLIENT_PREFIX}auth/`;
