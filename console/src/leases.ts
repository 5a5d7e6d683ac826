/** Leases: every lease with its TTL counting down and the keys attached to it. */
import { html } from 'htm/preact';
import type { Client } from '../../client/index.js';
import { inspectLeases } from '../../recipes/index.js';
import { hexId, usePoll, useTicker } from './util.js';

export function LeasesView({ client }: { client: Client }) {
  const { data, error, at } = usePoll((signal) => inspectLeases(client.lease, { signal }), []);
  const now = useTicker(250);
  // Between reads the TTL counts down locally from the last answer.
  const elapsed = Math.max(0, (now - at) / 1000);
  return html`
    <h2>Leases</h2>
    ${error !== undefined && html`<p class="error">Last read failed: ${error}</p>`}
    ${
      data === undefined
        ? html`<p class="muted">Reading…</p>`
        : data.leases.length === 0
          ? html`<p class="muted" data-testid="no-leases">No lease is alive.</p>`
          : html`
              <table data-testid="leases">
                <thead>
                  <tr>
                    <th>Lease</th>
                    <th>TTL left</th>
                    <th>Granted TTL</th>
                    <th>Attached keys</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.leases.map(
                    (l) => html`
                      <tr data-lease=${hexId(l.id)}>
                        <td class="mono">${hexId(l.id)}</td>
                        <td>${Math.max(0, Math.ceil(l.ttlSec - elapsed))}s</td>
                        <td>${l.grantedTtlSec}s</td>
                        <td class="mono">
                          ${l.keys.length === 0 ? html`<span class="muted">none</span>` : l.keys.map((k) => html`<div>${k}</div>`)}
                        </td>
                      </tr>
                    `,
                  )}
                </tbody>
              </table>
              ${data.more && html`<p class="note">Only the first leases are shown.</p>`}
            `
    }
  `;
}
