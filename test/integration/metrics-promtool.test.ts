/**
 * A live member's /metrics passes Prometheus' own linter: `promtool check metrics` (Debian's
 * `prometheus` package) reads the exposition after some traffic and must print nothing. It checks
 * what a scraper and a dashboard rely on: counters are counters named `_total`, units are base
 * units in the name (`_seconds`, `_bytes`), HELP and TYPE lines are right.
 *
 * Without promtool the test cannot run: under CI (CI=true) that is a failure, since .ci/run
 * installs it; elsewhere the test is skipped with a loud message saying how to install it.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { startTestMember, type TestMember } from '../helpers/test-member.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function promtoolAvailable(): boolean {
  const r = spawnSync('promtool', ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** Runs `promtool check metrics` on `text`; resolves with its exit code and everything it printed. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

describe('/metrics of a live member', function () {
  this.timeout(60_000);
  let started: TestMember | undefined;
  let url: string;

  before(async function () {
    if (!promtoolAvailable()) {
      const message =
        'promtool is not installed: `apt-get install --no-install-recommends prometheus` provides it';
      if (process.env['CI'] === 'true') throw new Error(`${message} (.ci/run installs it; CI=true)`);
      console.warn(`\n  !!! SKIPPED: ${message}\n`);
      this.skip();
    }
    // fsync on: the WAL fsync histogram below must have observations.
    started = await startTestMember('metrics', { fsync: true, flags: { snapshotCount: 20 } });
    url = started.url;
  });

  after(async () => started?.stop());

  async function post(path: string, body: unknown): Promise<unknown> {
    const res = await fetch(url + path, { method: 'POST', body: JSON.stringify(body) });
    return res.json();
  }

  it('passes `promtool check metrics` after traffic', async () => {
    // The member leads (startTestMember waited for /health). Writes (past the snapshot count, so
    // a snapshot is taken), reads, a refused request, a lease.
    for (let i = 0; i < 30; i++) await post('/v3/kv/put', { key: b64(`k${i}`), value: b64('v') });
    await post('/v3/kv/range', { key: b64('k'), range_end: b64('l') });
    await post('/v3/kv/range', { key: b64('k1'), serializable: true });
    await post('/v3/lease/revoke', { ID: '12345' });
    await post('/v3/lease/grant', { TTL: 5 });

    const res = await fetch(url + '/metrics');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    // The traffic shows in the exposition (so the check below looks at populated families).
    expect(text).to.match(/^concord_client_requests_total\{[^}]*method="kv\.put"[^}]*\} 30$/m);
    expect(text).to.match(/^concord_disk_wal_fsync_duration_seconds_count [1-9]/m);

    const { code, output } = await promtoolCheck(text);
    expect(output, `promtool check metrics:\n${output}`).to.equal('');
    expect(code).to.equal(0);
  });
});
