/**
 * Three members over mutual TLS where the third one's peer certificate is revoked (etcd's
 * --peer-crl-file) or carries another CN (--peer-cert-allowed-cn): the other two keep a quorum
 * and serve writes, refuse the third in both directions (its dials fail the handshake, theirs
 * to it fail too), and the third learns nothing from them (no leader, nothing applied).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMember, type MemberConfig, type MemberHandle } from '../../server/index.js';
import { eventually } from '../helpers/eventually.js';
import { freePorts } from '../helpers/ports.js';
import { tlsFlags } from '../helpers/test-member.js';
import {
  createLeafCertificate,
  createTestPki,
  httpsRequest,
  writeCrl,
  type TestPki,
} from '../helpers/tls.js';

type Cert = { readonly certFile: string; readonly keyFile: string };

async function put(url: string, pki: TestPki, key: string, value: string): Promise<number> {
  const body = { key: Buffer.from(key).toString('base64'), value: Buffer.from(value).toString('base64') };
  const r = await httpsRequest(`${url}/v3/kv/put`, pki, { body });
  return typeof r === 'string' ? 0 : r.status;
}

/** The value of an unlabelled counter on a member's /metrics (0 when absent). */
async function metric(url: string, pki: TestPki, name: string): Promise<number> {
  const r = await httpsRequest(`${url}/metrics`, pki);
  if (typeof r === 'string') throw new Error(r);
  const line = r.text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

interface Node {
  readonly handle: MemberHandle;
  readonly log: string[];
}

describe('a TLS cluster with a refused member', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let root: string;
  let nodes: Node[] = [];

  before(async () => {
    pki = await createTestPki();
  });
  after(async () => {
    await pki.remove();
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'concord-peer-tls-'));
  });
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.handle.stop()));
    nodes = [];
    rmSync(root, { recursive: true, force: true });
  });

  /** m1 and m2 with the PKI's peer certificate, m3 with `thirdCert`; every member with `flags`. */
  async function startCluster(thirdCert: Cert, flags: MemberConfig): Promise<void> {
    const ports = await freePorts(3);
    const peerUrl = (i: number): string => `https://127.0.0.1:${ports[i]}`;
    const initialCluster = [0, 1, 2].map((i) => ({ name: `m${i + 1}`, peerUrls: [peerUrl(i)] }));
    nodes = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const log: string[] = [];
        const cert = i === 2 ? thirdCert : pki.peer;
        const handle = await startMember(
          {
            name: `m${i + 1}`,
            dataDir: join(root, `m${i + 1}`),
            listenClientUrls: ['https://127.0.0.1:0'],
            listenPeerUrls: [peerUrl(i)],
            initialCluster,
            initialClusterToken: 'peer-tls',
            heartbeatInterval: 20,
            electionTimeout: 200,
            unsafeNoFsync: true,
            ...tlsFlags(pki),
            peerCertFile: cert.certFile,
            peerKeyFile: cert.keyFile,
            ...flags,
          },
          { logWrite: (line) => log.push(line) },
        );
        return { handle, log };
      }),
    );
  }

  async function expectThirdShutOut(inboundRefusal: (line: string) => boolean): Promise<void> {
    const [m1, m2, m3] = nodes as [Node, Node, Node];
    // The two good members keep a quorum: a write commits through either.
    await eventually('a write through m1', async () =>
      (await put(m1.handle.clientUrls[0]!, pki, 'k', 'v1')) === 200 ? true : undefined,
    );
    expect(await put(m2.handle.clientUrls[0]!, pki, 'k', 'v2')).to.equal(200);
    // Both refuse the third member's dials, and say why.
    await eventually('both refusals logged', () =>
      m1.log.some(inboundRefusal) && m2.log.some(inboundRefusal) ? true : undefined,
    );
    const refused = await metric(
      m1.handle.clientUrls[0]!,
      pki,
      'concord_network_peer_connections_refused_total',
    );
    expect(refused).to.be.at.least(1);
    const core3 = m3.handle.internals.core;
    const core1 = m1.handle.internals.core;
    // Nothing flows to the third member either: their dials to it fail, so it knows no leader,
    // has no peer stream, and applied none of the writes.
    expect(core1.transport.stats().peers.find((p) => p.id === m3.handle.memberId)?.connected).to.equal(false);
    expect(core3.transport.stats().peers.every((p) => !p.connected)).to.equal(true);
    expect(core3.replica.status().raft.lead).to.equal(0);
    expect(core3.replica.status().appliedIndex).to.be.below(core1.replica.status().appliedIndex);
  }

  it('shuts out a member whose peer certificate is revoked', async () => {
    const revoked = await createLeafCertificate(pki, 'revoked-member');
    const crlFile = await writeCrl(pki, [revoked.certFile], join(pki.dir, 'members.crl'));
    await startCluster(revoked, { peerCrlFile: crlFile });
    await expectThirdShutOut((l) => l.includes('peer TLS handshake failed') && l.includes('CERT_REVOKED'));
  });

  it('shuts out a member whose peer certificate has another CN', async () => {
    const intruder = await createLeafCertificate(pki, 'intruder-member');
    await startCluster(intruder, { peerCertAllowedCn: 'peer' });
    await expectThirdShutOut((l) => l.includes('peer certificate refused') && l.includes('intruder-member'));
  });

  it('lets all three in when none is refused (control)', async () => {
    const crlFile = await writeCrl(pki, [], join(pki.dir, 'empty.crl'));
    await startCluster(pki.peer, { peerCrlFile: crlFile, peerCertAllowedCn: 'peer' });
    const [m1, , m3] = nodes as [Node, Node, Node];
    await eventually('a write through m1', async () =>
      (await put(m1.handle.clientUrls[0]!, pki, 'k', 'v1')) === 200 ? true : undefined,
    );
    await eventually('m3 applies it', () =>
      m3.handle.internals.core.replica.status().appliedIndex >=
      m1.handle.internals.core.replica.status().appliedIndex
        ? true
        : undefined,
    );
    expect(m3.handle.internals.core.replica.status().raft.lead).to.not.equal(0);
  });
});
