/** Locks: holder, owner string, fencing token and waiters, read from the lock recipe's layout. */
import { html } from 'htm/preact';
import type { Client } from '../../client/index.js';
import { inspectLocks } from '../../recipes/index.js';
import { hexId, lineOrNone, seconds, useFirstSeen, usePoll, useTicker } from './util.js';

export function LocksView({ client }: { client: Client }) {
  const { data, error } = usePoll((signal) => inspectLocks(client, { signal }), []);
  const now = useTicker(1000);
  const firstSeen = useFirstSeen(data?.locks.map((l) => l.holder.key) ?? []);
  return html`
    <h2>Locks</h2>
    ${error !== undefined && html`<p class="error">Last read failed: ${error}</p>`}
    ${
      data === undefined
        ? html`<p class="muted">Reading…</p>`
        : data.locks.length === 0
          ? html`<p class="muted" data-testid="no-locks">No lock is held (revision ${data.revision}).</p>`
          : html`
              <table data-testid="locks">
                <thead>
                  <tr>
                    <th>Lock</th>
                    <th>Holder (owner)</th>
                    <th>Fencing token</th>
                    <th>Lease</th>
                    <th>Held for</th>
                    <th>Waiters, in order</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.locks.map(
                    (l) => html`
                      <tr data-lock=${l.name}>
                        <td class="mono">${l.name}</td>
                        <td data-testid="lock-owner">
                          ${l.holder.owner || html`<span class="muted">(no owner string)</span>`}
                        </td>
                        <td class="mono" data-testid="lock-token">${l.holder.token}</td>
                        <td class="mono">${hexId(l.holder.leaseId)}</td>
                        <td>≥ ${seconds(now - (firstSeen.get(l.holder.key) ?? now))}</td>
                        <td data-testid="lock-waiters">
                          ${lineOrNone(
                            l.waiters,
                            (w) =>
                              html`<li>${w.owner || w.key} <span class="muted">(rev ${w.token})</span></li>`,
                          )}
                        </td>
                      </tr>
                    `,
                  )}
                </tbody>
              </table>
            `
    }
    <p class="note">
      Read from <code>${'concord/locks/<name>/'}</code>: the contender with the lowest create revision holds
      the lock, and that revision is its fencing token. "Held for" counts from when this page first saw the
      holder (revisions carry no wall time).
    </p>
  `;
}
