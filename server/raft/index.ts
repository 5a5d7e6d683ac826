export * from './types.js';
export * from './config.js';
export * from './errors.js';
export * from './status.js';
export { RaftNode, committedAppliableBeforePersist } from './raft-node.js';
export { encodeConfChange, decodeConfChange } from './conf-change.js';
export { describeMessage, describeEntry } from './describe.js';
