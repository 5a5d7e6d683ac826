/**
 * The strict reconfiguration check (reconfig-check.ts), against etcd's rules: which membership
 * changes the leader refuses, given who has started and who has been connected for how long.
 */
import { expect } from 'chai';
import { ErrorCode } from '../../client/protocol/error-codes.js';
import {
  checkAdd,
  checkPromote,
  checkRemove,
  HEALTH_INTERVAL_MS,
  type ReconfigMember,
  type ReconfigView,
} from '../../server/member/reconfig-check.js';
import { ServerError } from '../../server/errors.js';

const NOW = 100_000;
const LONG_AGO = NOW - HEALTH_INTERVAL_MS;
const JUST_NOW = NOW - HEALTH_INTERVAL_MS + 1;

const voter = (id: number, name = `m${id}`): ReconfigMember => ({ id, name, isLearner: false });
const learner = (id: number, name = ''): ReconfigMember => ({ id, name, isLearner: true });

/** Member 1 leads; `since` gives each peer's connection time (absent: down). */
function view(members: readonly ReconfigMember[], since: Readonly<Record<number, number>>): ReconfigView {
  return { selfId: 1, members, activeSince: (id) => since[id], nowMs: NOW };
}

function codeOf(f: () => void): string | undefined {
  try {
    f();
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(ServerError);
    return (err as ServerError).code;
  }
}

describe('strict reconfiguration check', () => {
  const three = [voter(1), voter(2), voter(3)];

  describe('member add', () => {
    it('accepts when every voting peer has been connected for the health interval', () => {
      expect(codeOf(() => checkAdd(view(three, { 2: LONG_AGO, 3: LONG_AGO }), true))).to.equal(undefined);
      expect(codeOf(() => checkAdd(view(three, { 2: LONG_AGO, 3: LONG_AGO }), false))).to.equal(undefined);
    });

    it('refuses UNHEALTHY_CLUSTER when one voting peer connected too recently or is down, learner or not', () => {
      expect(codeOf(() => checkAdd(view(three, { 2: LONG_AGO, 3: JUST_NOW }), true))).to.equal(
        ErrorCode.UnhealthyCluster,
      );
      expect(codeOf(() => checkAdd(view(three, { 2: LONG_AGO }), false))).to.equal(
        ErrorCode.UnhealthyCluster,
      );
    });

    it('ignores learners when judging connections', () => {
      const members = [...three, learner(4)];
      expect(codeOf(() => checkAdd(view(members, { 2: LONG_AGO, 3: LONG_AGO }), true))).to.equal(undefined);
    });

    it('refuses a voter NOT_ENOUGH_STARTED_MEMBERS when too few members published themselves', () => {
      const unstarted = [voter(1), voter(2, ''), voter(3, '')];
      const all = { 2: LONG_AGO, 3: LONG_AGO };
      expect(codeOf(() => checkAdd(view(unstarted, all), false))).to.equal(ErrorCode.NotEnoughStartedMembers);
      expect(codeOf(() => checkAdd(view(unstarted, all), true))).to.equal(undefined);
      // A one-member cluster may always grow to two.
      expect(codeOf(() => checkAdd(view([voter(1)], {}), false))).to.equal(undefined);
    });
  });

  describe('member remove', () => {
    it('accepts removing a voter when the rest keep a connected quorum', () => {
      expect(codeOf(() => checkRemove(view(three, { 2: LONG_AGO, 3: LONG_AGO }), 3))).to.equal(undefined);
    });

    it('refuses UNHEALTHY_CLUSTER when removing a connected voter would leave too few connected', () => {
      // 3 is down; removing 2 (connected) leaves 1 and the unreachable 3: no quorum of 2.
      expect(codeOf(() => checkRemove(view(three, { 2: LONG_AGO }), 2))).to.equal(ErrorCode.UnhealthyCluster);
      expect(codeOf(() => checkRemove(view(three, { 2: LONG_AGO, 3: JUST_NOW }), 2))).to.equal(
        ErrorCode.UnhealthyCluster,
      );
    });

    it('accepts removing a voter that is down, and any learner', () => {
      expect(codeOf(() => checkRemove(view(three, { 2: LONG_AGO }), 3))).to.equal(undefined);
      expect(codeOf(() => checkRemove(view([...three, learner(4)], {}), 4))).to.equal(undefined);
    });

    it('refuses NOT_ENOUGH_STARTED_MEMBERS when the rest have too few started members', () => {
      const members = [voter(1), voter(2), voter(3, '')];
      expect(codeOf(() => checkRemove(view(members, { 2: LONG_AGO, 3: LONG_AGO }), 2))).to.equal(
        ErrorCode.NotEnoughStartedMembers,
      );
    });
  });

  describe('member promote', () => {
    it('counts the learner as started', () => {
      expect(codeOf(() => checkPromote(view([...three, learner(4)], {})))).to.equal(undefined);
      const unstarted = [voter(1), voter(2, ''), voter(3, ''), learner(4)];
      expect(codeOf(() => checkPromote(view(unstarted, {})))).to.equal(ErrorCode.NotEnoughStartedMembers);
    });
  });
});
