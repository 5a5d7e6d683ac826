/** The public door of server/lease. */
export { Lessor, LESSOR_DEFAULTS } from './lessor.js';
export type { LessorOptions, LeaseInfo, LeaseCheckpoint, RangeDeleter } from './lessor.js';
export { LeaseQueue } from './lease-queue.js';
export type { Deadline } from './lease-queue.js';
export { LeaseExistsError, LeaseTtlTooLargeError, LeaseNotFoundError, NotPrimaryError } from './errors.js';
