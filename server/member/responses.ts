/**
 * State-machine results → client protocol responses: the state machine answers with the revision
 * it served at, the protocol wants a full response header. Nested txn responses map recursively.
 */
import type * as P from '../../client/protocol/index.js';
import type * as M from '../mvcc/index.js';

export type HeaderAt = (revision: number) => P.ResponseHeader;

export function rangeResponse(header: HeaderAt, r: M.RangeResponse): P.RangeResponse {
  return { header: header(r.revision), kvs: r.kvs, more: r.more, count: r.count };
}

export function putResponse(header: HeaderAt, r: M.PutResponse): P.PutResponse {
  return r.prevKv === undefined
    ? { header: header(r.revision) }
    : { header: header(r.revision), prevKv: r.prevKv };
}

export function deleteRangeResponse(header: HeaderAt, r: M.DeleteRangeResponse): P.DeleteRangeResponse {
  return { header: header(r.revision), deleted: r.deleted, prevKvs: r.prevKvs };
}

export function txnResponse(header: HeaderAt, r: M.TxnResponse): P.TxnResponse {
  return {
    header: header(r.revision),
    succeeded: r.succeeded,
    responses: r.responses.map((op) => responseOp(innerHeader, op)),
  };
}

/**
 * The header of a response nested in a txn: etcd fills in only the revision there (the cluster,
 * member and term are the outer header's), and clients print what they get (etcdctl txn -w json).
 */
const innerHeader: HeaderAt = (revision) => ({ clusterId: 0, memberId: 0, revision, raftTerm: 0 });

function responseOp(header: HeaderAt, op: M.ResponseOp): P.ResponseOp {
  switch (op.type) {
    case 'range':
      return { type: 'range', response: rangeResponse(header, op.response) };
    case 'put':
      return { type: 'put', response: putResponse(header, op.response) };
    case 'deleteRange':
      return { type: 'deleteRange', response: deleteRangeResponse(header, op.response) };
    case 'txn':
      return { type: 'txn', response: txnResponse(header, op.response) };
  }
}
