/** Queues: depth, in-flight items with their claims and ages, read from the queue recipe's layout. */
import { html } from 'htm/preact';
import type { Client } from '../../client/index.js';
import { inspectQueues } from '../../recipes/index.js';
import { seconds, useFirstSeen, usePoll, useTicker } from './util.js';

export function QueuesView({ client }: { client: Client }) {
  const { data, error } = usePoll((signal) => inspectQueues(client, { signal }), []);
  const now = useTicker(1000);
  const claims =
    data?.queues.flatMap((q) => q.inFlight.map((c) => `${q.name}/${c.id}/${c.claimedRevision}`)) ?? [];
  const firstSeen = useFirstSeen(claims);
  return html`
    <h2>Queues</h2>
    ${error !== undefined && html`<p class="error">Last read failed: ${error}</p>`}
    ${
      data === undefined
        ? html`<p class="muted">Reading…</p>`
        : data.queues.length === 0
          ? html`<p class="muted" data-testid="no-queues">No queue has items (revision ${data.revision}).</p>`
          : html`
              <table data-testid="queues">
                <thead>
                  <tr>
                    <th>Queue</th>
                    <th>Depth (pending)</th>
                    <th>By priority</th>
                    <th>In flight</th>
                    <th>Acked ids remembered</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.queues.map(
                    (q) => html`
                      <tr data-queue=${q.name}>
                        <td class="mono">${q.name}</td>
                        <td data-testid="queue-depth">${q.depth}</td>
                        <td class="mono">
                          ${
                            Object.entries(q.byPriority)
                              .map(([p, n]) => `${p}: ${n}`)
                              .join(', ') || '—'
                          }
                        </td>
                        <td data-testid="queue-inflight">
                          ${
                            q.inFlight.length === 0
                              ? html`<span class="muted">0</span>`
                              : html`<ul>
                                  ${q.inFlight.map(
                                    (c) =>
                                      html`<li>
                                        <span class="mono">${c.id}</span>${' · '}
                                        ${
                                          c.consumer === undefined
                                            ? html`<span class="error"
                                                >orphaned (claim lost; requeued by the next dequeue)</span
                                              >`
                                            : html`claimed by <b>${c.consumer}</b>`
                                        }
                                        ${` · at revision ${c.claimedRevision}, seen for ≥ ${seconds(now - (firstSeen.get(`${q.name}/${c.id}/${c.claimedRevision}`) ?? now))}`}
                                      </li>`,
                                  )}
                                </ul>`
                          }
                        </td>
                        <td>${q.acked}</td>
                      </tr>
                    `,
                  )}
                </tbody>
              </table>
            `
    }
    <p class="note">
      Read from <code>${'concord/queues/<name>/'}</code> (p/ pending, i/ in flight, c/ claims, d/ acked).
    </p>
  `;
}
