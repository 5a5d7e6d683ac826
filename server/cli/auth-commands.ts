/**
 * The runners of the access-control verbs (declared in auth-verb-specs.ts), with etcdctl's output
 * so that scripts written for `etcdctl user|role|auth` carry over, through the public SDK's
 * `client.auth`; and the credentials of `--user`/`--password` (asked for on the terminal when
 * missing) with which every client verb authenticates. client-verbs.ts merges the runners into its
 * table and passes the credentials to the SDK.
 */
import type { Client, GrantedPermission, PermissionSpec, ResponseHeader } from '../../client/index.js';
import { ClientError } from '../../client/index.js';
import type { Globals, Invocation, Runner } from './client-verbs.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { keyRangeOf, prefixEndOf } from './key-range.js';
import { b64, fieldLines, headerFields, headerJson, omitEmpty, text, type Json } from './render.js';

/** What the runners need of client-verbs.ts (passed in, so the two modules do not import each other's values). */
export interface AuthVerbHelpers {
  withClient<T>(g: Globals, run: (client: Client) => Promise<T>): Promise<T>;
  deadline(inv: Invocation): AbortSignal;
}

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** Reads one password (the prompt goes to stderr). */
export type PasswordReader = (prompt: string) => Promise<string>;

/**
 * The credentials of `--user name[:password]` / `--password` (or CONCORD_USER / CONCORD_PASSWORD),
 * as etcdctl takes them; the password is asked for when neither gives it. undefined: no --user.
 */
export async function credentialsOf(
  opts: Readonly<Record<string, unknown>>,
  read: PasswordReader = readPassword,
): Promise<Credentials | undefined> {
  const user = opts['user'];
  // `user add --no-password` leaves `password` a boolean (commander's negation): not a password.
  const password = typeof opts['password'] === 'string' ? opts['password'] : undefined;
  if (typeof user !== 'string') {
    if (password !== undefined) throw new UsageError('--password needs --user');
    return undefined;
  }
  const colon = user.indexOf(':');
  if (colon !== -1 && password !== undefined)
    throw new UsageError('--user must not hold the password when --password is given');
  const username = colon === -1 ? user : user.slice(0, colon);
  if (username === '') throw new UsageError('--user: the user name is empty');
  if (colon !== -1) return { username, password: user.slice(colon + 1) };
  return { username, password: password ?? (await read('Password: ')) };
}

// ---- the password prompt ----

/** Bytes read from stdin but not yet consumed by a prompt (stdin is a pipe or file). */
let pending = '';

/**
 * One line of stdin, without its newline: on a terminal without echo, else the next line of the
 * pipe (what is left of the input stays for the verb, e.g. `put KEY` reading its value).
 */
export async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  if (stdin.isTTY) return readTerminalLine();
  const line = await new Promise<string>((resolve, reject) => {
    const done = (): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
    };
    const take = (): boolean => {
      const nl = pending.indexOf('\n');
      if (nl === -1) return false;
      const l = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      done();
      if (pending !== '') {
        stdin.unshift(Buffer.from(pending));
        pending = '';
      }
      resolve(l);
      return true;
    };
    const onData = (chunk: Buffer | string): void => {
      pending += chunk.toString();
      take();
    };
    const onEnd = (): void => {
      done();
      const l = pending.replace(/\r?\n?$/, '');
      pending = '';
      if (l === '') reject(new UsageError('no password: stdin ended (give it on stdin, or name:password)'));
      else resolve(l);
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    if (take()) return;
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('error', onError);
    stdin.resume();
  });
  // Nothing was echoed: end the prompt's line, as a terminal's Enter would.
  process.stderr.write('\n');
  return line;
}

/** A line typed on the terminal, not echoed; Ctrl-C or Ctrl-D interrupts. */
function readTerminalLine(): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error === undefined) resolve(line);
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') line = [...line].slice(0, -1).join('');
        else line += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

// ---- the verbs ----

const isTrue = (v: unknown): boolean => v === true || v === 'true' || v === undefined;

/** A new password: from the operand (name:password), a flag, the terminal (twice) or a line of stdin. */
async function newPassword(inv: Invocation, name: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const flag = inv.opts['newUserPassword'];
  if (typeof flag === 'string') return flag;
  const first = await readPassword(`Password of ${name}: `);
  if (isTrue(inv.opts['interactive']) && process.stdin.isTTY) {
    const again = await readPassword(`Type password of ${name} again for confirmation: `);
    if (again !== first) throw new UsageError('the passwords do not match');
  }
  return first;
}

function print(inv: Invocation, header: ResponseHeader, simple: string): void {
  const f = inv.globals.format;
  if (f === 'json') inv.io.out(JSON.stringify({ header: headerJson(header) }));
  else if (f === 'fields') for (const l of fieldLines(headerFields(header))) inv.io.out(l);
  else inv.io.out(simple);
}

