/**
 * The two versions a member reports, kept apart on purpose:
 *
 * - **Concord's own version**: the `version` of the `concord` package.json, read once (the first
 *   time it is asked for, at start) and never written anywhere else in the code. `/version` puts it
 *   in `concord`, `maintenance.status` in `concordVersion`, the WebSocket welcome in
 *   `server_version`, and `concord --version` prints it.
 * - **The etcd API level**: the etcd release whose v3 API and JSON gateway Concord answers like.
 *   It goes where etcd clients look for etcd's version, because they parse it as one: `/version`'s
 *   `etcdserver` and `etcdcluster` (Patroni reads both as dotted integers and chooses its
 *   `/v3alpha`, `/v3beta` or `/v3` prefix by the cluster version) and status' `version` (etcd's Go
 *   client splits it on dots and refuses clusters older than 3.3; etcdctl prints it). A Concord
 *   version there (0.x) would make those clients take Concord for an ancient etcd.
 *
 * docs/protocol.md and docs/operations.md describe the choice.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpReply } from './http-server.js';

/** The etcd server release whose API Concord follows (etcd's `etcdserver` and status `version`). */
export const ETCD_API_VERSION = '3.4.0';
/** The etcd cluster version Concord answers as (etcd's `etcdcluster`: major.minor.0). */
export const ETCD_CLUSTER_VERSION = '3.4.0';

/** The body of `GET /version`: etcd's two fields and Concord's own. */
export interface VersionInfo {
  readonly etcdserver: string;
  readonly etcdcluster: string;
  readonly concord: string;
}

export function versionInfo(concordVersion: string = packageVersion()): VersionInfo {
  return { etcdserver: ETCD_API_VERSION, etcdcluster: ETCD_CLUSTER_VERSION, concord: concordVersion };
}

/** `GET /version`. */
export function versionReply(concordVersion: string): HttpReply {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(versionInfo(concordVersion)),
  };
}

let cachedVersion: string | undefined;

/** The `version` of the package.json of the `concord` package this file belongs to (read once). */
export function packageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'concord' && typeof pkg.version === 'string') return (cachedVersion = pkg.version);
    } catch {
      // not here; look one level up
    }
    dir = dirname(dir);
  }
  return (cachedVersion = '0.0.0');
}
