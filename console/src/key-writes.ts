/**
 * Put and delete from the key view, offered only when the member serving the page was started
 * with --console-writes (it marks the page's root element), each behind a confirmation that
 * repeats what will be written. Permissions are the member's to enforce: a user who may not write
 * gets the member's PERMISSION_DENIED, shown as it is.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Client } from '../../client/index.js';
import { describe } from './util.js';

/** True when the member allows the console's writes (console-assets.ts sets the attribute). */
export function writesAllowed(): boolean {
  return document.getElementById('app')?.dataset['writes'] === 'on';
}

type Pending =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string };

type Outcome = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly text: string };

async function perform(client: Client, p: Pending): Promise<Outcome> {
  try {
    if (p.kind === 'put') {
      const r = await client.put(p.key, p.value);
      return { ok: true, text: `Put ${p.key} at revision ${r.header.revision}.` };
    }
    const r = await client.delete(p.key);
    return { ok: true, text: `Deleted ${r.deleted} key (${p.key}) at revision ${r.header.revision}.` };
  } catch (err) {
    return { ok: false, text: describe(err) };
  }
}

function Confirm({
  client,
  pending,
  onDone,
}: {
  client: Client;
  pending: Pending;
  onDone: (o: Outcome | undefined) => void;
}) {
  const [busy, setBusy] = useState(false);
  const go = async (): Promise<void> => {
    setBusy(true);
    onDone(await perform(client, pending));
  };
  return html`
    <div class="confirm" data-testid="confirm" role="alertdialog">
      ${
        pending.kind === 'put'
          ? html`<p>
                Put <b class="mono">${pending.key}</b> with this value (${pending.value.length} characters)?
              </p>
              <pre>${pending.value}</pre>`
          : html`<p>Delete <b class="mono">${pending.key}</b>? Its history stays until compaction.</p>`
      }
      <button type="button" data-testid="confirm-yes" disabled=${busy} onClick=${() => void go()}>
        ${pending.kind === 'put' ? 'Confirm put' : 'Confirm delete'}
      </button>
      <button type="button" data-testid="confirm-no" disabled=${busy} onClick=${() => onDone(undefined)}>
        Cancel
      </button>
    </div>
  `;
}

function OutcomeLine({ outcome }: { outcome: Outcome | undefined }) {
  if (outcome === undefined) return null;
  return html`<p class=${outcome.ok ? 'ok' : 'error'} data-testid="write-outcome">${outcome.text}</p>`;
}

/** A write waiting for its confirmation, then its outcome: `view` renders both. */
function useWriteFlow(client: Client) {
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  return {
    pending: pending !== undefined,
    ask(p: Pending): void {
      setOutcome(undefined);
      setPending(p);
    },
    view: html`
      ${
        pending !== undefined &&
        html`<${Confirm}
          client=${client}
          pending=${pending}
          onDone=${(o: Outcome | undefined) => {
            setPending(undefined);
            setOutcome(o);
          }}
        />`
      }
      <${OutcomeLine} outcome=${outcome} />
    `,
  };
}

/** The put form under the key list. */
export function PutPanel({ client, initialKey }: { client: Client; initialKey: string }) {
  const [key, setKey] = useState(initialKey);
  const [value, setValue] = useState('');
  const flow = useWriteFlow(client);
  return html`
    <form
      class="put"
      data-testid="put-form"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        if (key !== '') flow.ask({ kind: 'put', key, value });
      }}
    >
      <h3>Put a key</h3>
      <label
        >Key
        <input
          type="text"
          data-testid="put-key"
          value=${key}
          onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)}
      /></label>
      <label
        >Value
        <textarea
          data-testid="put-value"
          rows="4"
          value=${value}
          onInput=${(e: Event) => setValue((e.target as HTMLTextAreaElement).value)}
        ></textarea>
      </label>
      <button type="submit" data-testid="put-submit" disabled=${key === '' || flow.pending}>Put…</button>
    </form>
    ${flow.view}
  `;
}

/** The delete button of a key's detail. */
export function DeleteButton({ client, name }: { client: Client; name: string }) {
  const flow = useWriteFlow(client);
  return html`
    <button
      type="button"
      data-testid="delete-key"
      disabled=${flow.pending}
      onClick=${() => {
        flow.ask({ kind: 'delete', key: name });
      }}
    >
      Delete…
    </button>
    ${flow.view}
  `;
}
