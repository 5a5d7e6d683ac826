/**
 * Re-reads a CRL file when it changes, so that revoking a certificate needs no restart (etcd
 * reads its CRL file at every accepted connection; here the file is polled by `fs.watchFile`,
 * which survives the file being replaced by a rename, and the new CRLs go to the listeners for
 * their next handshakes). A file that cannot be read or holds no valid CRL is logged and the
 * CRLs in force stay: a botched edit does not open the door to revoked certificates.
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Logger } from '../platform/logger.js';
import type { MemberConfigField } from './config.js';
import { readCrlFile } from './tls-options.js';

/** How often the file's mtime, size and inode are checked. */
export const CRL_POLL_INTERVAL_MS = 1_000;

export interface CrlWatch {
  close(): void;
}

/**
 * Watches `path`, whose CRLs were `inForce` when the listeners started. The file is read once
 * more right away: a change between the start's read and the first poll is not missed.
 */
export function watchCrlFile(
  field: MemberConfigField,
  path: string,
  inForce: readonly Buffer[],
  logger: Logger,
  apply: (crl: Buffer[]) => void,
  intervalMs = CRL_POLL_INTERVAL_MS,
): CrlWatch {
  let current = inForce;
  let pending: Promise<void> = Promise.resolve();
  let closed = false;
  const reload = (): void => {
    pending = pending.then(async () => {
      try {
        const crl = await readCrlFile(field, path);
        if (closed || sameCrls(crl, current)) return;
        current = crl;
        apply(crl);
        logger.info('CRL file reloaded', { file: path, crls: crl.length });
      } catch (err) {
        logger.warn('CRL file not reloaded; the previous CRLs stay in force', {
          file: path,
          err: err instanceof Error ? err.message : String(err),
        });
      }
    });
  };
  const onChange = (curr: Stats, prev: Stats): void => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino) reload();
  };
  // persistent: false: the poll never keeps the process alive on its own.
  watchFile(path, { persistent: false, interval: intervalMs }, onChange);
  reload();
  return {
    close: () => {
      closed = true;
      unwatchFile(path, onChange);
    },
  };
}

function sameCrls(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(b[i]!));
}
