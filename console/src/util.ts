/** Small helpers shared by the views: polling, first-seen clocks, formatting. */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export const POLL_MS = 1000;

export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  /** Date.now() of the last successful read. */
  readonly at: number;
}

/**
 * Calls `read` now and `POLL_MS` after each answer (never two at once), until unmounted or `deps`
 * change (starting over empty); keeps the last good data while a later read fails (a member
 * restarting, say).
 */
export function usePoll<T>(read: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: undefined, at: 0 });
  useEffect(() => {
    // what was read for other deps (another prefix, another user) is not shown for these
    setState({ data: undefined, error: undefined, at: 0 });
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async (): Promise<void> => {
      try {
        const data = await read(ac.signal);
        if (!ac.signal.aborted) setState({ data, error: undefined, at: Date.now() });
      } catch (err) {
        if (!ac.signal.aborted) setState((s) => ({ ...s, error: describe(err) }));
      }
      if (!ac.signal.aborted) timer = setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      ac.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}

/** Re-renders every `ms` (for counters such as "held for"). */
export function useTicker(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/**
 * When this page first saw each id. Revisions carry no wall time, so ages are measured from the
 * console's first sight (a lower bound, said so where shown).
 */
export function useFirstSeen(ids: readonly string[]): ReadonlyMap<string, number> {
  const seen = useRef(new Map<string, number>());
  const now = Date.now();
  const live = new Set(ids);
  for (const id of ids) if (!seen.current.has(id)) seen.current.set(id, now);
  for (const id of [...seen.current.keys()]) if (!live.has(id)) seen.current.delete(id);
  return seen.current;
}

export function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export const hexId = (n: number): string => n.toString(16).padStart(16, '0');

export function seconds(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The value as text, or undefined when it is not valid UTF-8. */
export function asTextOrUndefined(b: Uint8Array): string | undefined {
  try {
    return decoder.decode(b);
  } catch {
    return undefined;
  }
}

export function hexDump(b: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 16) {
    const row = b.subarray(i, i + 16);
    const hex = [...row].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** Pretty JSON, or undefined when the text is not JSON. */
export function prettyJson(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return undefined;
  }
}

/** A waiting line (lock waiters, candidates) as an ordered list, or a muted "none" when empty. */
export function lineOrNone<T>(items: readonly T[], item: (t: T) => unknown) {
  return items.length === 0
    ? html`<span class="muted">none</span>`
    : html`<ol>
        ${items.map(item)}
      </ol>`;
}
