/**
 * The request rules of etcd's messages that their field types do not express, by the names the
 * .proto files give them (`option (concord.codec.message).check = "requireKey"`). The generated
 * codecs run them on the decoded value, after every field is valid, on JSON and protobuf input
 * alike; a value is "not provided" when it is at its proto3 default (empty, 0), as etcd's API
 * layer judges it.
 */
import { invalid } from './errors.js';
import { joinPath } from './codec-runtime.js';

/** etcd's ErrGRPCEmptyKey: range, put and delete name a key. */
export function requireKey(d: { readonly key: Uint8Array }, path: string): void {
  if (d.key.length === 0) throw invalid(joinPath(path, 'key'), 'key is not provided');
}

/** etcd's ErrGRPCValueProvided / ErrGRPCLeaseProvided: what a put keeps cannot be given too. */
export function putIgnores(
  d: {
    readonly value: Uint8Array;
    readonly lease: number;
    readonly ignoreValue: boolean;
    readonly ignoreLease: boolean;
  },
  path: string,
): void {
  if (d.ignoreValue && d.value.length !== 0)
    throw invalid(joinPath(path, 'value'), 'value is provided (ignore_value is set)');
  if (d.ignoreLease && d.lease !== 0)
    throw invalid(joinPath(path, 'lease'), 'lease is provided (ignore_lease is set)');
}

/** The compare target's wire name → the oneof member that carries its operand. */
const UNION_FIELD = {
  version: 'version',
  create: 'create_revision',
  mod: 'mod_revision',
  value: 'value',
  lease: 'lease',
} as const;

const TARGET_WIRE = {
  version: 'VERSION',
  create: 'CREATE',
  mod: 'MOD',
  value: 'VALUE',
  lease: 'LEASE',
} as const;

/** A compare's operand, when given, is the one of its target (target_union). */
export function compareUnion(
  d: {
    readonly target: keyof typeof UNION_FIELD;
    readonly version?: number;
    readonly createRevision?: number;
    readonly modRevision?: number;
    readonly value?: Uint8Array;
    readonly lease?: number;
  },
  path: string,
): void {
  const set: string[] = [];
  if (d.version !== undefined) set.push('version');
  if (d.createRevision !== undefined) set.push('create_revision');
  if (d.modRevision !== undefined) set.push('mod_revision');
  if (d.value !== undefined) set.push('value');
  if (d.lease !== undefined) set.push('lease');
  if (set.length > 1) throw invalid(joinPath(path, set[1]!), `only one of ${set.join(', ')} may be given`);
  const expected = UNION_FIELD[d.target];
  if (set.length === 1 && set[0] !== expected) {
    throw invalid(
      joinPath(path, set[0]!),
      `does not match target ${TARGET_WIRE[d.target]} (expected ${expected})`,
    );
  }
}

/** Most peer URLs one member may advertise (a limit of Concord's; etcd has none). */
export const MAX_MEMBER_PEER_URLS = 16;
/** Longest peer URL accepted, in characters. */
export const MAX_PEER_URL_LENGTH = 1024;
/** scheme://host[:port] with an optional trailing slash: what a peer URL may be (etcd's rule). */
const PEER_URL = /^https?:\/\/[^\s/?#@]+\/?$/;

/** A member's peer URLs: at least one, each http(s)://host[:port], none twice. */
export function peerUrls(d: { readonly peerUrls: readonly string[] }, path: string): void {
  const urls = d.peerUrls;
  const at = joinPath(path, 'peerURLs');
  if (urls.length === 0) throw invalid(at, 'member peer URLs are not provided');
  if (urls.length > MAX_MEMBER_PEER_URLS) throw invalid(at, `more than ${MAX_MEMBER_PEER_URLS} peer URLs`);
  urls.forEach((url, i) => {
    if (url.length > MAX_PEER_URL_LENGTH || !PEER_URL.test(url))
      throw invalid(`${at}[${i}]`, 'given member URLs are invalid (want http(s)://host:port)');
  });
  if (new Set(urls).size !== urls.length) throw invalid(at, 'a peer URL is given twice');
}

/** A membership change names its member. */
export function memberId(d: { readonly id: number }, path: string): void {
  if (d.id === 0) throw invalid(joinPath(path, 'ID'), 'member ID is not provided');
}

/** Longest user or role name, password and token accepted (limits of Concord's; etcd has none). */
export const MAX_AUTH_NAME_CHARS = 256;
export const MAX_PASSWORD_CHARS = 1024;

const AUTH_NAMES = ['name', 'user', 'role'] as const;
const AUTH_SECRETS = [
  ['password', 'password'],
  ['hashedPassword', 'hashedPassword'],
] as const;

/** User and role names and passwords of auth requests fit Concord's limits. */
export function authLengths(d: object, path: string): void {
  const v = d as Readonly<Record<string, unknown>>;
  for (const n of AUTH_NAMES) {
    const s = v[n];
    if (typeof s === 'string' && s.length > MAX_AUTH_NAME_CHARS)
      throw invalid(joinPath(path, n), `longer than ${MAX_AUTH_NAME_CHARS} characters`);
  }
  for (const [domain, wire] of AUTH_SECRETS) {
    const s = v[domain];
    if (typeof s === 'string' && s.length > MAX_PASSWORD_CHARS)
      throw invalid(joinPath(path, wire), `longer than ${MAX_PASSWORD_CHARS} characters`);
  }
}
