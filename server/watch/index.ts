/** The public door of server/watch. */
export { WatchableStore, WATCH_DEFAULTS, TooManyWatchersError } from './watchable-store.js';
export type { WatchableStoreOptions } from './watchable-store.js';
export { describeWatchResponse } from './watch-types.js';
export type { WatchRequest, WatchResponse, WatchEvent, WatchSource, WatchSink } from './watch-types.js';
