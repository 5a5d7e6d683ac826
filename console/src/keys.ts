/**
 * Keys: browse by prefix (one level of the '/'-separated tree at a time), a key's value as text,
 * pretty JSON or hex, its history across revisions, and a live tail of events under the prefix.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { Client, KeyValue, WatchEvent } from '../../client/index.js';
import { keyHistory } from '../../recipes/index.js';
import { diffLines } from '../../recipes/inspect-diff.js';
import { DeleteButton, PutPanel, writesAllowed } from './key-writes.js';
import { asTextOrUndefined, describe, hexDump, hexId, prettyJson, usePoll } from './util.js';

const LIST_LIMIT = 1000;
const TAIL_LENGTH = 100;
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

type Format = 'text' | 'json' | 'hex';

interface Listing {
  readonly folders: readonly string[];
  readonly keys: readonly string[];
  readonly count: number;
  readonly more: boolean;
}

/** Splits the keys under `prefix` into the next level's folders (up to the next '/') and keys. */
function listing(prefix: string, kvs: readonly KeyValue[], count: number, more: boolean): Listing {
  const folders = new Set<string>();
  const keys: string[] = [];
  for (const k of kvs) {
    const key = text(k.key);
    const slash = key.indexOf('/', prefix.length);
    if (slash >= 0 && slash < key.length - 1) folders.add(key.slice(0, slash + 1));
    else keys.push(key);
  }
  return { folders: [...folders], keys, count, more };
}

export function KeysView({ client }: { client: Client }) {
  const [prefix, setPrefix] = useState('');
  const [draft, setDraft] = useState('');
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const go = (p: string): void => {
    setPrefix(p);
    setDraft(p);
  };
  const list = usePoll(
    async (signal) => {
      const r = await client.getPrefix(prefix, { keysOnly: true, limit: LIST_LIMIT, signal });
      return listing(prefix, r.kvs, r.count, r.more);
    },
    [prefix],
  );
  const up = prefix.replace(/[^/]*\/?$/, '');
  return html`
    <h2>Keys</h2>
    <form
      class="toolbar"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        go(draft);
      }}
    >
      <label
        >Prefix
        <input
          type="text"
          data-testid="prefix"
          value=${draft}
          onInput=${(e: Event) => setDraft((e.target as HTMLInputElement).value)}
      /></label>
      <button type="submit">Browse</button>
      ${prefix !== '' && html`<button type="button" onClick=${() => go(up)}>Up</button>`}
      <span class="muted">${list.data === undefined ? '' : `${list.data.count} keys under “${prefix}”`}</span>
    </form>
    ${list.error !== undefined && html`<p class="error">Last read failed: ${list.error}</p>`}
    <div class="cols">
      <div>
        <ul class="list" data-testid="key-list">
          ${list.data?.folders.map((f) => html`<li><button onClick=${() => go(f)}>📁 ${f.slice(prefix.length)}</button></li>`)}
          ${list.data?.keys.map(
            (k) =>
              html`<li class=${k === selected ? 'selected' : ''}>
                <button data-key=${k} onClick=${() => setSelected(k)}>${k.slice(prefix.length) || k}</button>
              </li>`,
          )}
        </ul>
        ${list.data?.more && html`<p class="note">Showing the first ${LIST_LIMIT} keys: narrow the prefix.</p>`}
        ${
          writesAllowed()
            ? html`<${PutPanel}
                key=${selected ?? prefix}
                client=${client}
                initialKey=${selected ?? prefix}
              />`
            : html`<p class="note" data-testid="read-only">
                Read-only: start the member with <code>--console-writes</code> to put and delete keys here.
              </p>`
        }
      </div>
      <div>
        ${selected === undefined ? html`<p class="muted">Select a key.</p>` : html`<${KeyDetail} client=${client} name=${selected} />`}
      </div>
    </div>
    <${Tail} client=${client} prefix=${prefix} />
  `;
}

function ValueBox({ value, format }: { value: Uint8Array; format: Format }) {
  const asText = asTextOrUndefined(value);
  const shown =
    format === 'hex' || asText === undefined
      ? hexDump(value)
      : format === 'json'
        ? (prettyJson(asText) ?? `(not JSON)\n${asText}`)
        : asText;
  return html`<pre data-testid="key-value">${shown}</pre>`;
}

/** A value for the diff: pretty JSON when it is JSON (so changes show per field), else its text. */
function diffText(value: Uint8Array): string {
  const t = asTextOrUndefined(value);
  return t === undefined ? hexDump(value) : (prettyJson(t) ?? t);
}

function Diff({ older, newer }: { older: KeyValue; newer: KeyValue }) {
  const lines = diffLines(diffText(older.value), diffText(newer.value));
  const mark = { same: ' ', removed: '-', added: '+' } as const;
  return html`
    <h3>
      ${`Diff: version ${older.version} (revision ${older.modRevision}) → version ${newer.version} (revision ${newer.modRevision})`}
    </h3>
    <pre class="diff" data-testid="key-diff">
${lines.map((l) => html`<span class=${l.op}>${`${mark[l.op]} ${l.text}\n`}</span>`)}</pre>
  `;
}

