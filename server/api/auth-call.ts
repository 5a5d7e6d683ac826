/**
 * The auth methods (`auth.*`) as one call type, and what a backend offers to serve them: the
 * WebSocket methods, the gateway's `/v3/auth/*` paths and the gRPC Auth service all reach
 * `AuthBackend.call` through dispatch.ts, so the three doors answer alike.
 */
import type { Method, MethodParams, MethodResult } from '../../client/protocol/index.js';
import type { CallOptions } from './backend.js';

export type AuthMethod = Extract<Method, `auth.${string}`>;

export type AuthCall = {
  readonly [K in AuthMethod]: { readonly method: K; readonly params: MethodParams<K> };
}[AuthMethod];

export function isAuthMethod(method: Method): method is AuthMethod {
  return method.startsWith('auth.');
}

export interface AuthBackend {
  call(call: AuthCall, options: CallOptions): Promise<MethodResult<AuthMethod>>;
}
