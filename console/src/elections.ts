/** Elections: the leader, its proclaimed value and term, and the candidates in campaign order. */
import { html } from 'htm/preact';
import type { Client } from '../../client/index.js';
import { inspectElections } from '../../recipes/index.js';
import { hexId, lineOrNone, seconds, useFirstSeen, usePoll, useTicker } from './util.js';

export function ElectionsView({ client }: { client: Client }) {
  const { data, error } = usePoll((signal) => inspectElections(client, { signal }), []);
  const now = useTicker(1000);
  const firstSeen = useFirstSeen(data?.elections.map((e) => e.leader.key) ?? []);
  return html`
    <h2>Elections</h2>
    ${error !== undefined && html`<p class="error">Last read failed: ${error}</p>`}
    ${
      data === undefined
        ? html`<p class="muted">Reading…</p>`
        : data.elections.length === 0
          ? html`<p class="muted" data-testid="no-elections">
              No election has a candidate (revision ${data.revision}).
            </p>`
          : html`
              <table data-testid="elections">
                <thead>
                  <tr>
                    <th>Election</th>
                    <th>Leader's value</th>
                    <th>Term (create rev)</th>
                    <th>Lease</th>
                    <th>Leading for</th>
                    <th>Candidates, in order</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.elections.map(
                    (e) => html`
                      <tr data-election=${e.name}>
                        <td class="mono">${e.name}</td>
                        <td data-testid="election-leader">${e.leader.value}</td>
                        <td class="mono" data-testid="election-term">${e.leader.revision}</td>
                        <td class="mono">${hexId(e.leader.leaseId)}</td>
                        <td>≥ ${seconds(now - (firstSeen.get(e.leader.key) ?? now))}</td>
                        <td data-testid="election-candidates">
                          ${lineOrNone(
                            e.candidates,
                            (c) =>
                              html`<li>
                                ${c.value || c.key} <span class="muted">(rev ${c.revision})</span>
                              </li>`,
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
      Read from <code>${'concord/elections/<name>/'}</code>: the candidate with the lowest create revision
      leads; its key's value is what it proclaimed.
    </p>
  `;
}
