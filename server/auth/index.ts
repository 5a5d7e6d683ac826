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
export { PasswordHasher, DEFAULT_SCRYPT, type ScryptParams, type PasswordHasherOptions } from './password.js';
export { AuthRateLimiter, type AuthRateLimitOptions } from './rate-limit.js';
export { SimpleTokenKeeper } from './simple-tokens.js';
export { JwtTokens } from './jwt.js';
export {
  parseTokenSpec,
  MAX_TOKEN_CHARS,
  JWT_SIGN_METHODS,
  DEFAULT_JWT_TTL_MS,
  DEFAULT_SIMPLE_TOKEN_TTL_SEC,
  type TokenInfo,
  type TokenSpec,
  type JwtSignMethod,
} from './token-spec.js';
