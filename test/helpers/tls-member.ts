/**
 * One in-process member that serves clients over https/wss with client-certificate auth and talks
 * to peers over mutual TLS, all with the test PKI's certificates (the TLS flags of `concord serve`).
 */
import { join } from 'node:path';
import { startMember, type MemberHandle, type MemberOptions } from '../../server/index.js';
import { freePort } from './ports.js';
import type { TestPki } from './tls.js';

export async function startTlsMember(
  pki: TestPki,
  root: string,
  extra: MemberOptions = {},
): Promise<MemberHandle> {
  const [client, peer] = [await freePort(), await freePort()];
  return startMember(
    {
      name: 'tls',
      dataDir: join(root, 'tls'),
      listenClientUrls: [`https://127.0.0.1:${client}`],
      listenPeerUrls: [`https://127.0.0.1:${peer}`],
      certFile: pki.peer.certFile,
      keyFile: pki.peer.keyFile,
      trustedCaFile: pki.caFile,
      clientCertAuth: true,
      peerCertFile: pki.peer.certFile,
      peerKeyFile: pki.peer.keyFile,
      peerTrustedCaFile: pki.caFile,
      peerClientCertAuth: true,
      ...extra,
    },
    { logWrite: () => {} },
  );
}
