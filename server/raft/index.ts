export * from './types.js';
export * from './config.js';
export * from './errors.js';
export * from './status.js';
export { RaftNode } from './raft-node.js';
export { encodeConfChange, decodeConfChange } from './conf-change.js';
export { describeMessage, describeEntry } from './describe.js';
