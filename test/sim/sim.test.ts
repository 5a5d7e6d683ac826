/**
 * The deterministic simulator as a test suite (DESIGN.md §3, STYLE.md §8 point 20): members built
 * from the production Replica and StateMachine under a sweep of seeds across 3-, 5- and 7-member
 * clusters (swarm, hostile and power-loss weather, model and real storage), replay determinism, and
 * proof that the checkers catch each injected bug within a bounded number of seeds.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AuthRule } from './checkers/auth-apply.js';
import { Invariant } from './checkers/violation.js';
import { formatFailure, optionsFor as cliOptionsFor, parseArgs, reproCommand } from './cli.js';
import type { Cluster } from './cluster.js';
import { PROFILES, simOptions, type ProfileName, type SimBugs, type SimOptions } from './options.js';
import { runSeed, type RunResult } from './run.js';

type Storage = 'model' | 'real';

interface SeedCase {
  readonly seed: number;
  readonly nodes: 3 | 5 | 7;
  readonly profile: ProfileName;
  readonly why: string;
}

/**
 * Seeds that once failed, kept forever. A seed only reproduces a scenario for the simulator and the
 * production code of its time: the seeds found by the older simulator (its own Ready loop over
 * RaftNode, deleted in #13) do not reproduce on this one, so the list restarts with #13.
 */
const REGRESSION_SEEDS: readonly SeedCase[] = [
  // Read contexts were reused across restarts: the replica's ReadBatcher named its ReadIndex
  // requests `<member id>-<n>` with n restarting at 1 in every incarnation, so the leader's answer
  // to the previous incarnation's read confirmed the restarted member's read of the same name with
  // an old index (a stale linearizable read). Each failed as read-index-linearizable before the fix.
  ...[1001, 1002].map((seed) => ({
    seed,
    nodes: 5 as const,
    profile: 'powerloss' as const,
    why: 'read contexts reused after a restart',
  })),
  // The harness: the liveness phase waited for every member to apply everything committed
  // anywhere while the simulated clients kept writing; on a slow network with one entry per
  // MsgApp the followers always trailed by a few entries. The target is now fixed when the probe
  // is acknowledged. (Failed as liveness in the 10,000-seed run.)
  // Then the load: one entry per MsgApp, 2 in flight, ~33 ms one-way, a put every 2.25 ms; the
  // leader accepted ~750 uncommitted entries during the faults and the healed cluster commits ~50 a
  // second, so it needed ~15 s (it failed the same with snapshots switched off). The members' Raft
  // now refuses proposals beyond what the profile can commit in a third of the liveness budget
  // (options.ts simMaxUncommittedBytes). Failed as liveness before.
  {
    seed: 4247,
    nodes: 5,
    profile: 'swarm',
    why: 'the liveness target moved with the clients; an unbounded uncommitted backlog',
  },
  ...[4359, 7100, 8122].map((seed) => ({
    seed,
    nodes: 5 as const,
    profile: 'swarm' as const,
    why: 'read contexts reused after a restart',
  })),
  // A pre-candidate counted a grant of its own earlier pre-campaign (delayed past the election it
  // lost): one tick after a connection flap it campaigned, and its term unseated the live leader.
  // Failed as flap-keeps-leader-term before the fix (server/raft/step-candidate.ts).
  { seed: 880, nodes: 3, profile: 'flap', why: 'a stale pre-vote grant counted in a later pre-campaign' },
];

/**
 * Seeds that fail today because of an open bug in the production code. The sweep skips them; a test
 * below requires that they still fail, so the fix is noticed: then move them to REGRESSION_SEEDS.
 */
const KNOWN_FAILING_SEEDS: readonly (SeedCase & { readonly invariant: string })[] = [];

function isKnownFailing(seed: number, nodes: number, profile: ProfileName, storage: Storage): boolean {
  return (
    storage === 'model' &&
    KNOWN_FAILING_SEEDS.some((c) => c.seed === seed && c.nodes === nodes && c.profile === profile)
  );
}

