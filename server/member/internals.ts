/**
 * `member.internals` (the core and the client API of a started member) for Concord's own tests
 * and tools. It is added to `MemberHandle` by augmentation from this module, which
 * `concord/server` does not export: the published declarations of `MemberHandle` then name no
 * internal type, so a consumer's compiler never reads the member's internals (which name `ws`
 * types and would make every consumer install `@types/ws`). Inside this repository every file is
 * compiled together with this module, so `member.internals` type-checks as before.
 */
import type { ClientApi } from '../api/index.js';
import type { MemberCore } from './member.js';

export interface MemberInternals {
  readonly core: MemberCore;
  readonly api: ClientApi;
}

declare module './start-member.js' {
  interface MemberHandle {
    /** The internals, for Concord's own tests and tools; not a stable API. */
    readonly internals: MemberInternals;
  }
}