const PERM_NAME = { read: 'READ', write: 'WRITE', readwrite: 'READWRITE' } as const;

function permJson(p: GrantedPermission): Json {
  return omitEmpty({ permType: PERM_NAME[p.type], key: b64(p.key), range_end: b64(p.rangeEnd) });
}

/** The end of the prefix range of `key`, to tell a prefix permission when printing one. */
function isPrefixEnd(key: Uint8Array, end: Uint8Array): boolean {
  return Buffer.from(prefixEndOf(key)).equals(Buffer.from(end));
}

/** etcdctl's lines of a permission: `key`, `[key, end)`, `[key, <open ended>`, `(prefix key)`. */
function permLine(p: GrantedPermission): string {
  const key = text(p.key);
  if (p.rangeEnd.length === 0) return `\t${key}`;
  const openEnded = p.rangeEnd.length === 1 && p.rangeEnd[0] === 0;
  const range = openEnded ? `\t[${key}, <open ended>` : `\t[${key}, ${text(p.rangeEnd)})`;
  return isPrefixEnd(p.key, p.rangeEnd) ? `${range} (prefix ${key})` : range;
}

/** etcdctl's `role get` text. */
function roleLines(role: string, perms: readonly GrantedPermission[]): string[] {
  return [
    `Role ${role}`,
    'KV Read:',
    ...perms.filter((p) => p.type !== 'write').map(permLine),
    'KV Write:',
    ...perms.filter((p) => p.type !== 'read').map(permLine),
  ];
}

function permissionType(value: string): PermissionSpec['type'] {
  const t = value.toLowerCase();
  if (t === 'read' || t === 'write' || t === 'readwrite') return t;
  throw new UsageError(`permission type must be read, write or readwrite, not ${value}`);
}

/** The key or range of a permission operand: KEY [ENDKEY], --prefix, --from-key. */
function permRange(inv: Invocation, at: number): { key: Uint8Array; rangeEnd: Uint8Array } {
  const key = inv.args[at]!;
  const r = keyRangeOf(key, inv.args[at + 1], inv.opts['prefix'] === true, inv.opts['fromKey'] === true);
  return { key: r.key, rangeEnd: r.rangeEnd ?? new Uint8Array(0) };
}

function listOut(inv: Invocation, field: string, names: readonly string[]): void {
  if (inv.globals.format === 'json') inv.io.out(JSON.stringify({ [field]: names }));
  else for (const n of names) inv.io.out(n);
}