interface Sweep {
  readonly nodes: 3 | 5 | 7;
  readonly seeds: number;
  readonly profile: ProfileName;
  readonly storage: Storage;
}

/**
 * The sweep: 500 seeds (measured about 55 s on one core of the 2-core CI machine, see
 * docs/simulator.md "Cost").
 */
const SWEEP: readonly Sweep[] = [
  { nodes: 3, seeds: 100, profile: 'swarm', storage: 'model' },
  { nodes: 5, seeds: 90, profile: 'swarm', storage: 'model' },
  { nodes: 7, seeds: 40, profile: 'swarm', storage: 'model' },
  { nodes: 3, seeds: 50, profile: 'hostile', storage: 'model' },
  { nodes: 5, seeds: 30, profile: 'hostile', storage: 'model' },
  { nodes: 7, seeds: 10, profile: 'hostile', storage: 'model' },
  { nodes: 3, seeds: 30, profile: 'powerloss', storage: 'model' },
  { nodes: 5, seeds: 30, profile: 'powerloss', storage: 'model' },
  { nodes: 3, seeds: 20, profile: 'figure8', storage: 'model' },
  { nodes: 5, seeds: 10, profile: 'figure8', storage: 'model' },
  { nodes: 3, seeds: 20, profile: 'flap', storage: 'model' },
  { nodes: 5, seeds: 10, profile: 'flap', storage: 'model' },
  { nodes: 3, seeds: 40, profile: 'swarm', storage: 'real' },
  { nodes: 5, seeds: 20, profile: 'swarm', storage: 'real' },
  { nodes: 3, seeds: 20, profile: 'powerloss', storage: 'real' },
  { nodes: 5, seeds: 10, profile: 'hostile', storage: 'real' },
];

/** Message types a sweep must have sent at least once (snapshots, transfers, forwarded reads…). */
const COVERAGE: Record<ProfileName, readonly string[]> = {
  swarm: ['MsgSnap', 'MsgTimeoutNow', 'MsgTransferLeader', 'MsgReadIndex', 'MsgReadIndexResp', 'MsgProp'],
  hostile: ['MsgProp', 'MsgPreVote', 'MsgVote'],
  powerloss: ['MsgProp', 'MsgVote', 'MsgReadIndex'],
  figure8: ['MsgProp', 'MsgVote'],
  flap: ['MsgProp', 'MsgPreVote'],
};

/** Where the sweep starts, so it does not just repeat the bug searches' seeds. */
const SWEEP_FIRST_SEED = 1000;

function optionsFor(
  seed: number,
  nodes: 3 | 5 | 7,
  profile: ProfileName,
  storage: Storage = 'model',
  bugs: SimBugs = {},
): SimOptions {
  return profile === 'swarm'
    ? simOptions({ seed, nodes, bugs, storage })
    : simOptions({ seed, nodes, bugs, storage, profile: PROFILES[profile], profileName: profile });
}

function failureReport(result: RunResult, options: SimOptions): string {
  return `\n${formatFailure(result, options)}`;
}

/** What an injected bug must be caught as (a liveness failure alone does not count). */
const SAFETY_INVARIANTS: readonly string[] = [
  Invariant.LeaderPerTerm,
  Invariant.LogMatching,
  Invariant.LeaderCompleteness,
  Invariant.StateMachineSafety,
  Invariant.AckedDurable,
  Invariant.ReadIndex,
  Invariant.ReadyContract,
  Invariant.ClientLinearizable,
  Invariant.ReadsMatchHistory,
  Invariant.WatchDelivery,
  Invariant.LeaseKeysGone,
  Invariant.FlapDisruption,
  Invariant.AuthDenied,
];

