/**
 * `concord serve` only maps argv, CONCORD_* variables and the config file onto the member's
 * `MemberConfig`: one flag per field, the member's defaults in `--help`, and the member's errors
 * told by flag.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidFlagError, loadConfig, memberConfigFromArgs } from '../../../server/cli/config.js';
import { flagOfField, helpText, SERVE_FLAGS } from '../../../server/cli/flags.js';
import { MEMBER_CONFIG_FIELDS, MEMBER_DEFAULTS } from '../../../server/member/config.js';

describe('concord serve flags', () => {
  it('has exactly one flag per MemberConfig field, its name in kebab case', () => {
    const fields = SERVE_FLAGS.flatMap((f) => (f.field === undefined ? [] : [f.field]));
    expect(fields).to.have.members([...MEMBER_CONFIG_FIELDS]);
    expect(new Set(fields).size).to.equal(fields.length);
    for (const f of SERVE_FLAGS) {
      if (f.field === undefined) continue;
      expect(f.name, f.field).to.equal(f.field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
      expect(flagOfField(f.field)).to.equal(f.name);
    }
    expect(SERVE_FLAGS.filter((f) => f.field === undefined).map((f) => f.name)).to.deep.equal([
      'config-file',
    ]);
  });

  it("shows the member's defaults in --help", () => {
    const help = helpText();
    expect(help).to.include(
      `--heartbeat-interval\n      time between leader heartbeats, in ms (one Raft tick) (default ${MEMBER_DEFAULTS.heartbeatInterval})`,
    );
    expect(help).to.include(`(default ${MEMBER_DEFAULTS.listenClientUrls.join(',')})`);
    expect(help).to.include(`(default ${MEMBER_DEFAULTS.quotaBackendBytes})`);
  });

  it('maps argv onto typed fields and leaves the rest to the member', () => {
    expect(
      memberConfigFromArgs([
        '--name=m1',
        '--heartbeat-interval',
        '50',
        '--listen-client-urls=http://127.0.0.1:1, http://127.0.0.1:2',
        '--client-cert-auth',
        '--initial-cluster-id=77',
        '--auto-compaction-retention=30m',
        '--advertise-client-urls=',
      ]),
    ).to.deep.equal({
      name: 'm1',
      heartbeatInterval: 50,
      listenClientUrls: ['http://127.0.0.1:1', 'http://127.0.0.1:2'],
      clientCertAuth: true,
      initialClusterId: 77,
      autoCompactionRetention: '30m',
    });
  });

  it('reads --cors and --host-whitelist as comma-separated lists, an empty one as empty', () => {
    expect(
      memberConfigFromArgs(['--cors=http://a.example, https://b.example:8443', '--host-whitelist=localhost']),
    ).to.deep.equal({ cors: ['http://a.example', 'https://b.example:8443'], hostWhitelist: ['localhost'] });
    expect(memberConfigFromArgs(['--cors='])).to.deep.equal({ cors: [] });
    expect(memberConfigFromArgs([], { CONCORD_HOST_WHITELIST: 'a,b' })).to.deep.equal({
      hostWhitelist: ['a', 'b'],
    });
    expect(helpText()).to.include('--cors\n');
  });

  it('reads JSON values of the config file as they are, URL lists included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-flags-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(
        file,
        JSON.stringify({
          'listen-peer-urls': ['http://127.0.0.1:7'],
          'snapshot-count': 7,
          'unsafe-no-fsync': true,
        }),
      );
      expect(memberConfigFromArgs([`--config-file=${file}`], { CONCORD_SNAPSHOT_COUNT: '8' })).to.deep.equal({
        listenPeerUrls: ['http://127.0.0.1:7'],
        snapshotCount: 8,
        unsafeNoFsync: true,
      });
      writeFileSync(file, JSON.stringify({ name: ['a', 'b'] }));
      expect(() => memberConfigFromArgs([`--config-file=${file}`]))
        .to.throw(InvalidFlagError, /only allowed for URLs/)
        .with.property('flag', 'name');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tells the member's errors by flag, related flags included", () => {
    expect(() => loadConfig(['--heartbeat-interval=50', '--election-timeout=100']))
      .to.throw(InvalidFlagError, '--election-timeout: must be at least 5 × --heartbeat-interval (250 ms)')
      .with.property('field', 'electionTimeout');
    expect(() => loadConfig(['--cert-file=c.pem']))
      .to.throw(InvalidFlagError, '--key-file: required with --cert-file')
      .with.property('flag', 'key-file');
  });
});
