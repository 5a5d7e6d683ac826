/**
 * Embedding a member (DESIGN.md §9, etcd's `embed` as the model): `startMember(config)` takes the
 * typed `MemberConfig` as it is, with no argv, environment or config file on the way, and refuses
 * a bad field by its name before it creates or binds anything.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../client/index.js';
import {
  InvalidConfigError,
  startMember,
  type MemberConfig,
  type MemberConfigField,
} from '../../server/index.js';
import { freePort } from '../helpers/ports.js';

describe('embedding a member with a typed config', function () {
  this.timeout(60_000);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'concord-embed-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('starts from a config object in-process and runs on exactly its values', async () => {
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const config: MemberConfig = {
      name: 'embedded',
      dataDir: join(root, 'embedded'),
      listenClientUrls: ['http://127.0.0.1:0'],
      listenPeerUrls: [peerUrl],
      // The list form of the initial cluster: nothing a command line could carry.
      initialCluster: [{ name: 'embedded', peerUrls: [peerUrl] }],
      initialClusterToken: 'embedding-test',
      heartbeatInterval: 20,
      electionTimeout: 200,
      snapshotCount: 1234,
      autoCompactionRetention: '30m',
      unsafeNoFsync: true,
      logLevel: 'error',
    };
    const member = await startMember(config, { logWrite: () => {} });
    try {
      const core = member.internals.core.config;
      expect(core.name).to.equal('embedded');
      expect(core.heartbeatIntervalMs).to.equal(20);
      expect(core.electionTimeoutMs).to.equal(200);
      expect(core.snapshotCount).to.equal(1234);
      expect(core.autoCompaction).to.deep.equal({ mode: 'periodic', retention: 30 * 60_000 });
      expect(core.initialCluster.map((m) => m.name)).to.deep.equal(['embedded']);
      expect(member.memberId).to.equal(core.initialCluster[0]!.id);

      const client = new Client({ endpoints: [...member.clientUrls], requestTimeoutMs: 8000 });
      try {
        await client.put('embedded/key', 'value');
        expect(await client.getText('embedded/key')).to.equal('value');
      } finally {
        await client.close();
      }
    } finally {
      await member.stop();
    }
  });

  /** Configs an embedding program might get wrong (some only from JavaScript), and the field named. */
  const bad: [string, Record<string, unknown>, MemberConfigField | string][] = [
    ['a number given as text', { heartbeatInterval: '20' }, 'heartbeatInterval'],
    ['one URL instead of a list', { listenClientUrls: 'http://127.0.0.1:0' }, 'listenClientUrls'],
    ['a misspelt field', { heartbeatIntervalMs: 20 }, 'heartbeatIntervalMs'],
    ['a CLI-only setting', { configFile: '/etc/concord.json' }, 'configFile'],
    ['a flag that is not true or false', { unsafeNoFsync: 'yes' }, 'unsafeNoFsync'],
    [
      'an election timeout under 5 heartbeats',
      { heartbeatInterval: 50, electionTimeout: 100 },
      'electionTimeout',
    ],
    ['a certificate without its key', { certFile: 'c.pem' }, 'keyFile'],
    [
      'an initial cluster without this member',
      { initialCluster: [{ name: 'other', peerUrls: ['http://127.0.0.1:9'] }] },
      'initialCluster',
    ],
    ['a percentage over 100', { heapAlarmPercent: 120 }, 'heapAlarmPercent'],
  ];
  for (const [what, fields, field] of bad) {
    it(`refuses ${what}, naming ${field}, and creates nothing`, async () => {
      const dataDir = join(root, 'never');
      const config = {
        name: 'bad',
        dataDir,
        listenClientUrls: ['http://127.0.0.1:0'],
        listenPeerUrls: ['http://127.0.0.1:0'],
        ...fields,
      } as MemberConfig;
      const err = await startMember(config, { logWrite: () => {} }).then(
        async (m) => {
          await m.stop();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(InvalidConfigError);
      expect((err as InvalidConfigError).field).to.equal(field);
      expect((err as Error).message).to.match(new RegExp(`^${field}: `));
      expect(existsSync(dataDir), 'the data directory').to.equal(false);
    });
  }

  it('names related fields in its own terms, not as command-line flags', async () => {
    const err = await startMember(
      { dataDir: join(root, 'never'), heartbeatInterval: 50, electionTimeout: 100 },
      { logWrite: () => {} },
    ).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InvalidConfigError);
    expect((err as Error).message).to.equal(
      'electionTimeout: must be at least 5 × heartbeatInterval (250 ms)',
    );
  });
});