/**
 * Each injected bug with the profile and the number of seeds within which the simulator must report
 * a safety violation. Measured catch rates (docs/simulator.md, "Injected bugs and catch rates"):
 * Raft's commitPreviousTermByCount 41% of 3-member and 30% of 5-member figure8 seeds (1% of hostile
 * seeds); voteWithoutLogCheck ~85% and skipPrevLogCheck ~78% of hostile seeds; sendBeforePersist 45%
 * and applyBeforePersist 82% of 3-member power-loss seeds; ackBeforeFsync (a storage-port
 * decorator) 100% of power-loss seeds, caught as ready-contract at the state-machine port. Each bound leaves a miss probability below 2e-4 at those rates (for a code change that
 * reshuffles which seeds fail).
 */
const BUG_BOUNDS: readonly { bug: keyof SimBugs; nodes: 3 | 5; profile: ProfileName; maxSeeds: number }[] = [
  { bug: 'commitPreviousTermByCount', nodes: 3, profile: 'figure8', maxSeeds: 20 },
  { bug: 'commitPreviousTermByCount', nodes: 5, profile: 'figure8', maxSeeds: 25 },
  { bug: 'voteWithoutLogCheck', nodes: 3, profile: 'hostile', maxSeeds: 8 },
  { bug: 'voteWithoutLogCheck', nodes: 5, profile: 'hostile', maxSeeds: 8 },
  { bug: 'skipPrevLogCheck', nodes: 3, profile: 'hostile', maxSeeds: 8 },
  { bug: 'skipPrevLogCheck', nodes: 5, profile: 'hostile', maxSeeds: 8 },
  // These two are production-side bugs from the i13-bugs branch (server/raft InjectedBugs,
  // ReplicaConfig.injectedBugs); measured in a trial merge with main: 45% and 82% of seeds.
  { bug: 'sendBeforePersist', nodes: 3, profile: 'powerloss', maxSeeds: 20 },
  { bug: 'applyBeforePersist', nodes: 3, profile: 'powerloss', maxSeeds: 8 },
  { bug: 'ackBeforeFsync', nodes: 3, profile: 'powerloss', maxSeeds: 5 },
  { bug: 'ackBeforeFsync', nodes: 5, profile: 'powerloss', maxSeeds: 5 },
  // The state machine's (StateMachineOptions.injectedBugs): every member agrees on the state hash,
  // so only the simulated clients' checkers see them: 20/20 and 16/20 3-member swarm seeds.
  { bug: 'skipTxnSecondWatchEvent', nodes: 3, profile: 'swarm', maxSeeds: 5 },
  { bug: 'expireLeaseWithoutRevision', nodes: 3, profile: 'swarm', maxSeeds: 6 },
  // Raft's early-pre-vote grant without the voter's own lost connection: a flapping follower then
  // unseats a live leader, which only the flap checker sees.
  { bug: 'earlyVoteWithoutOwnLoss', nodes: 3, profile: 'flap', maxSeeds: 3 },
  { bug: 'earlyVoteWithoutOwnLoss', nodes: 5, profile: 'flap', maxSeeds: 3 },
];

