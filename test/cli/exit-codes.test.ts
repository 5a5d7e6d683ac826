/**
 * The exit status of the client verbs is an interface scripts rely on: each SDK error class maps
 * to its documented number, and docs/cli.md's table lists exactly the numbers the code uses.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ClientError,
  CompactedError,
  FutureRevisionError,
  IndeterminateError,
  InvalidArgumentError,
  LeaseNotFoundError,
  NoSpaceError,
  NotLeaderError,
  PermissionDeniedError,
  RequestTimeoutError,
  RequestTooLargeError,
  UnauthenticatedError,
  UnavailableError,
  UnreachableError,
} from '../../client/index.js';
import { RecipeError, RecipeErrorCode } from '../../recipes/index.js';
import { CommandTimeoutError, ExitCode, exitCodeOf, UsageError } from '../../server/cli/exit-codes.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

describe('exit status of the client verbs', () => {
  it('maps each error class to its number', () => {
    const cases: [unknown, number][] = [
      [new UsageError('x'), 2],
      [new UnreachableError('x', []), 3],
      [new UnavailableError('x'), 3],
      [new NotLeaderError('x'), 3],
      [new RequestTimeoutError('x'), 4],
      [new IndeterminateError('x'), 4],
      [new CommandTimeoutError('x'), 4],
      [new ClientError('TIMEOUT', 'x'), 4],
      [new CompactedError('x'), 5],
      [new FutureRevisionError('x'), 5],
      [new LeaseNotFoundError('x'), 6],
      [new InvalidArgumentError('x'), 7],
      [new RequestTooLargeError('x'), 7],
      [new NoSpaceError('x'), 8],
      [new UnauthenticatedError('x'), 9],
      [new PermissionDeniedError('x'), 9],
      [new ClientError('INTERNAL', 'x'), 1],
      [new RecipeError(RecipeErrorCode.InvalidArgument, 'x'), 2],
      [new RecipeError(RecipeErrorCode.Timeout, 'x'), 4],
      [new RecipeError(RecipeErrorCode.Lost, 'x'), 1],
      [new RecipeError(RecipeErrorCode.InvalidValue, 'x'), 1],
      [new Error('anything else'), 1],
    ];
    for (const [err, code] of cases) expect(exitCodeOf(err), (err as Error).name).to.equal(code);
  });

  it('docs/cli.md documents exactly the numbers the code uses', () => {
    const page = readFileSync(join(root, 'docs', 'cli.md'), 'utf8');
    const section = page.slice(page.indexOf('## Exit status'), page.indexOf('## Keys'));
    const documented = [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(documented).to.deep.equal([...new Set(Object.values(ExitCode))]);
  });
});
