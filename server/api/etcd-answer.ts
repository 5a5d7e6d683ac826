/**
 * A unary answer as etcd's own doors give it. Concord's WebSocket answers carry a few fields of its
 * own; the gateway and gRPC answer as etcd does, so etcd's clients and the control tests that
 * compare both see the same messages. One place, so the two etcd doors cannot drift.
 */

/** `value` without Concord's own fields, for the gateway and the gRPC door. */
export function etcdAnswer(method: string, value: unknown): unknown {
  // etcd's AuthenticateResponse has no TTL (the SDK's renewal reads it on the WebSocket only).
  if (method === 'auth.authenticate') return { ...(value as object), ttlSec: 0 };
  return value;
}