describe('Simulator (production Replica and StateMachine)', () => {
  describe('runSeed', () => {
    context('when replaying the regression seeds', () => {
      for (const c of REGRESSION_SEEDS) {
        it(`finds no violation in seed ${c.seed} with ${c.nodes} members (${c.why})`, async () => {
          const options = optionsFor(c.seed, c.nodes, c.profile);
          const result = await runSeed(options);
          expect(result.violation, failureReport(result, options)).to.equal(undefined);
        });
      }
    });

    context('when replaying the seeds of open bugs', () => {
      for (const c of KNOWN_FAILING_SEEDS) {
        it(`still fails seed ${c.seed} with ${c.nodes} members as ${c.invariant} (${c.why})`, async () => {
          const result = await runSeed(optionsFor(c.seed, c.nodes, c.profile));
          expect(result.violation?.invariant).to.equal(c.invariant);
        });
      }
    });

    for (const s of SWEEP) {
      context(
        `when sweeping ${s.seeds} ${s.profile} seeds of ${s.nodes} members on ${s.storage} storage`,
        () => {
          it('finds no violation and converges after healing in every seed', async () => {
            let events = 0;
            let acked = 0;
            let crashes = 0;
            const messages = new Map<string, number>();
            for (let k = 0; k < s.seeds; k++) {
              if (isKnownFailing(SWEEP_FIRST_SEED + k, s.nodes, s.profile, s.storage)) continue;
              const options = optionsFor(SWEEP_FIRST_SEED + k, s.nodes, s.profile, s.storage);
              const result = await runSeed(options, (c) => {
                for (const n of c.nodes.values()) crashes += n.stats.crashes;
              });
              expect(result.violation, failureReport(result, options)).to.equal(undefined);
              expect(result.convergedAfterMs).to.be.a('number');
              events += result.events;
              acked += result.client.acked;
              for (const [type, n] of Object.entries(result.messages))
                messages.set(type, (messages.get(type) ?? 0) + n);
            }
            // The runs did real work: events happened, clients got answers, members crashed, and the
            // rarer paths ran.
            expect(events).to.be.greaterThan(s.seeds * 1000);
            expect(acked).to.be.greaterThan(s.seeds * (s.profile === 'swarm' ? 20 : 3));
            // The flap profile crashes nothing: a healthy leader under connection flaps is its point.
            if (s.profile !== 'swarm' && s.profile !== 'flap') expect(crashes).to.be.greaterThan(s.seeds * 3);
            for (const type of COVERAGE[s.profile])
              expect(messages.get(type) ?? 0, `${type} sent`).to.be.greaterThan(0);
          });
        },
      );
    }

    context('when the same seed runs twice', () => {
      for (const storage of ['model', 'real'] as const) {
        it(`replays it exactly on ${storage} storage: same events, same trace, same final state`, async () => {
          for (const [seed, nodes] of [
            [7, 5],
            [11, 3],
          ] as const) {
            const a = await runSeed(optionsFor(seed, nodes, 'swarm', storage));
            const b = await runSeed(optionsFor(seed, nodes, 'swarm', storage));
            expect(a.violation).to.equal(undefined);
            expect(b.events).to.equal(a.events);
            expect(b.stateHash).to.equal(a.stateHash);
            expect(b.trace).to.deep.equal(a.trace);
            expect(b.client).to.deep.equal(a.client);
          }
        });
      }

      it('differs from another seed', async () => {
        const a = await runSeed(optionsFor(7, 5, 'swarm'));
        const b = await runSeed(optionsFor(8, 5, 'swarm'));
        expect(b.stateHash).to.not.equal(a.stateHash);
      });
    });

    context('when a hook is registered for member starts', () => {
      it('runs it on every incarnation with that incarnation’s replica and state machine', async () => {
        const seen: string[] = [];
        let cluster: Cluster | undefined;
        const result = await runSeed(
          optionsFor(3, 3, 'powerloss'),
          (c) => {
            cluster = c;
          },
          (c) =>
            c.onMemberStart((node, live) => {
              expect(live.replica.id).to.equal(node.id);
              expect(live.incarnation).to.equal(node.incarnation);
              expect(live.platform.clock.nowMs()).to.be.a('number');
              expect(live.port.machine).to.equal(live.machine);
              seen.push(`${node.id}/${live.incarnation}`);
            }),
        );
        expect(result.violation).to.equal(undefined);
        // Three initial starts plus one per restart, each a distinct incarnation.
        expect(seen.length).to.be.greaterThan(6);
        expect(new Set(seen).size).to.equal(seen.length);
        expect(cluster?.liveMembers().size).to.equal(0); // abandoned at the end of the run
      });
    });
  });

  describe('injected bugs', () => {
    for (const { bug, nodes, profile, maxSeeds } of BUG_BOUNDS) {
      context(`when ${bug} is switched on in ${nodes}-member clusters`, () => {
        it(`reports a safety violation within ${maxSeeds} ${profile} seeds`, async () => {
          let found: RunResult | undefined;
          for (let seed = 1; seed <= maxSeeds && found === undefined; seed++) {
            const result = await runSeed(optionsFor(seed, nodes, profile, 'model', { [bug]: true }));
            // a broken member may also just stop the cluster converging; look for the safety report
            if (SAFETY_INVARIANTS.includes(result.violation?.invariant ?? '')) found = result;
          }
          expect(found, `no violation in ${maxSeeds} seeds`).to.not.equal(undefined);
        });
      });
    }
  });

  describe('auth workload', () => {
    const AUTH_SEEDS = 20;
    context(
      `when sweeping ${AUTH_SEEDS} swarm seeds of 5 members with auth changing under the clients`,
      () => {
        it('finds no violation, and the auth checker judged guarded, denied and stale writes', async () => {
          const totals = { guarded: 0, refusedStale: 0, limitedPuts: 0, deniedToClients: 0 };
          for (let k = 0; k < AUTH_SEEDS; k++) {
            const options = simOptions({ seed: SWEEP_FIRST_SEED + k, nodes: 5, auth: true });
            const result = await runSeed(options, (c) => {
              const s = c.authChecker?.stats;
              if (s === undefined) return;
              for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += s[key];
            });
            expect(result.violation, failureReport(result, options)).to.equal(undefined);
            expect(result.convergedAfterMs).to.be.a('number');
          }
          // The runs exercised what the checker is for: writes admitted by a check, limited users'
          // writes allowed by the model, writes refused to their clients, and stale checks refused.
          expect(totals.guarded).to.be.greaterThan(AUTH_SEEDS * 20);
          expect(totals.limitedPuts).to.be.greaterThan(0);
          expect(totals.deniedToClients).to.be.greaterThan(0);
          expect(totals.refusedStale).to.be.greaterThan(0);
        });
      },
    );

    context('when sweeping swarm seeds of 5 members with revocation races (authRaces)', () => {
      it('finds no violation, and the model refused racing puts that reached apply', async () => {
        let refusedByModel = 0;
        for (let k = 0; k < 6; k++) {
          const options = simOptions({ seed: SWEEP_FIRST_SEED + k, nodes: 5, auth: true, authRaces: true });
          const result = await runSeed(options, (c) => {
            refusedByModel += c.authChecker?.stats.refusedByModel ?? 0;
          });
          expect(result.violation, failureReport(result, options)).to.equal(undefined);
        }
        expect(refusedByModel).to.be.greaterThan(0);
      });
    });

    context('when skipAuthGuard is switched on (the apply skips its auth check)', () => {
      // Measured: 22 of 30 5-member swarm seeds (73%); 8 seeds miss with probability < 3e-5.
      it('reports auth-denied-writes-never-apply within 8 seeds', async () => {
        let found: RunResult | undefined;
        for (let seed = 1; seed <= 8 && found === undefined; seed++) {
          const result = await runSeed(
            simOptions({ seed, nodes: 5, auth: true, bugs: { skipAuthGuard: true } }),
          );
          if (result.violation?.invariant === Invariant.AuthDenied) found = result;
        }
        expect(found, 'no violation in 8 seeds').to.not.equal(undefined);
      });

      // Seed 13 was caught by the model rule (a limited user's write after its permission went)
      // until the merged Raft and replica changes moved its schedule; it is now caught first by the
      // stale auth-revision rule.
      it('catches a write applied past its auth revision (seed 13)', async () => {
        const result = await runSeed(
          simOptions({ seed: 13, nodes: 5, auth: true, bugs: { skipAuthGuard: true } }),
        );
        expect(result.violation?.invariant).to.equal(Invariant.AuthDenied);
        expect(result.violation?.message).to.match(/although it was checked at auth revision \d+/);
        expect(result.violation?.message).to.contain(`[rule ${AuthRule.StaleRevision}]`);
      });

      // A run ends at its first violation, and every write checked before an auth change is stale,
      // so the revision rule nearly always fires first (on root's writes, most of the load): the
      // model rule came first in 1 of 500 3-member seeds (130). That seed shows it, and is fragile
      // (any change to the schedule moves it); the revocation races below show it in most seeds.
      it("catches a limited user's write applied after its right went (model rule, 3-member seed 130)", async () => {
        const result = await runSeed(
          simOptions({ seed: 130, nodes: 3, auth: true, bugs: { skipAuthGuard: true } }),
        );
        expect(result.violation?.invariant).to.equal(Invariant.AuthDenied);
        expect(result.violation?.message).to.match(/although the auth model denies u[ab] writing c\/auth\//);
        expect(result.violation?.message).to.contain(`[rule ${AuthRule.Model}]`);
      });

      context('with revocation races (authRaces)', () => {
        // Measured: the model rule first in 21 of 30 5-member swarm seeds (first seed 1), 34 of 60
        // 3-member ones; 10 seeds miss with probability < 1e-5.
        it('reports the model rule within 10 seeds', async () => {
          let found: RunResult | undefined;
          for (let seed = 1; seed <= 10 && found === undefined; seed++) {
            const result = await runSeed(
              simOptions({ seed, nodes: 5, auth: true, authRaces: true, bugs: { skipAuthGuard: true } }),
            );
            if (result.violation?.message.includes(`[rule ${AuthRule.Model}]`) === true) found = result;
          }
          expect(found, 'no model-rule violation in 10 seeds').to.not.equal(undefined);
          expect(found?.violation?.message).to.match(
            /although the auth model denies u[ab] writing c\/auth\//,
          );
        });
      });
    });
  });

  describe('vopr command line', () => {
    const vopr = fileURLToPath(new URL('./vopr.js', import.meta.url));

    it('takes --auth race as the auth workload with revocation races, and replays it so', () => {
      const args = parseArgs(['--seed', '7', '--nodes', '3', '--auth', 'race']);
      expect(args).to.include({ auth: true, authRaces: true });
      expect(reproCommand(cliOptionsFor(args, 7))).to.contain('--auth race');
      expect(parseArgs(['--auth', 'on'])).to.include({ auth: true, authRaces: false });
      expect(() => parseArgs(['--auth', 'maybe'])).to.throw(/on, off or race/);
    });

    it('prints exactly one summary line and exits 0 when every seed passes', () => {
      const run = spawnSync(process.execPath, [vopr, '--seeds', '3', '--nodes', '3'], { encoding: 'utf8' });
      expect(run.status).to.equal(0);
      const lines = run.stdout.trim().split('\n');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^seeds=3 violations=0 events=\d+$/);
    });

    context('when a seed fails', () => {
      it('prints the seed, the violation, the trace and a reproduction command, and exits non-zero', () => {
        const args = ['--seed', '2', '--nodes', '3', '--bugs', 'voteWithoutLogCheck', '--profile', 'hostile'];
        const run = spawnSync(process.execPath, [vopr, ...args], { encoding: 'utf8' });
        expect(run.status).to.equal(1);
        expect(run.stdout).to.match(/^FAIL seed=2 nodes=3 /);
        expect(run.stdout).to.match(/\nviolation: [a-z-]+: /);
        expect(run.stdout).to.match(/\nlast \d+ events:\n/);
        expect(run.stdout).to.include(
          'reproduce: npm run sim -- --seed 2 --nodes 3 --bugs voteWithoutLogCheck --profile hostile',
        );
        expect(run.stdout.trim().split('\n').at(-1)).to.match(/^seeds=1 violations=1 events=\d+$/);
      });
    });

    it('rejects an unknown flag with exit code 2', () => {
      const run = spawnSync(process.execPath, [vopr, '--bogus', '1'], { encoding: 'utf8' });
      expect(run.status).to.equal(2);
      expect(run.stderr).to.include('unknown flag --bogus');
    });
  });
});