/** The runners, by their path under `concord`. */
export function authRunners(h: AuthVerbHelpers): Readonly<Record<string, Runner>> {
  const call = <T>(inv: Invocation, run: (c: Client, signal: AbortSignal) => Promise<T>): Promise<T> =>
    h.withClient(inv.globals, (c) => run(c, h.deadline(inv)));

  const userAdd: Runner = async (inv) => {
    const operand = inv.args[0]!;
    const colon = operand.indexOf(':');
    const name = colon === -1 ? operand : operand.slice(0, colon);
    if (name === '') throw new UsageError('the user name is empty');
    const noPassword = inv.opts['noPassword'] === true;
    if (noPassword && colon !== -1) throw new UsageError('--no-password with name:password');
    const password = noPassword
      ? ''
      : await newPassword(inv, name, colon === -1 ? undefined : operand.slice(colon + 1));
    const header = await call(inv, (c, signal) => c.auth.userAdd(name, password, { noPassword, signal }));
    print(inv, header, `User ${name} created`);
    return ExitCode.Ok;
  };

  const userGet: Runner = async (inv) => {
    const name = inv.args[0]!;
    const detail = inv.opts['detail'] === true;
    const { roles, perms } = await call(inv, async (c, signal) => {
      const roles = await c.auth.userGet(name, { signal });
      const perms = detail
        ? await Promise.all(roles.map((r) => c.auth.roleGet(r, { signal })))
        : ([] as GrantedPermission[][]);
      return { roles, perms };
    });
    if (inv.globals.format === 'json') {
      inv.io.out(JSON.stringify(omitEmpty({ roles })));
      return ExitCode.Ok;
    }
    inv.io.out(`User: ${name}`);
    if (!detail) inv.io.out(`Roles:${roles.map((r) => ` ${r}`).join('')}`);
    else
      for (const [i, r] of roles.entries()) for (const l of ['', ...roleLines(r, perms[i]!)]) inv.io.out(l);
    return ExitCode.Ok;
  };

  const userPasswd: Runner = async (inv) => {
    const name = inv.args[0]!;
    const password = await newPassword(inv, name, undefined);
    const header = await call(inv, (c, signal) => c.auth.userChangePassword(name, password, { signal }));
    print(inv, header, 'Password updated');
    return ExitCode.Ok;
  };

  const roleGet: Runner = async (inv) => {
    const role = inv.args[0]!;
    const perms = await call(inv, (c, signal) => c.auth.roleGet(role, { signal }));
    if (inv.globals.format === 'json') inv.io.out(JSON.stringify(omitEmpty({ perm: perms.map(permJson) })));
    else for (const l of roleLines(role, perms)) inv.io.out(l);
    return ExitCode.Ok;
  };

  const grantPermission: Runner = async (inv) => {
    const [role, type] = inv.args as [string, string];
    const perm: PermissionSpec = { type: permissionType(type), ...permRange(inv, 2) };
    const header = await call(inv, (c, signal) => c.auth.roleGrantPermission(role, perm, { signal }));
    print(inv, header, `Role ${role} updated`);
    return ExitCode.Ok;
  };

  const revokePermission: Runner = async (inv) => {
    const role = inv.args[0]!;
    const range = permRange(inv, 1);
    const header = await call(inv, (c, signal) => c.auth.roleRevokePermission(role, range, { signal }));
    const key = text(range.key);
    const end = range.rangeEnd;
    print(
      inv,
      header,
      end.length === 0
        ? `Permission of key ${key} is revoked from role ${role}`
        : end.length === 1 && end[0] === 0
          ? `Permission of range [${key}, <open ended> is revoked from role ${role}`
          : `Permission of range [${key}, ${text(end)}) is revoked from role ${role}`,
    );
    return ExitCode.Ok;
  };

  /** As etcdctl: when root lacks the root role, add the role, grant it, and enable again. */
  const authEnable: Runner = async (inv) => {
    const header = await call(inv, async (c, signal) => {
      try {
        return await c.auth.enable({ signal });
      } catch (e) {
        if (!(e instanceof ClientError) || e.code !== 'ROOT_ROLE_NOT_EXIST') throw e;
      }
      try {
        await c.auth.roleAdd('root', { signal });
      } catch (e) {
        if (!(e instanceof ClientError) || e.code !== 'ROLE_EXISTS') throw e;
      }
      await c.auth.userGrantRole('root', 'root', { signal });
      return c.auth.enable({ signal });
    });
    print(inv, header, 'Authentication Enabled');
    return ExitCode.Ok;
  };

  const authStatus: Runner = async (inv) => {
    const s = await call(inv, (c, signal) => c.auth.status({ signal }));
    if (inv.globals.format === 'json')
      inv.io.out(JSON.stringify(omitEmpty({ enabled: s.enabled, authRevision: s.authRevision })));
    else if (inv.globals.format === 'fields')
      for (const l of fieldLines([
        ['Enabled', s.enabled],
        ['AuthRevision', s.authRevision],
      ]))
        inv.io.out(l);
    else {
      inv.io.out(`Authentication Status: ${s.enabled}`);
      inv.io.out(`AuthRevision: ${s.authRevision}`);
    }
    return ExitCode.Ok;
  };

  /** A change answered with etcdctl's sentence. */
  const change =
    (
      run: (c: Client, args: readonly string[], signal: AbortSignal) => Promise<ResponseHeader>,
      says: (args: readonly string[]) => string,
    ): Runner =>
    async (inv) => {
      const header = await call(inv, (c, signal) => run(c, inv.args, signal));
      print(inv, header, says(inv.args));
      return ExitCode.Ok;
    };

  return {
    'user add': userAdd,
    'user delete': change(
      (c, [n], signal) => c.auth.userDelete(n!, { signal }),
      ([n]) => `User ${n} deleted`,
    ),
    'user list': async (inv) => {
      listOut(inv, 'users', await call(inv, (c, signal) => c.auth.userList({ signal })));
      return ExitCode.Ok;
    },
    'user get': userGet,
    'user passwd': userPasswd,
    'user grant-role': change(
      (c, [u, r], signal) => c.auth.userGrantRole(u!, r!, { signal }),
      ([u, r]) => `Role ${r} is granted to user ${u}`,
    ),
    'user revoke-role': change(
      (c, [u, r], signal) => c.auth.userRevokeRole(u!, r!, { signal }),
      ([u, r]) => `Role ${r} is revoked from user ${u}`,
    ),
    'role add': change(
      (c, [r], signal) => c.auth.roleAdd(r!, { signal }),
      ([r]) => `Role ${r} created`,
    ),
    'role delete': change(
      (c, [r], signal) => c.auth.roleDelete(r!, { signal }),
      ([r]) => `Role ${r} deleted`,
    ),
    'role list': async (inv) => {
      listOut(inv, 'roles', await call(inv, (c, signal) => c.auth.roleList({ signal })));
      return ExitCode.Ok;
    },
    'role get': roleGet,
    'role grant-permission': grantPermission,
    'role revoke-permission': revokePermission,
    'auth enable': authEnable,
    'auth disable': change(
      (c, _args, signal) => c.auth.disable({ signal }),
      () => 'Authentication Disabled',
    ),
    'auth status': authStatus,
  };
}
