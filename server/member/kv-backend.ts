/**
 * The KV requests of the client API (etcd's KV service): range, put, deleteRange, txn, compact.
 * Writes are proposed through Raft, guarded by the auth revision their caller was admitted at;
 * reads answer from the local state machine. Every method here runs behind MemberBackend's
 * permission gate (backend.ts): it takes the admitted auth revision, and is reached only from there.
 */
import type * as P from '../../client/protocol/index.js';
import type { Command, CommandResponse } from '../apply/index.js';
import type { CallOptions } from '../api/backend.js';
import type { BackendCore } from './backend-core.js';
import { expectResult as expect } from './backend-helpers.js';
import { MemberAuth } from './auth-handlers.js';
import type { ApplyCommand } from './maintenance-backend.js';
import { deleteRangeResponse, putResponse, rangeResponse, txnResponse, type HeaderAt } from './responses.js';

/** The auth revision a request was admitted at; undefined while auth is off. */
export type AuthRevision = number | undefined;

export class KvHandlers {
  constructor(
    private readonly core: BackendCore,
    private readonly headerAt: HeaderAt,
    private readonly apply: ApplyCommand,
  ) {}

  range(req: P.RangeRequest): Promise<P.RangeResponse> {
    return Promise.resolve(rangeResponse(this.headerAt, this.core.machine.range(req)));
  }

  async put(req: P.PutRequest, authRevision: AuthRevision, options: CallOptions): Promise<P.PutResponse> {
    const r = await this.write({ type: 'put', request: req }, authRevision, options);
    return putResponse(this.headerAt, r.response);
  }

  async deleteRange(
    req: P.DeleteRangeRequest,
    authRevision: AuthRevision,
    options: CallOptions,
  ): Promise<P.DeleteRangeResponse> {
    const r = await this.write({ type: 'deleteRange', request: req }, authRevision, options);
    return deleteRangeResponse(this.headerAt, r.response);
  }

  async txn(req: P.TxnRequest, authRevision: AuthRevision, options: CallOptions): Promise<P.TxnResponse> {
    const r = await this.write({ type: 'txn', request: req }, authRevision, options);
    return txnResponse(this.headerAt, r.response);
  }

  async compact(
    req: P.CompactionRequest,
    authRevision: AuthRevision,
    options: CallOptions,
  ): Promise<P.CompactionResponse> {
    const r = await this.write({ type: 'compact', revision: req.revision }, authRevision, options);
    const header = this.headerAt(r.response.revision);
    // Apply compacts logically; `physical` also waits for this member to drop the history (on its
    // ticks, see member-services.ts), as etcd's.
    if (req.physical) await this.core.machine.store.whenDropped(req.revision);
    return { header };
  }

  /** Proposes `command`, guarded by the auth revision it was admitted at; its result of that kind. */
  private async write<K extends 'put' | 'deleteRange' | 'txn' | 'compact'>(
    command: Command & { readonly type: K },
    authRevision: AuthRevision,
    options: CallOptions,
  ): Promise<Extract<CommandResponse, { type: K }>> {
    const r = await this.apply(MemberAuth.guard(command, authRevision), options);
    const type: K = command.type;
    return expect(r, type);
  }
}
