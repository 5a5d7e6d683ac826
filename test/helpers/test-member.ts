/**
 * One member in this process for a test (`startMember`, what `concord serve` runs): a fresh
 * temporary directory, ports the kernel picks, and ready to serve when the promise resolves (its
 * /health answers 200, so a leader is known). Short Raft timings (heartbeat 20 ms, election
 * 200 ms) so the lone member elects itself quickly; fsync off and log lines dropped unless the
 * test asks for them. `stop()` stops the member and removes the directory.
 *
 * With `tls`, the member serves clients over https/wss with client-certificate auth and talks to
 * peers over mutual TLS, all with the test PKI's certificates (the TLS flags of `concord serve`).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMember, type MemberHandle, type MemberOptions } from '../../server/index.js';
import { eventually } from './eventually.js';
import type { TestPki } from './tls.js';

export interface TestMemberOptions {
  /** More startMember options, laid over the defaults (quotaBackendBytes, snapshotCount, ...). */
  readonly flags?: MemberOptions;
  /** Sync the WAL to disk (default false: `--unsafe-no-fsync`, as nothing here survives a crash). */
  readonly fsync?: boolean;
  /** Serve clients and peers over TLS with this PKI's certificates (client certificates required). */
  readonly tls?: TestPki;
  /** Where the member's log lines go (default: dropped). */
  readonly logWrite?: (line: string) => void;
}

export interface TestMember {
  readonly member: MemberHandle;
  /** The first client URL (http://127.0.0.1:port, or https:// with `tls`). */
  readonly url: string;
  /** The temporary directory; the member's data directory is `<root>/<name>`. */
  readonly root: string;
  /** Stops the member and removes `root`. */
  stop(): Promise<void>;
}

export async function startTestMember(name: string, options: TestMemberOptions = {}): Promise<TestMember> {
  const root = await mkdtemp(join(tmpdir(), `concord-${name}-`));
  const scheme = options.tls === undefined ? 'http' : 'https';
  let member: MemberHandle | undefined;
  const stop = async (): Promise<void> => {
    await member?.stop();
    await rm(root, { recursive: true, force: true });
  };
  try {
    member = await startMember(
      {
        name,
        dataDir: join(root, name),
        listenClientUrls: [`${scheme}://127.0.0.1:0`],
        listenPeerUrls: [`${scheme}://127.0.0.1:0`],
        heartbeatInterval: 20,
        electionTimeout: 200,
        ...(options.fsync === true ? {} : { unsafeNoFsync: true }),
        ...(options.tls === undefined ? {} : tlsFlags(options.tls)),
        ...options.flags,
      },
      { logWrite: options.logWrite ?? (() => {}) },
    );
    const url = member.clientUrls[0] as string;
    await eventually('a healthy member', async () =>
      (await healthStatus(url, options.tls)) === 200 ? true : undefined,
    );
    return { member, url, root, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The TLS flags of a member serving clients and peers with the PKI's peer certificate, both verified. */
export function tlsFlags(pki: TestPki): MemberOptions {
  return {
    certFile: pki.peer.certFile,
    keyFile: pki.peer.keyFile,
    trustedCaFile: pki.caFile,
    clientCertAuth: true,
    peerCertFile: pki.peer.certFile,
    peerKeyFile: pki.peer.keyFile,
    peerTrustedCaFile: pki.caFile,
    peerClientCertAuth: true,
  };
}

/** GET /health; over https with the PKI's CA and client certificate. */
async function healthStatus(url: string, pki: TestPki | undefined): Promise<number> {
  if (pki === undefined) return (await fetch(`${url}/health`)).status;
  return new Promise((resolve, reject) => {
    const req = get(
      `${url}/health`,
      {
        ca: readFileSync(pki.caFile),
        cert: readFileSync(pki.peer.certFile),
        key: readFileSync(pki.peer.keyFile),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
  });
}
