import { expect } from 'chai';
import { InvalidConfigError, loadConfig } from '../../../server/cli/config.js';
import { clusterIdOf, memberIdOf } from '../../../server/member/member-ids.js';

const A = 'a=http://127.0.0.1:12380';
const B = 'b=http://127.0.0.1:22380';
const C = 'c=http://127.0.0.1:32380';
const D = 'd=http://127.0.0.1:42380';

const original = (): ReturnType<typeof loadConfig> =>
  loadConfig([
    '--name',
    'a',
    '--initial-cluster',
    [A, B, C].join(','),
    '--listen-peer-urls',
    'http://127.0.0.1:12380',
  ]);

const joiner = (extra: string[] = [], cluster = [A, B, C, D]): ReturnType<typeof loadConfig> =>
  loadConfig([
    '--name',
    'd',
    '--initial-cluster',
    cluster.join(','),
    '--listen-peer-urls',
    'http://127.0.0.1:42380',
    '--initial-cluster-state',
    'existing',
    ...extra,
  ]);

describe('loadConfig (joining a cluster)', () => {
  describe('#memberIdOf', () => {
    it('gives the id --initial-cluster gives, whatever the order of the URLs', () => {
      const c = original();
      const a = c.initialCluster.find((m) => m.name === 'a')!;
      expect(memberIdOf('concord-cluster', ['http://127.0.0.1:12380'])).to.equal(a.id);
      expect(memberIdOf('t', ['http://x:1', 'http://y:2'])).to.equal(
        memberIdOf('t', ['http://y:2', 'http://x:1']),
      );
      expect(memberIdOf('t', ['http://x:1'])).to.not.equal(memberIdOf('u', ['http://x:1']));
    });
  });

  context('with --initial-cluster-state existing and no --initial-cluster-id', () => {
    it('uses the id of the cluster created with the other members of --initial-cluster', () => {
      const c = joiner();
      expect(c.clusterId).to.equal(original().clusterId);
      expect(c.memberId).to.equal(memberIdOf('concord-cluster', ['http://127.0.0.1:42380']));
    });

    it('refuses an --initial-cluster that lists only this member', () => {
      expect(() => joiner([], [D])).to.throw(InvalidConfigError, /initial-cluster/);
    });
  });

  context('with --initial-cluster-id', () => {
    it('uses the given cluster id', () => {
      expect(joiner(['--initial-cluster-id', '12345']).clusterId).to.equal(12345);
    });

    it('refuses it for a new cluster, and refuses a value that is not a positive integer', () => {
      expect(() =>
        loadConfig([
          '--name',
          'a',
          '--initial-cluster',
          A,
          '--listen-peer-urls',
          'http://127.0.0.1:12380',
          '--initial-cluster-id',
          '5',
        ]),
      ).to.throw(InvalidConfigError, /initial-cluster-id/);
      expect(() => joiner(['--initial-cluster-id', 'abc'])).to.throw(
        InvalidConfigError,
        /initial-cluster-id/,
      );
      expect(() => joiner(['--initial-cluster-id', '0'])).to.throw(InvalidConfigError, /initial-cluster-id/);
    });
  });

  describe('#clusterIdOf', () => {
    it('depends on the set of member ids, not their order', () => {
      expect(clusterIdOf('t', [3, 1, 2])).to.equal(clusterIdOf('t', [1, 2, 3]));
      expect(clusterIdOf('t', [1, 2])).to.not.equal(clusterIdOf('t', [1, 2, 3]));
    });
  });
});
