/**
 * Errors → gRPC statuses as etcd sends them: the status code etcd uses for the case and its exact
 * `etcdserver: …` text (clientv3 and other clients compare the text), with Concord's own code in
 * the `concord-error-code` trailer for clients that want the stable name.
 */
import { Metadata, status as Status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ERROR_CODE_INFO, ErrorCode, type ErrorBody } from '../../../client/protocol/index.js';
import { etcdMessage, toErrorBody } from '../errors.js';

/** The trailer naming Concord's error code (client/protocol ErrorCode). */
export const ERROR_CODE_TRAILER = 'concord-error-code';

export function statusOfBody(body: ErrorBody): Partial<StatusObject> & { code: Status } {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, body.code);
  // etcd's text where etcd has one for the case (errors.ts), Concord's message otherwise.
  const details = etcdMessage(body);
  return { code: ERROR_CODE_INFO[body.code].grpcCode as Status, details, metadata };
}

/** The status a call ends with for `err` (anything without a code is INTERNAL, told to onInternal). */
export function statusOf(err: unknown, onInternal?: (err: unknown) => void): ServiceError {
  const s = statusOfBody(toErrorBody(err, onInternal));
  const error = new Error(s.details) as ServiceError;
  error.code = s.code;
  error.details = s.details ?? '';
  error.metadata = s.metadata ?? new Metadata();
  return error;
}

/** etcd's answer to a call when the member knows no leader and the client asked for one. */
export function noLeaderStatus(): ServiceError {
  const error = new Error('etcdserver: no leader') as ServiceError;
  error.code = Status.UNAVAILABLE;
  error.details = 'etcdserver: no leader';
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, ErrorCode.Unavailable);
  error.metadata = metadata;
  return error;
}

/** A method of etcd's API this member does not serve yet. */
export function unimplementedStatus(path: string): ServiceError {
  const error = new Error(`${path} is not implemented by Concord yet`) as ServiceError;
  error.code = Status.UNIMPLEMENTED;
  error.details = error.message;
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, ErrorCode.Unimplemented);
  error.metadata = metadata;
  return error;
}
