/**
 * etcd's Auth service on the gRPC door, and the token every gRPC call carries. The Auth methods are
 * unary and served like any other over the shared handlers (dispatch.ts → the backend's
 * `auth.call`), so gRPC, the gateway and the WebSocket answer alike; this file only names them.
 *
 * etcd's clients send the token as the `token` metadata (clientv3, the etcd3 npm client); the
 * gateway's `authorization` spelling is accepted too, as etcd's server accepts both.
 */
import type { Metadata } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import type { AuthMethod } from '../auth-call.js';
import type { CallOptions } from '../backend.js';
import { certUserOption, commonNameOf } from '../cert-user.js';
import { CONNECTION_TOKEN_HEADER, shimmedIdentityOf } from '../h2-authority-shim.js';

/** gRPC method path → the auth method serving it. */
export const AUTH_UNARY_METHODS: Readonly<Record<string, AuthMethod>> = {
  '/etcdserverpb.Auth/AuthEnable': 'auth.enable',
  '/etcdserverpb.Auth/AuthDisable': 'auth.disable',
  '/etcdserverpb.Auth/AuthStatus': 'auth.status',
  '/etcdserverpb.Auth/Authenticate': 'auth.authenticate',
  '/etcdserverpb.Auth/UserAdd': 'auth.userAdd',
  '/etcdserverpb.Auth/UserGet': 'auth.userGet',
  '/etcdserverpb.Auth/UserList': 'auth.userList',
  '/etcdserverpb.Auth/UserDelete': 'auth.userDelete',
  '/etcdserverpb.Auth/UserChangePassword': 'auth.userChangePassword',
  '/etcdserverpb.Auth/UserGrantRole': 'auth.userGrantRole',
  '/etcdserverpb.Auth/UserRevokeRole': 'auth.userRevokeRole',
  '/etcdserverpb.Auth/RoleAdd': 'auth.roleAdd',
  '/etcdserverpb.Auth/RoleGet': 'auth.roleGet',
  '/etcdserverpb.Auth/RoleList': 'auth.roleList',
  '/etcdserverpb.Auth/RoleDelete': 'auth.roleDelete',
  '/etcdserverpb.Auth/RoleGrantPermission': 'auth.roleGrantPermission',
  '/etcdserverpb.Auth/RoleRevokePermission': 'auth.roleRevokePermission',
};

/** The metadata names a token may come in, in the order they are read. */
export const TOKEN_METADATA = ['token', 'authorization'] as const;

/** The call's token, if it carries one. */
export function tokenOf(metadata: Metadata): string | undefined {
  for (const name of TOKEN_METADATA) {
    const values = metadata.get(name);
    if (values.length > 0) return String(values[0]);
  }
  return undefined;
}

/** What a gRPC call passes to the backend: its abort signal, token and peer. */
export function grpcCallOptions(
  call: {
    readonly metadata: Metadata;
    getPeer(): string;
    getAuthContext?(): { readonly sslPeerCertificate?: PeerCertificate | undefined };
  },
  signal: AbortSignal,
): CallOptions {
  const token = tokenOf(call.metadata);
  // Through the authority shim grpc-js sees neither the peer nor the TLS socket: the shim's
  // connection token names them.
  const shimmed = shimmedIdentityOf(call.metadata.get(CONNECTION_TOKEN_HEADER).map(String)[0]);
  const peer = shimmed?.peer ?? call.getPeer();
  // grpc-js reports a certificate only from a TLS socket that verified it (--client-cert-auth).
  const certUser = certUserOption(
    shimmed !== undefined ? shimmed.certUser : commonNameOf(call.getAuthContext?.().sslPeerCertificate),
  );
  return token === undefined ? { signal, peer, ...certUser } : { signal, token, peer, ...certUser };
}
