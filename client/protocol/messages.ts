/**
 * The codec of every message of the client protocol, generated from the .proto files by
 * tools/protoc-gen-concord-codecs.ts (client/protocol/gen/**\/*_codec.ts), plus the WatchResponse
 * codecs restricted to the kinds one place allows (messages-watch.ts).
 */
export * from './gen/etcdserverpb/rpc_codec.js';
export * from './gen/mvccpb/kv_codec.js';
export * from './gen/authpb/auth_codec.js';
export { watchResponseOf } from './messages-watch.js';
export {
  MAX_AUTH_NAME_CHARS,
  MAX_MEMBER_PEER_URLS,
  MAX_PASSWORD_CHARS,
  MAX_PEER_URL_LENGTH,
} from './codec-checks.js';
