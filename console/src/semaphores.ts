/** Semaphores: limit, holders by identity, and whether acquirers must wait. */
import { html } from 'htm/preact';
import type { Client } from '../../client/index.js';
import { inspectSemaphores } from '../../recipes/index.js';
import { usePoll } from './util.js';

export function SemaphoresView({ client }: { client: Client }) {
  const { data, error } = usePoll((signal) => inspectSemaphores(client, { signal }), []);
  return html`
    <h2>Semaphores</h2>
    ${error !== undefined && html`<p class="error">Last read failed: ${error}</p>`}
    ${
      data === undefined
        ? html`<p class="muted">Reading…</p>`
        : data.semaphores.length === 0
          ? html`<p class="muted" data-testid="no-semaphores">
              No semaphore record (revision ${data.revision}).
            </p>`
          : html`
              <table data-testid="semaphores">
                <thead>
                  <tr>
                    <th>Semaphore</th>
                    <th>Limit</th>
                    <th>Holders</th>
                    <th>Waiting</th>
                    <th>Record revision</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.semaphores.map((s) =>
                    s.valid
                      ? html`
                          <tr data-semaphore=${s.name}>
                            <td class="mono">${s.name}</td>
                            <td data-testid="semaphore-limit">${s.limit}</td>
                            <td data-testid="semaphore-holders">
                              ${
                                s.holders.length === 0
                                  ? html`<span class="muted">none</span>`
                                  : html`<ul>
                                      ${s.holders.map((h) => html`<li>${h}</li>`)}
                                    </ul>`
                              }
                              <span class="muted">${`${s.holders.length} of ${s.limit}`}</span>
                            </td>
                            <td data-testid="semaphore-waiting">
                              ${s.holders.length >= s.limit ? html`<span class="badge alarm">full</span> acquirers wait` : html`<span class="muted">free slots</span>`}
                            </td>
                            <td>${s.modRevision}</td>
                          </tr>
                        `
                      : html`
                          <tr data-semaphore=${s.name}>
                            <td class="mono">${s.name}</td>
                            <td colspan="3" class="error">not a semaphore record: ${s.error}</td>
                            <td>${s.modRevision}</td>
                          </tr>
                        `,
                  )}
                </tbody>
              </table>
            `
    }
    <p class="note">
      Read from <code>${'concord/semaphores/<name>'}</code> (one JSON record). Waiters watch the record and
      write nothing, so who waits cannot be listed: a full semaphore means every acquirer is waiting.
    </p>
  `;
}
