/**
 * The fault primitives the nemesis relies on, each shown to have the effect it claims on a real
 * 3-member cluster (a pause that does not cost the leadership, or a one-way block that cuts
 * nothing, would make the fault suite pass for the wrong reason), and the --nemesis parser.
 */
import { expect } from 'chai';
import { ClusterHarness } from '../cluster/harness.js';
import { eventually } from '../helpers/eventually.js';
import { FAULT_KINDS, parseNemesis } from './nemesis.js';

describe('parseNemesis', () => {
  it('expands all, groups and comma lists without duplicates', () => {
    expect(parseNemesis('all')).to.have.members([...FAULT_KINDS]);
    expect(parseNemesis('none')).to.deep.equal([]);
    expect(parseNemesis('kill,kill-leader,one-way')).to.have.members([
      'kill-leader',
      'kill-random',
      'one-way',
    ]);
  });

  it('rejects an unknown fault name', () => {
    expect(() => parseNemesis('kill,meteor')).to.throw(/unknown nemesis "meteor"/);
  });
});

describe('ClusterHarness fault primitives', function () {
  this.timeout(120_000);
  let h: ClusterHarness;
  before(async () => {
    h = await ClusterHarness.start({ size: 3 });
  });
  after(async () => {
    await h.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.error(h.logs());
    h.heal();
    for (const m of h.members) h.resume(m.name);
  });

  describe('#pause', () => {
    it('freezes the leader past the election timeout: another member leads; after #resume it follows and catches up', async () => {
      const leader = await h.waitForLeader();
      h.pause(leader);
      const next = await h.waitForLeader();
      expect(next).to.not.equal(leader);
      await h.put(next, 'during-pause', 'yes');
      h.resume(leader);
      await eventually('the resumed member has the write made while it was frozen', async () =>
        (await h.get(leader, 'during-pause', true)) === 'yes' ? true : undefined,
      );
      expect(await h.waitForLeader()).to.not.equal(leader);
    });
  });

  describe('#blockOneWay', () => {
    it("loses only the leader's outgoing messages: the others elect a new leader, which the old one recognises", async () => {
      const leader = await h.waitForLeader();
      for (const m of h.members) if (m.name !== leader) h.blockOneWay(leader, m.name);
      // Right after the block everyone still names the old leader; wait for the change.
      const next = await eventually('every member agrees on a new leader', async () => {
        const agreed = await h.waitForLeader(2_000);
        return agreed !== leader ? agreed : undefined;
      });
      // waitForLeader needs every member to agree, the old leader included: it heard the new
      // leader's higher term (that direction still works) and stepped down. It cannot answer,
      // so the new leader never learns its match index and cannot tell it the commit index;
      // it catches up once its direction is healed.
      await h.put(next, 'one-way', 'new-leader');
      h.heal();
      await eventually("after healing, the old leader applies the new leader's write", async () =>
        (await h.get(leader, 'one-way', true)) === 'new-leader' ? true : undefined,
      );
    });
  });

  describe('#partition', () => {
    it('splits one member from the other two: the pair keeps a leader and serves writes', async () => {
      const [alone, ...pair] = h.members.map((m) => m.name);
      h.partition([[alone!], pair]);
      await eventually('a leader in the pair', async () => {
        const st = await h.status(pair[0]!);
        const ids = await Promise.all(pair.map(async (p) => (await h.status(p)).header.member_id));
        return ids.includes(st.leader) ? true : undefined;
      });
      await h.put(pair[0]!, 'split', 'pair');
      let refused = false;
      try {
        await h.put(alone!, 'split-alone', 'x');
      } catch {
        refused = true;
      }
      expect(refused, 'the lone member refused a write').to.equal(true);
    });
  });
});
