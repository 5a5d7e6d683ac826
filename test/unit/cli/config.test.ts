import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidFlagError, loadConfig } from '../../../server/cli/config.js';

function configError(argv: string[], env: NodeJS.ProcessEnv = {}): InvalidFlagError {
  try {
    loadConfig(argv, env);
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidFlagError);
    return err as InvalidFlagError;
  }
  throw new Error('expected an InvalidFlagError');
}

describe('loadConfig', () => {
  context('with no flags', () => {
    it('describes a single member on 127.0.0.1:2379/2380 with data in ./default.concord', () => {
      const c = loadConfig([]);
      expect(c.name).to.equal('default');
      expect(c.dataDir).to.equal('default.concord');
      expect(c.listenClientUrls).to.deep.equal(['http://127.0.0.1:2379']);
      expect(c.listenPeerUrls).to.deep.equal(['http://127.0.0.1:2380']);
      expect(c.initialCluster).to.have.length(1);
      expect(c.initialCluster[0]!.id).to.equal(c.memberId);
      expect(c.electionTimeoutMs).to.equal(1000);
    });
  });

  it('forms the same member and cluster ids on every member from --initial-cluster', () => {
    const cluster = 'a=http://127.0.0.1:12380,b=http://127.0.0.1:22380,c=http://127.0.0.1:32380';
    const a = loadConfig([
      '--name',
      'a',
      '--initial-cluster',
      cluster,
      '--listen-peer-urls',
      'http://127.0.0.1:12380',
    ]);
    const b = loadConfig([
      '--name=b',
      `--initial-cluster=${cluster}`,
      '--listen-peer-urls=http://127.0.0.1:22380',
    ]);
    expect(a.clusterId).to.equal(b.clusterId);
    expect(a.initialCluster.map((m) => m.id)).to.deep.equal(b.initialCluster.map((m) => m.id));
    expect(a.memberId).to.not.equal(b.memberId);
  });

  it('gives flags precedence over environment, and environment over the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-config-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(
        file,
        JSON.stringify({ name: 'from-file', 'snapshot-count': 7, 'heartbeat-interval': 50 }),
      );
      const c = loadConfig(['--config-file', file, '--snapshot-count', '9'], { CONCORD_NAME: 'from-env' });
      expect(c.name).to.equal('from-env');
      expect(c.snapshotCount).to.equal(9);
      expect(c.heartbeatIntervalMs).to.equal(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const bad: [string[], string][] = [
    [['--no-such-flag', 'x'], 'no-such-flag'],
    [['--heartbeat-interval', 'fast'], 'heartbeat-interval'],
    [['--election-timeout', '200'], 'election-timeout'],
    [['--listen-client-urls', 'ftp://127.0.0.1:1'], 'listen-client-urls'],
    [['--listen-client-urls', 'http://127.0.0.1'], 'listen-client-urls'],
    [['--initial-cluster-state', 'maybe'], 'initial-cluster-state'],
    [['--initial-cluster', 'other=http://127.0.0.1:9999'], 'initial-cluster'],
    [['--cert-file', 'c.pem'], 'key-file'],
    [['--client-cert-auth'], 'client-cert-auth'],
    [['--auto-compaction-retention', 'forever'], 'auto-compaction-retention'],
    [['--name', 'bad name!'], 'name'],
    [['--snapshot-count'], 'snapshot-count'],
  ];
  for (const [argv, flag] of bad) {
    it(`fails fast naming --${flag} for ${argv.join(' ')}`, () => {
      expect(configError(argv).flag).to.equal(flag);
    });
  }

  it('parses auto-compaction retention as hours by default, or a duration', () => {
    expect(loadConfig(['--auto-compaction-retention', '1']).autoCompaction.retention).to.equal(3_600_000);
    expect(loadConfig(['--auto-compaction-retention', '30m']).autoCompaction.retention).to.equal(1_800_000);
    expect(
      loadConfig(['--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1000'])
        .autoCompaction,
    ).to.deep.equal({
      mode: 'revision',
      retention: 1000,
    });
  });
});

describe('loadConfig snapshot policy flags', () => {
  it('reads --max-snapshots (default 2, at least 1) and --snapshot-catchup-entries', () => {
    expect(loadConfig([]).maxSnapshots).to.equal(2);
    expect(loadConfig(['--max-snapshots', '5']).maxSnapshots).to.equal(5);
    expect(configError(['--max-snapshots', '0']).flag).to.equal('max-snapshots');
    expect(loadConfig(['--snapshot-catchup-entries', '123']).snapshotCatchUpEntries).to.equal(123);
  });
});
