/**
 * The clients' calls: one request to one member with a client-side timeout, given up (and the
 * request aborted) when the timeout fires or as soon as the member is seen crashed. A call never
 * rejects: it resolves to what happened, and a late answer after giving up is dropped.
 */
import type { ClientBackend } from '../../../server/api/index.js';
import type { ClientHost } from './host.js';

export type CallResult<T> = { ok: true; value: T } | { ok: false; error: unknown; gaveUp: boolean };

/** A failed call (CallResult without the success case). */
export type CallFailure = { readonly error: unknown; readonly gaveUp: boolean };

interface OpenCall {
  readonly member: number;
  readonly backend: ClientBackend;
  giveUp(why: string): void;
}

/** The caller's user as a verified client certificate names it (auth on; CallOptions.certUser). */
export type CallIdentity = { readonly certUser?: string };

export function identity(user: string | undefined): CallIdentity {
  return user === undefined ? {} : { certUser: user };
}

export class Calls {
  /** Every open call, in the order they were made (the crash sweep gives up on them in that order). */
  private readonly open = new Set<OpenCall>();

  constructor(
    private readonly host: ClientHost,
    private readonly timeoutMs: number,
    /** Who the calls are made as (the user a client certificate would name); undefined: nobody. */
    private readonly defaultUser?: string,
  ) {}

  /** `as`: the user to call as, instead of the default one. */
  call<T>(
    member: number,
    fn: (b: ClientBackend, options: CallIdentity & { signal: AbortSignal }) => Promise<T>,
    as: string | undefined = this.defaultUser,
  ): Promise<CallResult<T>> {
    const backend = this.host.backend(member);
    if (backend === undefined)
      return Promise.resolve({
        ok: false,
        error: Object.assign(new Error(`member ${member} is down`), { code: 'member-down' }),
        gaveUp: false,
      });
    return new Promise<CallResult<T>>((resolve) => {
      const abort = new AbortController();
      let settled = false;
      const entry: OpenCall = {
        member,
        backend,
        giveUp: (why: string): void => {
          if (settled) return;
          settled = true;
          this.open.delete(entry);
          abort.abort(new Error(why));
          resolve({ ok: false, error: new Error(why), gaveUp: true });
        },
      };
      this.open.add(entry);
      const timer = this.host.scheduler.after(this.timeoutMs, 'client-timeout', member, undefined, () =>
        entry.giveUp('client timeout'),
      );
      let p: Promise<T>;
      try {
        p = fn(backend, { signal: abort.signal, ...identity(as) });
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (value) => {
          if (settled) return;
          settled = true;
          this.open.delete(entry);
          this.host.scheduler.cancel(timer);
          resolve({ ok: true, value });
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          this.open.delete(entry);
          this.host.scheduler.cancel(timer);
          resolve({ ok: false, error, gaveUp: false });
        },
      );
    });
  }

  /** Gives up on every open call to a member whose incarnation is no longer the live one. */
  giveUpOnCrashed(): void {
    for (const c of [...this.open]) {
      if (this.host.backend(c.member) !== c.backend) c.giveUp('member crashed');
    }
  }
}