function KeyDetail({ client, name }: { client: Client; name: string }) {
  const [format, setFormat] = useState<Format>('text');
  // The two mod revisions compared (undefined: the two newest versions).
  const [pick, setPick] = useState<{ a: number | undefined; b: number | undefined }>({
    a: undefined,
    b: undefined,
  });
  useEffect(() => setPick({ a: undefined, b: undefined }), [name]);
  const history = usePoll((signal) => keyHistory(client, name, { signal, limit: 50 }), [name]);
  const current = history.data?.versions[0];
  const versions = history.data?.versions ?? [];
  const byRev = (rev: number | undefined): KeyValue | undefined =>
    versions.find((v) => v.modRevision === rev);
  const sideA = byRev(pick.a) ?? versions[1];
  const sideB = byRev(pick.b) ?? versions[0];
  const [older, newer] =
    sideA !== undefined && sideB !== undefined && sideA.modRevision > sideB.modRevision
      ? [sideB, sideA]
      : [sideA, sideB];
  return html`
    <h3 class="mono">${name}</h3>
    ${writesAllowed() && html`<${DeleteButton} key=${name} client=${client} name=${name} />`}
    <div class="toolbar seg">
      ${(['text', 'json', 'hex'] as const).map((f) => html`<button class=${f === format ? 'on' : ''} onClick=${() => setFormat(f)}>${f}</button>`)}
    </div>
    ${history.error !== undefined && html`<p class="error">Last read failed: ${history.error}</p>`}
    ${
      history.data === undefined
        ? html`<p class="muted">Reading…</p>`
        : current === undefined
          ? html`<p class="muted" data-testid="key-missing">The key does not exist (deleted).</p>`
          : html`
              <${ValueBox} value=${current.value} format=${format} />
              <p class="muted">${describeKv(current)}</p>
              <h3>History</h3>
              <table data-testid="key-history">
                <thead>
                  <tr>
                    <th title="diff: first side">A</th>
                    <th title="diff: second side">B</th>
                    <th>Version</th>
                    <th>Mod revision</th>
                    <th>Lease</th>
                    <th>Value</th>
                  </tr>
                </thead>
                <tbody>
                  ${history.data.versions.map(
                    (v) =>
                      html`<tr data-version=${v.version}>
                        <td>
                          <input
                            type="radio"
                            name="diff-a"
                            data-testid="diff-a"
                            checked=${v === sideA}
                            onChange=${() => setPick((p) => ({ ...p, a: v.modRevision }))}
                          />
                        </td>
                        <td>
                          <input
                            type="radio"
                            name="diff-b"
                            data-testid="diff-b"
                            checked=${v === sideB}
                            onChange=${() => setPick((p) => ({ ...p, b: v.modRevision }))}
                          />
                        </td>
                        <td>${v.version}</td>
                        <td>${v.modRevision}</td>
                        <td class="mono">${v.lease === 0 ? '—' : hexId(v.lease)}</td>
                        <td class="mono">${preview(v.value)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
              ${!history.data.complete && html`<p class="note">Older versions are compacted away or beyond the first 50.</p>`}
              ${older !== undefined && newer !== undefined && older !== newer && html`<${Diff} older=${older} newer=${newer} />`}
            `
    }
  `;
}

/** Written as one string: htm drops whitespace that spans a line break. */
function describeKv(kv: KeyValue): string {
  const lease = kv.lease === 0 ? 'no lease' : `lease ${hexId(kv.lease)}`;
  return `version ${kv.version} · created at revision ${kv.createRevision} · modified at revision ${kv.modRevision} · ${lease}`;
}

function preview(value: Uint8Array): string {
  const t = asTextOrUndefined(value);
  const s = t ?? `0x${[...value.subarray(0, 24)].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

interface TailLine {
  readonly revision: number;
  readonly type: string;
  readonly key: string;
  readonly value: string;
}

/** The last events under `prefix`, as they happen (a watch from now on). */
function Tail({ client, prefix }: { client: Client; prefix: string }) {
  const [lines, setLines] = useState<readonly TailLine[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    setLines([]);
    setError(undefined);
    const watch = client.watch({ prefix });
    void (async () => {
      try {
        for await (const batch of watch) {
          if (batch.type !== 'events') continue;
          const fresh = batch.events.map((e: WatchEvent) => ({
            revision: e.kv.modRevision,
            type: e.type,
            key: text(e.kv.key),
            value: preview(e.kv.value),
          }));
          setLines((old) => [...fresh.reverse(), ...old].slice(0, TAIL_LENGTH));
        }
      } catch (err) {
        setError(describe(err));
      }
    })();
    return () => void watch.close();
  }, [prefix]);
  return html`
    <h3>Live events under “${prefix}”</h3>
    ${error !== undefined && html`<p class="error">Watch ended: ${error}</p>`}
    <table data-testid="tail">
      <thead>
        <tr>
          <th>Revision</th>
          <th>Event</th>
          <th>Key</th>
          <th>Value</th>
        </tr>
      </thead>
      <tbody>
        ${
          lines.length === 0
            ? html`<tr>
                <td colspan="4" class="muted">Waiting for changes…</td>
              </tr>`
            : lines.map(
                (l) =>
                  html`<tr>
                    <td>${l.revision}</td>
                    <td>${l.type}</td>
                    <td class="mono">${l.key}</td>
                    <td class="mono">${l.value}</td>
                  </tr>`,
              )
        }
      </tbody>
    </table>
  `;
}
