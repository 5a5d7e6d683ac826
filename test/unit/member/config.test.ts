import { expect } from 'chai';
import {
  InvalidConfigError,
  MEMBER_CONFIG_FIELDS,
  MEMBER_DEFAULTS,
  resolveMemberConfig,
  type MemberConfig,
} from '../../../server/member/config.js';
import { clusterIdOf, memberIdOf } from '../../../server/member/member-ids.js';

function configError(config: Record<string, unknown>): InvalidConfigError {
  try {
    resolveMemberConfig(config as MemberConfig);
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidConfigError);
    return err as InvalidConfigError;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('resolveMemberConfig', () => {
  it('describes a single member on 127.0.0.1:2379/2380 with data in ./default.concord when empty', () => {
    const c = resolveMemberConfig({});
    expect(c.name).to.equal('default');
    expect(c.dataDir).to.equal('default.concord');
    expect(c.listenClientUrls).to.deep.equal(['http://127.0.0.1:2379']);
    expect(c.advertiseClientUrls).to.deep.equal(c.listenClientUrls);
    expect(c.advertisePeerUrls).to.deep.equal(['http://127.0.0.1:2380']);
    expect(c.initialCluster).to.deep.equal([
      {
        name: 'default',
        peerUrls: ['http://127.0.0.1:2380'],
        id: memberIdOf('concord-cluster', ['http://127.0.0.1:2380']),
      },
    ]);
    expect(c.clusterId).to.equal(clusterIdOf('concord-cluster', [c.memberId]));
    expect(c.heartbeatIntervalMs).to.equal(MEMBER_DEFAULTS.heartbeatInterval);
    expect(c.electionTimeoutMs).to.equal(MEMBER_DEFAULTS.electionTimeout);
    expect(c.quotaBackendBytes).to.equal(2 * 1024 ** 3);
    expect(c.autoCompaction).to.deep.equal({ mode: 'periodic', retention: 0 });
    expect(c.clientTls).to.equal(undefined);
    expect(c.unsafeNoFsync).to.equal(false);
  });

  it('gives the same ids for the initial cluster as text and as a list', () => {
    const a = 'http://127.0.0.1:12380';
    const b = 'http://127.0.0.1:22380';
    const asText = resolveMemberConfig({ name: 'a', listenPeerUrls: [a], initialCluster: `a=${a},b=${b}` });
    const asList = resolveMemberConfig({
      name: 'a',
      listenPeerUrls: [a],
      initialCluster: [
        { name: 'a', peerUrls: [a] },
        { name: 'b', peerUrls: [b] },
      ],
    });
    expect(asList.initialCluster).to.deep.equal(asText.initialCluster);
    expect(asList.clusterId).to.equal(asText.clusterId);
    expect(asList.memberId).to.equal(memberIdOf('concord-cluster', [a]));
  });

  it('reads auto-compaction retention as hours, a duration, or revisions', () => {
    const retention = (c: MemberConfig): number => resolveMemberConfig(c).autoCompaction.retention;
    expect(retention({ autoCompactionRetention: 1.5 })).to.equal(5_400_000);
    expect(retention({ autoCompactionRetention: '30m' })).to.equal(1_800_000);
    expect(retention({ autoCompactionRetention: '2' })).to.equal(7_200_000);
    expect(retention({ autoCompactionMode: 'revision', autoCompactionRetention: 1000 })).to.equal(1000);
    expect(configError({ autoCompactionMode: 'revision', autoCompactionRetention: 1.5 }).field).to.equal(
      'autoCompactionRetention',
    );
  });

  it('refuses a value of the wrong type in every field, naming that field', () => {
    expect(MEMBER_CONFIG_FIELDS.length).to.be.greaterThan(25);
    for (const field of MEMBER_CONFIG_FIELDS) {
      const err = configError({ [field]: { not: 'a valid value' } });
      expect(err.field, field).to.equal(field);
      expect(err.message, field).to.match(new RegExp(`^${field}: `));
    }
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['an unknown field', { snapshotCountt: 5 }, 'snapshotCountt'],
    ['an injected-bug switch', { sendBeforePersist: true }, 'sendBeforePersist'],
    ['a bad name', { name: 'bad name!' }, 'name'],
    ['an empty data directory', { dataDir: '' }, 'dataDir'],
    ['an ftp URL', { listenClientUrls: ['ftp://127.0.0.1:1'] }, 'listenClientUrls'],
    ['a URL without a port', { listenPeerUrls: ['http://127.0.0.1'] }, 'listenPeerUrls'],
    ['no URL at all', { advertiseClientUrls: [] }, 'advertiseClientUrls'],
    ['an unknown cluster state', { initialClusterState: 'maybe' }, 'initialClusterState'],
    ['a cluster id for a new cluster', { initialClusterId: 42 }, 'initialClusterId'],
    ['a fractional heartbeat', { heartbeatInterval: 12.5 }, 'heartbeatInterval'],
    ['no snapshots kept', { maxSnapshots: 0 }, 'maxSnapshots'],
    ['a tiny quota', { quotaBackendBytes: 1000 }, 'quotaBackendBytes'],
    ['a key without its certificate', { peerKeyFile: 'k.pem' }, 'peerCertFile'],
    [
      'client certificates without a CA',
      { certFile: 'c', keyFile: 'k', clientCertAuth: true },
      'trustedCaFile',
    ],
    [
      'a member named twice',
      {
        initialCluster: [
          { name: 'default', peerUrls: ['http://127.0.0.1:2380'] },
          { name: 'default', peerUrls: ['http://127.0.0.1:2381'] },
        ],
      },
      'initialCluster',
    ],
    ['an unknown log level', { logLevel: 'loud' }, 'logLevel'],
  ];
  for (const [what, config, field] of bad) {
    it(`refuses ${what}, naming ${field}`, () => {
      expect(configError(config).field).to.equal(field);
    });
  }

  it('refuses something that is not an object', () => {
    expect(configError(null as unknown as Record<string, unknown>).field).to.equal('config');
  });

  it('spells the other fields a reason names as its caller asks', () => {
    const err = configError({ certFile: 'c.pem' });
    expect(err.reason).to.equal('required with certFile');
    expect(err.describe((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)).to.equal(
      'required with --cert-file',
    );
  });
});
