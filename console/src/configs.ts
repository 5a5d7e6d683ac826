/**
 * Config documents: the JSON documents under a prefix (the config recipe follows any key), each
 * with its version, validity and a history of earlier versions on demand.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Client } from '../../client/index.js';
import { inspectConfigs, keyHistory, type ConfigDocument } from '../../recipes/index.js';
import { asTextOrUndefined, usePoll } from './util.js';

const DEFAULT_PREFIX = 'config/';

function shown(d: ConfigDocument): string {
  return d.valid ? JSON.stringify(d.value, null, 2) : d.raw;
}

export function ConfigsView({ client }: { client: Client }) {
  const [prefix, setPrefix] = useState(DEFAULT_PREFIX);
  const [draft, setDraft] = useState(DEFAULT_PREFIX);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const { data, error } = usePoll((signal) => inspectConfigs(client, prefix, { signal }), [prefix]);
  return html`
    <h2>Config documents</h2>
    <form
      class="toolbar"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        setPrefix(draft);
      }}
    >
      <label
        >Prefix
        <input
          type="text"
          data-testid="config-prefix"
          value=${draft}
          onInput=${(e: Event) => setDraft((e.target as HTMLInputElement).value)}
      /></label>
      <button type="submit">Read</button>
    </form>
    ${error !== undefined && html`<p class="error">Last read failed: ${error}</p>`}
    ${
      data === undefined
        ? html`<p class="muted">Reading…</p>`
        : data.documents.length === 0
          ? html`<p class="muted" data-testid="no-configs">
              No key under “${prefix}” (revision ${data.revision}).
            </p>`
          : html`
              <table data-testid="configs">
                <thead>
                  <tr>
                    <th>Key</th>
                    <th>Version</th>
                    <th>Mod revision</th>
                    <th>Document</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.documents.map(
                    (d) => html`
                      <tr data-config=${d.key}>
                        <td class="mono">
                          <button
                            data-testid="config-history"
                            onClick=${() => setOpen(open === d.key ? undefined : d.key)}
                          >
                            ${d.key}
                          </button>
                        </td>
                        <td data-testid="config-version">${d.version}</td>
                        <td>${d.modRevision}</td>
                        <td>
                          ${!d.valid && html`<span class="badge alarm" data-testid="config-invalid">invalid: ${d.error}</span>`}
                          <pre data-testid="config-value">${shown(d)}</pre>
                        </td>
                      </tr>
                      ${
                        open === d.key &&
                        html`<tr>
                          <td colspan="4"><${ConfigHistory} client=${client} name=${d.key} /></td>
                        </tr>`
                      }
                    `,
                  )}
                </tbody>
              </table>
              ${data.more && html`<p class="note">Only the first documents are shown: narrow the prefix.</p>`}
            `
    }
    <p class="note">
      The config recipe follows any key holding JSON; subscribers get the invalid ones as
      <code>{ type: 'invalid' }</code>, never as a value. Click a key for its earlier versions.
    </p>
  `;
}

function ConfigHistory({ client, name }: { client: Client; name: string }) {
  const { data, error } = usePoll((signal) => keyHistory(client, name, { signal, limit: 20 }), [name]);
  if (error !== undefined) return html`<p class="error">${error}</p>`;
  if (data === undefined) return html`<p class="muted">Reading…</p>`;
  return html`<table data-testid="config-versions">
    <tbody>
      ${data.versions.map(
        (v) =>
          html`<tr data-version=${v.version}>
            <th>${`v${v.version} @ ${v.modRevision}`}</th>
            <td><pre>${asTextOrUndefined(v.value) ?? '(binary)'}</pre></td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
