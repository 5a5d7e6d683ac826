/**
 * etcd's maintenance surface on real members, over the JSON gateway and the WebSocket protocol:
 * versions (Concord's own apart from the etcd API level real etcd clients parse), and alarms
 * (ACTIVATE / GET / DEACTIVATE through Raft, listed in status errors and /health, refusing writes
 * while raised; the space quota raising NOSPACE under the refusing member's id).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WAL_FORMAT_VERSION } from '../../server/storage/index.js';
import { b64, gatewayCode, post, TestClient, type Json } from '../api/helpers.js';
import { eventually } from '../helpers/eventually.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';
import { InProcessCluster } from './recipes/in-process-cluster.js';

const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const packageVersion = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;

/** How Patroni reads etcd's versions: dotted integers (a non-number would throw). */
const asInts = (v: unknown): number[] =>
  String(v)
    .split('.')
    .map((x) => {
      if (!/^\d+$/.test(x)) throw new Error(`${String(v)} is not a dotted version`);
      return Number(x);
    });

const QUOTA_BYTES = 1024 * 1024;
const BIG_VALUE = b64('x'.repeat(400 * 1024));

describe('maintenance on a member (versions, alarms)', function () {
  this.timeout(60_000);
  let started: TestMember | undefined;
  let url: string;
  let memberId: string;

  before(async () => {
    // Ready when this resolves: /health answers 200, the member leads.
    started = await startTestMember('maint', { fsync: true, flags: { quotaBackendBytes: QUOTA_BYTES } });
    url = started.url;
    memberId = String(started.member.memberId);
  });

  after(async () => started?.stop());

  const alarms = async (body: Json = { action: 'GET' }): Promise<Json[]> => {
    const r = await post(url, '/v3/maintenance/alarm', body);
    expect(r.status, r.text).to.equal(200);
    return (r.json['alarms'] as Json[] | undefined) ?? [];
  };
  const statusErrors = async (): Promise<string[]> =>
    ((await post(url, '/v3/maintenance/status', {})).json['errors'] as string[] | undefined) ?? [];
  const putStatus = async (key: string, value = b64('v')): Promise<{ status: number; json: Json }> =>
    post(url, '/v3/kv/put', { key: b64(key), value });

  describe('versions', () => {
    it("reports Concord's version apart from the etcd API level that etcd clients parse", async () => {
      const version = (await (await fetch(url + '/version')).json()) as Json;
      expect(version['concord']).to.equal(packageVersion);
      // Patroni: both fields are dotted integers, and the cluster version picks the /v3 prefix.
      expect(asInts(version['etcdserver']).slice(0, 2)).to.deep.equal([3, 4]);
      expect(asInts(version['etcdcluster'])).to.deep.equal([3, 4, 0]);

      const status = (await post(url, '/v3/maintenance/status', {})).json;
      // etcd's Go client splits status.version on dots (and refuses clusters older than 3.3).
      expect(status['version']).to.equal(version['etcdserver']);
      expect(status['concordVersion']).to.equal(packageVersion);
      // The data directory's format version, the one a restore must match.
      expect(status['storageVersion']).to.equal(String(WAL_FORMAT_VERSION));

      const ws = await TestClient.open(url);
      try {
        expect(ws.welcome?.['server_version']).to.equal(packageVersion);
        const wsStatus = await ws.ok('maintenance.status', {});
        expect(wsStatus['version']).to.equal(version['etcdserver']);
        expect(wsStatus['concordVersion']).to.equal(packageVersion);
      } finally {
        ws.close();
      }
    });
  });

  describe('alarms', () => {
    afterEach(async () => {
      await alarms({ action: 'DEACTIVATE' });
    });

    it('activates, lists, reports and deactivates alarms (gateway and WebSocket alike)', async () => {
      expect(await alarms()).to.deep.equal([]);
      expect(await statusErrors()).to.deep.equal([]);

      const raised = await alarms({ action: 'ACTIVATE', memberID: memberId, alarm: 'NOSPACE' });
      expect(raised).to.deep.equal([{ memberID: memberId, alarm: 'NOSPACE' }]);
      expect(await alarms()).to.deep.equal([{ memberID: memberId, alarm: 'NOSPACE' }]);
      // etcd's text for an alarm in status errors (an AlarmMember printed as protobuf text).
      expect(await statusErrors()).to.deep.equal([`memberID:${memberId} alarm:NOSPACE `]);
      const health = await fetch(url + '/health');
      expect(health.status).to.equal(503);
      expect(await health.json()).to.deep.equal({ health: 'false', reason: 'ALARM NOSPACE' });

      // NOSPACE refuses writes that add data as etcd does; reads and deletes still work.
      const refused = await putStatus('k');
      expect(refused.status).to.equal(429);
      expect(refused.json['error']).to.equal('etcdserver: mvcc: database space exceeded');
      expect(gatewayCode(refused.json)).to.equal('NO_SPACE');
      expect((await post(url, '/v3/kv/range', { key: b64('k') })).status).to.equal(200);
      expect((await post(url, '/v3/kv/deleterange', { key: b64('k') })).status).to.equal(200);

      // The WebSocket protocol: the same alarms, CORRUPT for another member id, GET by type.
      const ws = await TestClient.open(url);
      try {
        const corrupt = await ws.ok('maintenance.alarm', {
          action: 'ACTIVATE',
          memberID: '42',
          alarm: 'CORRUPT',
        });
        expect(corrupt['alarms']).to.deep.equal([{ memberID: '42', alarm: 'CORRUPT' }]);
        const all = await ws.ok('maintenance.alarm', { action: 'GET' });
        expect(all['alarms']).to.deep.equal([
          { memberID: memberId, alarm: 'NOSPACE' },
          { memberID: '42', alarm: 'CORRUPT' },
        ]);
        const onlyCorrupt = await ws.ok('maintenance.alarm', { action: 'GET', alarm: 'CORRUPT' });
        expect(onlyCorrupt['alarms']).to.deep.equal([{ memberID: '42', alarm: 'CORRUPT' }]);
        const put = await ws.call('kv.put', { key: b64('k'), value: b64('v') });
        expect((put['error'] as Json)['code']).to.equal('CORRUPT');
        const wsStatus = await ws.ok('maintenance.status', {});
        expect(wsStatus['errors']).to.deep.equal([
          `memberID:${memberId} alarm:NOSPACE `,
          'memberID:42 alarm:CORRUPT ',
        ]);
      } finally {
        ws.close();
      }

      // DEACTIVATE answers exactly the alarms it cleared.
      expect(await alarms({ action: 'DEACTIVATE', memberID: '42', alarm: 'NOSPACE' })).to.deep.equal([]);
      expect(await alarms({ action: 'DEACTIVATE', memberID: '42', alarm: 'CORRUPT' })).to.deep.equal([
        { memberID: '42', alarm: 'CORRUPT' },
      ]);
      expect(gatewayCode((await putStatus('k')).json)).to.equal('NO_SPACE');
      expect(await alarms({ action: 'DEACTIVATE', memberID: memberId, alarm: 'NOSPACE' })).to.deep.equal([
        { memberID: memberId, alarm: 'NOSPACE' },
      ]);
      expect(await alarms()).to.deep.equal([]);
      expect(await statusErrors()).to.deep.equal([]);
      expect((await putStatus('k')).status).to.equal(200);
      expect((await fetch(url + '/health')).status).to.equal(200);
    });

    it('raises NOSPACE under this member id when the quota refuses a write, until disarmed', async () => {
      let refused: { status: number; json: Json } | undefined;
      for (let i = 0; i < 5 && refused === undefined; i++) {
        const r = await putStatus(`big/${i}`, BIG_VALUE);
        if (r.status !== 200) refused = r;
      }
      expect(refused, 'a write past the quota').to.not.equal(undefined);
      expect(gatewayCode(refused!.json)).to.equal('NO_SPACE');
      // Raised before the refusal was answered, like etcd's quota check.
      expect(await alarms()).to.deep.equal([{ memberID: memberId, alarm: 'NOSPACE' }]);
      expect(await statusErrors()).to.deep.equal([`memberID:${memberId} alarm:NOSPACE `]);
      // Small writes are refused too while it is raised.
      expect(gatewayCode((await putStatus('small')).json)).to.equal('NO_SPACE');

      // The operator's way out: delete, compact, disarm (etcdctl alarm disarm).
      const del = await post(url, '/v3/kv/deleterange', { key: b64('big/'), range_end: b64('big0') });
      expect(del.status, del.text).to.equal(200);
      const revision = (del.json['header'] as Json)['revision'];
      expect((await post(url, '/v3/kv/compaction', { revision })).status).to.equal(200);
      expect(await alarms({ action: 'DEACTIVATE', memberID: memberId, alarm: 'NOSPACE' })).to.deep.equal([
        { memberID: memberId, alarm: 'NOSPACE' },
      ]);
      expect((await putStatus('small')).status).to.equal(200);
    });
  });
});

