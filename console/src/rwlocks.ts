/** Read/write locks: the readers (or the one writer) holding each, and the line behind them. */
import { html } from 'htm/preact';
import type { Client } from '../../client/index.js';
import { inspectRwLocks, type RwLockEntry } from '../../recipes/index.js';
import { hexId, lineOrNone, seconds, useFirstSeen, usePoll, useTicker } from './util.js';

function entry(e: RwLockEntry) {
  return html`<li data-mode=${e.mode}>
    <b>${e.mode}</b> <span class="mono">${e.key.slice(e.key.lastIndexOf('/') + 1)}</span>
    <span class="muted">${` (rev ${e.token}, lease ${hexId(e.leaseId)})`}</span>
  </li>`;
}

export function RwLocksView({ client }: { client: Client }) {
  const { data, error } = usePoll((signal) => inspectRwLocks(client, { signal }), []);
  const now = useTicker(1000);
  const firstSeen = useFirstSeen(data?.rwlocks.flatMap((l) => l.holders.map((h) => h.key)) ?? []);
  return html`
    <h2>Read/write locks</h2>
    ${error !== undefined && html`<p class="error">Last read failed: ${error}</p>`}
    ${
      data === undefined
        ? html`<p class="muted">Reading…</p>`
        : data.rwlocks.length === 0
          ? html`<p class="muted" data-testid="no-rwlocks">
              No read/write lock is held (revision ${data.revision}).
            </p>`
          : html`
              <table data-testid="rwlocks">
                <thead>
                  <tr>
                    <th>Lock</th>
                    <th>Mode</th>
                    <th>Holders</th>
                    <th>Held for</th>
                    <th>Waiting, in order</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.rwlocks.map((l) => {
                    const oldest = l.holders[0];
                    return html`
                      <tr data-rwlock=${l.name}>
                        <td class="mono">${l.name}</td>
                        <td data-testid="rwlock-mode">
                          ${l.holders[0]?.mode === 'write' ? 'write (exclusive)' : `read (${l.holders.length} shared)`}
                        </td>
                        <td data-testid="rwlock-holders">
                          <ul>
                            ${l.holders.map(entry)}
                          </ul>
                        </td>
                        <td>
                          ≥
                          ${seconds(now - (oldest === undefined ? now : (firstSeen.get(oldest.key) ?? now)))}
                        </td>
                        <td data-testid="rwlock-waiters">${lineOrNone(l.waiters, entry)}</td>
                      </tr>
                    `;
                  })}
                </tbody>
              </table>
            `
    }
    <p class="note">
      Read from <code>${'concord/rwlocks/<name>/r|w/'}</code>: one line in create-revision order; a reader
      holds when no older writer waits or holds, a writer when it is first in line.
    </p>
  `;
}
