/**
 * Errors of the recipes. They are verdicts of the recipe, not answers of a member, so they carry
 * their own stable `code` (below) rather than a wire code; errors of the client underneath
 * (`ClientError` and subclasses) pass through unchanged. Never match on `message`.
 */
export const RecipeErrorCode = {
  /** `timeoutMs` passed before the lock / semaphore slot / barrier was obtained. */
  Timeout: 'RECIPE_TIMEOUT',
  /** The lock, slot or leadership was lost (session lost, key deleted by an operator). */
  Lost: 'RECIPE_LOST',
  /** An election call needs leadership this handle no longer has. */
  NotLeader: 'RECIPE_NOT_LEADER',
  /** An option or argument is out of range. */
  InvalidArgument: 'RECIPE_INVALID_ARGUMENT',
  /** A stored value (config, semaphore record) does not have the expected shape. */
  InvalidValue: 'RECIPE_INVALID_VALUE',
} as const;
export type RecipeErrorCode = (typeof RecipeErrorCode)[keyof typeof RecipeErrorCode];

export class RecipeError extends Error {
  override name = 'RecipeError';
  constructor(
    readonly code: RecipeErrorCode,
    message: string,
    options: { readonly cause?: unknown } = {},
  ) {
    super(`recipes: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

export function invalidArgument(message: string): RecipeError {
  return new RecipeError(RecipeErrorCode.InvalidArgument, message);
}
