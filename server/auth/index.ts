/**
 * The public door of server/auth: the replicated model and store (pure: the state machine imports
 * these), and the member-side parts — password hashing, token providers, rate limiting — which use
 * Node's crypto and a clock and are imported by server/member only.
 */
export { AuthStore, type TokenAssignedListener } from './store.js';
export { AuthError, authErrors } from './errors.js';
export {
  AUTH_OP_NAMES,
  PERM_TYPES,
  ROOT,
  type AuthOp,
  type AuthOpName,
  type AuthOpResult,
  type AuthState,
  type Permission,
  type PermType,
  type RoleRecord,
  type UserRecord,
} from './model.js';
export { readAuthOp, writeAuthOp, readAuthState, writeAuthState, EMPTY_AUTH_STATE } from './codec.js';
export { covers, permits, spanOf, type Span } from './permissions.js';