describe('alarms on a 3-member cluster', function () {
  this.timeout(60_000);
  let cluster: InProcessCluster;

  before(async () => {
    cluster = await InProcessCluster.start(3);
  });
  after(async () => cluster?.stop());

  it('are replicated: raised on one member, listed and cleared on the others', async () => {
    const [a, b, c] = cluster.endpoints as [string, string, string];
    const id = String(((await post(a, '/v3/maintenance/status', {})).json['header'] as Json)['member_id']);
    const raised = await post(a, '/v3/maintenance/alarm', {
      action: 'ACTIVATE',
      memberID: id,
      alarm: 'NOSPACE',
    });
    expect(raised.json['alarms']).to.deep.equal([{ memberID: id, alarm: 'NOSPACE' }]);
    // GET is linearizable (a ReadIndex first): every member lists it at once.
    for (const url of [b, c]) {
      const got = await post(url, '/v3/maintenance/alarm', { action: 'GET' });
      expect(got.json['alarms']).to.deep.equal([{ memberID: id, alarm: 'NOSPACE' }]);
    }
    await eventually('every member to report the alarm in its status', async () => {
      for (const url of [a, b, c]) {
        const errors = (await post(url, '/v3/maintenance/status', {})).json['errors'] as string[] | undefined;
        if (!(errors ?? []).includes(`memberID:${id} alarm:NOSPACE `)) return undefined;
      }
      return true;
    });
    expect(gatewayCode((await post(b, '/v3/kv/put', { key: b64('k'), value: b64('v') })).json)).to.equal(
      'NO_SPACE',
    );
    const cleared = await post(c, '/v3/maintenance/alarm', {
      action: 'DEACTIVATE',
      memberID: id,
      alarm: 'NOSPACE',
    });
    expect(cleared.json['alarms']).to.deep.equal([{ memberID: id, alarm: 'NOSPACE' }]);
    expect((await post(a, '/v3/maintenance/alarm', { action: 'GET' })).json['alarms']).to.equal(undefined);
    expect((await post(a, '/v3/kv/put', { key: b64('k'), value: b64('v') })).status).to.equal(200);
  });
});
