/** The SDK over wss:// to a member with client-certificate authentication (startMember, in-process). */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../../client/index.js';
import type { MemberHandle } from '../../../server/index.js';
import { startTlsMember } from '../../helpers/tls-member.js';
import { createTestPki, type TestPki } from '../../helpers/tls.js';

describe('Client over TLS', function () {
  this.timeout(60_000);
  let pki: TestPki;
  let root: string;
  let member: MemberHandle;

  before(async () => {
    pki = await createTestPki();
    root = mkdtempSync(join(tmpdir(), 'concord-client-tls-'));
    member = await startTlsMember(pki, root, { unsafeNoFsync: true });
  });

  after(async () => {
    await member?.stop();
    rmSync(root, { recursive: true, force: true });
    await pki?.remove();
  });

  it('connects with a trusted CA and a client certificate, then reads and writes', async () => {
    await using client = new Client({
      endpoints: [...member.clientUrls],
      tls: {
        ca: readFileSync(pki.caFile, 'utf8'),
        cert: readFileSync(pki.peer.certFile, 'utf8'),
        key: readFileSync(pki.peer.keyFile, 'utf8'),
      },
    });
    await client.put('secure', 'yes');
    expect(await client.getText('secure')).to.equal('yes');
    expect(client.endpoint?.startsWith('wss://')).to.equal(true);
  });

  it('does not connect to a member whose certificate it does not trust', async () => {
    await using client = new Client({
      endpoints: [...member.clientUrls],
      tls: {
        ca: readFileSync(pki.otherCaFile, 'utf8'),
        cert: readFileSync(pki.peer.certFile, 'utf8'),
        key: readFileSync(pki.peer.keyFile, 'utf8'),
      },
    });
    const failures: string[] = [];
    client.on('status', (s) => {
      if (s.type === 'connectFailed') failures.push(s.error.message);
    });
    let error: unknown;
    try {
      await client.ready({ signal: AbortSignal.timeout(1500) });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(Error);
    expect(failures.length).to.be.greaterThan(0);
    expect(client.state).to.not.equal('connected');
  });
});
