/**
 * concord/recipes: coordination recipes built only on the public client (`concord/client`).
 * docs/recipes.md states each recipe's guarantees and failure behaviour and compares it with
 * etcd's concurrency package, Apache Curator and Redlock.
 */
export { RecipeError, RecipeErrorCode } from './errors.js';
export { acquireLock, tryLock, withLock, lockContenders, LockHandle, LOCK_PREFIX } from './lock.js';
export type { LockOptions } from './lock.js';
export { acquireRead, acquireWrite, RWLOCK_PREFIX } from './rwlock.js';
export {
  Semaphore,
  SemaphoreSlot,
  SEMAPHORE_PREFIX,
  SEMAPHORE_DEFAULTS,
  parseSemaphoreRecord,
} from './semaphore.js';
export type { SemaphoreState, SemaphoreWaitOptions } from './semaphore.js';
export { Election, Leadership, ELECTION_PREFIX } from './election.js';
export type { LeaderInfo, CampaignOptions } from './election.js';
export { WorkQueue, QueueItem, QUEUE_PREFIX, QUEUE_DEFAULTS } from './queue.js';
export type { QueueOptions, EnqueueOptions } from './queue.js';
export { PubSub, TOPIC_PREFIX } from './pubsub.js';
export type { Message, SubscribeOptions, Subscription } from './pubsub.js';
export { Barrier, DoubleBarrier, BARRIER_PREFIX } from './barrier.js';
export {
  register,
  discover,
  watchService,
  roundRobin,
  pickRandom,
  parseInstance,
  Registration,
  SERVICE_PREFIX,
  REGISTRY_DEFAULTS,
} from './registry.js';
export type { ServiceInstance, RegisterOptions } from './registry.js';
export { subscribeConfig, checkConfigValue } from './config.js';
export type { ConfigUpdate, SubscribeConfigOptions } from './config.js';
export { DEFAULT_RECIPE_TTL_SEC } from './session-scope.js';
export type { SessionChoice } from './session-scope.js';
export { inspectLocks, inspectQueues, inspectLeases, keyHistory } from './inspect.js';
export type {
  InspectOptions,
  LockContender,
  LockState,
  LocksSnapshot,
  QueueClaim,
  QueueState,
  QueuesSnapshot,
  LeaseState,
} from './inspect.js';
export {
  inspectRwLocks,
  inspectElections,
  inspectSemaphores,
  inspectServices,
  inspectConfigs,
} from './inspect-recipes.js';
export type {
  RwLockEntry,
  RwLockState,
  Candidate,
  ElectionState,
  SemaphoreView,
  LeaseHealth,
  ServiceInstanceView,
  ServiceView,
  ConfigDocument,
} from './inspect-recipes.js';
