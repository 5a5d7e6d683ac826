/**
 * One codec per etcd message (see schema.ts for what a codec does): KV and txn messages in
 * messages-kv.ts, watch messages in messages-watch.ts, lease, cluster and maintenance messages in
 * messages-admin.ts.
 */
export * from './messages-kv.js';
export * from './messages-watch.js';
export * from './messages-admin.js';
export * from './messages-auth.js';
