/** The public door of server/apply: what the replica layer drives. */
export { StateMachine, CorruptError } from './state-machine.js';
export { AlarmSet, ALARM_KINDS } from './alarms.js';
export type { AlarmKind, AlarmRecord } from './alarms.js';
export type { StateMachineOptions } from './state-machine.js';
export type { StateMachineInjectedBugs } from './injected-bugs.js';
export { describeCommand } from './command.js';
export type { Command, CommandType, CommandResponse, ApplyResult } from './command.js';
export {
  encodeCommand,
  decodeCommand,
  CommandDecodeError,
  COMMAND_FORMAT_VERSION,
  MAX_TXN_DEPTH,
} from './command-codec.js';
export { STATE_SNAPSHOT_VERSION } from './state-snapshot.js';
export { StateSnapshotStream } from './state-snapshot-stream.js';
