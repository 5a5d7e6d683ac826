/**
 * The corruption checker's decisions over fake ports: which peers it compares (same compaction
 * point, an answer at all), whom the periodic check alarms (the members outside the majority's
 * hash), and what the initial check refuses.
 */
import { expect } from 'chai';
import { decodeCommand, type Command, type StateMachine } from '../../../server/apply/index.js';
import {
  CorruptionChecker,
  InitialCorruptionError,
  type CorruptionCheckPorts,
} from '../../../server/member/corruption-check.js';
import { hash32 } from '../../../server/member/backend-helpers.js';
import { noopLogger } from '../../../server/platform/logger.js';
import type { Timers } from '../../../server/platform/timers.js';

/** A peer's answer to HashKV: a hash and compaction point, or an error. */
type PeerAnswer = { hash: number; compactRevision: number } | Error;

const LOCAL_DIGEST = '0123456789abcdef';
const LOCAL_HASH = hash32(LOCAL_DIGEST);

function checker(
  answers: Record<number, PeerAnswer>,
  leader = true,
): {
  check: CorruptionChecker;
  proposed: Command[];
} {
  const proposed: Command[] = [];
  const members = [1, ...Object.keys(answers).map(Number)].map((id) => ({
    id,
    name: `m${id}`,
    peerUrls: [`http://10.0.0.${id}:2380`],
    clientUrls: id === 99 ? [] : [`http://10.0.0.${id}:2379`],
    isLearner: false,
  }));
  const machine = {
    store: { currentRevision: 40, compactRevision: 10, hash: () => LOCAL_DIGEST },
  } as unknown as StateMachine;
  const timers: Timers = { setTimeout: () => ({ id: 0 }), clearTimeout: () => undefined };
  const ports: CorruptionCheckPorts = {
    memberId: 1,
    logger: noopLogger,
    machine,
    timers,
    catchUpTimeoutMs: 100,
    replica: {
      isLeader: () => leader,
      isRunning: () => true,
      memberList: () => members,
      linearizableRead: () => Promise.resolve(),
      propose: (bytes: Uint8Array) => {
        proposed.push(decodeCommand(bytes));
        return Promise.resolve({ status: 'ok', response: { type: 'alarmActivate', alarms: [] } } as never);
      },
    },
    network: {
      forwardToLeader: ((method: string, params: { revision: number }, urls: readonly string[]) => {
        expect(method).to.equal('maintenance.hashKV');
        expect(params.revision).to.equal(40);
        const id = Number(/10\.0\.0\.(\d+)/.exec(urls[0]!)![1]);
        const a = answers[id]!;
        if (a instanceof Error) return Promise.reject(a);
        return Promise.resolve({
          header: {},
          hash: a.hash,
          compactRevision: a.compactRevision,
          hashRevision: 40,
        });
      }) as unknown as CorruptionCheckPorts['network']['forwardToLeader'],
    },
  };
  return { check: new CorruptionChecker(ports), proposed };
}

describe('CorruptionChecker', () => {
  it('compares only peers that answered at the same compaction point, and says why it skipped the others', async () => {
    const { check } = checker({
      2: { hash: LOCAL_HASH, compactRevision: 10 },
      3: { hash: 7, compactRevision: 12 },
      4: new Error('connection refused'),
      99: { hash: 0, compactRevision: 10 },
    });
    const r = await check.compare();
    expect(r.hash).to.equal(LOCAL_HASH);
    expect(r.compared).to.deep.equal([{ memberId: 2, hash: LOCAL_HASH }]);
    expect(r.skipped.map((s) => s.memberId).sort()).to.deep.equal([3, 4, 99]);
    expect(r.skipped.find((s) => s.memberId === 4)?.reason).to.equal('connection refused');
  });

  it('alarms the member whose hash differs from the majority, through Raft', async () => {
    const { check, proposed } = checker({
      2: { hash: LOCAL_HASH, compactRevision: 10 },
      3: { hash: LOCAL_HASH + 1, compactRevision: 10 },
    });
    expect(await check.checkOnce()).to.deep.equal([3]);
    expect(proposed).to.deep.equal([{ type: 'alarmActivate', memberId: 3, alarm: 'corrupt' }]);
  });

  it('alarms itself when the peers agree with each other and not with it', async () => {
    const { check, proposed } = checker({
      2: { hash: 5, compactRevision: 10 },
      3: { hash: 5, compactRevision: 10 },
    });
    expect(await check.checkOnce()).to.deep.equal([1]);
    expect(proposed).to.deep.equal([{ type: 'alarmActivate', memberId: 1, alarm: 'corrupt' }]);
  });

  it('raises nothing when all agree, and nothing on a follower', async () => {
    const agree = checker({ 2: { hash: LOCAL_HASH, compactRevision: 10 } });
    expect(await agree.check.checkOnce()).to.deep.equal([]);
    expect(agree.proposed).to.deep.equal([]);
    const follower = checker({ 2: { hash: 5, compactRevision: 10 } }, false);
    expect(await follower.check.checkOnce()).to.deep.equal([]);
    expect(follower.proposed).to.deep.equal([]);
  });

  it('the initial check refuses on any mismatch and passes when the comparable peers agree', async () => {
    let refused: unknown;
    await checker({ 2: { hash: LOCAL_HASH, compactRevision: 10 }, 3: { hash: 5, compactRevision: 10 } })
      .check.initialCheck()
      .catch((e: unknown) => (refused = e));
    expect(refused).to.be.instanceOf(InitialCorruptionError);
    expect((refused as InitialCorruptionError).code).to.equal('CORRUPT');
    expect((refused as Error).message).to.contain('member(s) 3');
    const ok = await checker({
      2: { hash: LOCAL_HASH, compactRevision: 10 },
      3: new Error('down'),
    }).check.initialCheck();
    expect(ok?.compared).to.have.length(1);
  });
});
