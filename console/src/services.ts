/** Service registry: services, their instances with address and metadata, and lease health. */
import { html } from 'htm/preact';
import type { Client } from '../../client/index.js';
import { inspectServices, type ServiceInstanceView } from '../../recipes/index.js';
import { hexId, usePoll } from './util.js';

function health(i: ServiceInstanceView) {
  if (i.lease === undefined) return html`<span class="badge alarm">no lease</span>`;
  if (i.lease.ttlSec < 0) return html`<span class="badge alarm">lease gone</span>`;
  const low = i.lease.ttlSec * 3 < i.lease.grantedTtlSec; // renewals come every TTL/3
  return html`<span class=${low ? 'badge alarm' : 'badge ok'}
    >${`${i.lease.ttlSec}s / ${i.lease.grantedTtlSec}s`}</span
  >`;
}

export function ServicesView({ client }: { client: Client }) {
  const { data, error } = usePoll((signal) => inspectServices(client, client.lease, { signal }), []);
  return html`
    <h2>Services</h2>
    ${error !== undefined && html`<p class="error">Last read failed: ${error}</p>`}
    ${
      data === undefined
        ? html`<p class="muted">Reading…</p>`
        : data.services.length === 0
          ? html`<p class="muted" data-testid="no-services">
              No service is registered (revision ${data.revision}).
            </p>`
          : data.services.map(
              (s) => html`
                <h3 class="mono">
                  ${s.name} <span class="muted">${`(${s.instances.length} instances)`}</span>
                </h3>
                <table data-service=${s.name}>
                  <thead>
                    <tr>
                      <th>Instance</th>
                      <th>Address</th>
                      <th>Metadata</th>
                      <th>Lease</th>
                      <th>Lease TTL left</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${s.instances.map(
                      (i) => html`
                        <tr data-instance=${i.instance?.id ?? i.key}>
                          <td class="mono">
                            ${i.instance?.id ?? html`<span class="error">${i.key} (not a registry entry)</span>`}
                          </td>
                          <td class="mono" data-testid="instance-address">${i.instance?.address ?? ''}</td>
                          <td class="mono" data-testid="instance-meta">
                            ${Object.entries(i.instance?.meta ?? {}).map(([k, v]) => html`<div>${`${k}=${v}`}</div>`)}
                          </td>
                          <td class="mono">${i.leaseId === 0 ? '—' : hexId(i.leaseId)}</td>
                          <td data-testid="instance-health">${health(i)}</td>
                        </tr>
                      `,
                    )}
                  </tbody>
                </table>
              `,
            )
    }
    <p class="note">
      Read from <code>${'concord/services/<service>/<id>'}</code>; each instance lives on its own lease,
      renewed every third of its TTL: a TTL left below a third of the granted one means renewals are late.
    </p>
  `;
}
