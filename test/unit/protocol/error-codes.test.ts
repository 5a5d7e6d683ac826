import { expect } from 'chai';
import { ERROR_CODE_INFO, ErrorCode, GrpcCode, isErrorCode } from '../../../client/protocol/error-codes.js';
import { DEFAULT_LIMITS, resolveLimits } from '../../../client/protocol/limits.js';
import { ProtocolError } from '../../../client/protocol/errors.js';

/**
 * The HTTP status etcd 3.4's gateway answers for each gRPC code, written out independently as the
 * oracle (grpc-gateway v1's HTTPStatusFromCode as etcd 3.4.23 vendors it: FailedPrecondition is 412
 * there, as a live etcd answers in test/api/auth/auth-etcd-control.test.ts).
 */
const GATEWAY_HTTP_STATUS: Record<number, number> = {
  [GrpcCode.Ok]: 200,
  [GrpcCode.Cancelled]: 408,
  [GrpcCode.Unknown]: 500,
  [GrpcCode.InvalidArgument]: 400,
  [GrpcCode.DeadlineExceeded]: 504,
  [GrpcCode.NotFound]: 404,
  [GrpcCode.AlreadyExists]: 409,
  [GrpcCode.PermissionDenied]: 403,
  [GrpcCode.Unauthenticated]: 401,
  [GrpcCode.ResourceExhausted]: 429,
  [GrpcCode.FailedPrecondition]: 412,
  [GrpcCode.Aborted]: 409,
  [GrpcCode.OutOfRange]: 400,
  [GrpcCode.Unimplemented]: 501,
  [GrpcCode.Internal]: 500,
  [GrpcCode.Unavailable]: 503,
  [GrpcCode.DataLoss]: 500,
};

/** The gRPC codes etcd's rpctypes give the errors Concord mirrors (api/v3rpc/rpctypes/error.go). */
const ETCD_GRPC_CODE: Partial<Record<ErrorCode, number>> = {
  NOT_LEADER: GrpcCode.FailedPrecondition,
  COMPACTED: GrpcCode.OutOfRange,
  FUTURE_REVISION: GrpcCode.OutOfRange,
  LEASE_NOT_FOUND: GrpcCode.NotFound,
  LEASE_EXISTS: GrpcCode.FailedPrecondition,
  LEASE_TTL_TOO_LARGE: GrpcCode.OutOfRange,
  NO_SPACE: GrpcCode.ResourceExhausted,
  REQUEST_TOO_LARGE: GrpcCode.InvalidArgument,
  DUPLICATE_KEY: GrpcCode.InvalidArgument,
  KEY_NOT_FOUND: GrpcCode.InvalidArgument,
  UNAVAILABLE: GrpcCode.Unavailable,
  TIMEOUT: GrpcCode.Unavailable,
  PERMISSION_DENIED: GrpcCode.PermissionDenied,
  UNAUTHENTICATED: GrpcCode.Unauthenticated,
  TOO_MANY_REQUESTS: GrpcCode.ResourceExhausted,
  CORRUPT: GrpcCode.DataLoss,
  MEMBER_EXISTS: GrpcCode.FailedPrecondition,
  MEMBER_NOT_FOUND: GrpcCode.NotFound,
  MEMBER_NOT_LEARNER: GrpcCode.FailedPrecondition,
  LEARNER_NOT_READY: GrpcCode.FailedPrecondition,
  TOO_MANY_LEARNERS: GrpcCode.FailedPrecondition,
  UNHEALTHY_CLUSTER: GrpcCode.Unavailable,
  NOT_ENOUGH_STARTED_MEMBERS: GrpcCode.FailedPrecondition,
  AUTH_NOT_ENABLED: GrpcCode.FailedPrecondition,
  ROOT_USER_NOT_EXIST: GrpcCode.FailedPrecondition,
  ROOT_ROLE_NOT_EXIST: GrpcCode.FailedPrecondition,
  USER_EMPTY: GrpcCode.InvalidArgument,
  USER_EXISTS: GrpcCode.FailedPrecondition,
  USER_NOT_FOUND: GrpcCode.FailedPrecondition,
  ROLE_EMPTY: GrpcCode.InvalidArgument,
  ROLE_EXISTS: GrpcCode.FailedPrecondition,
  ROLE_NOT_FOUND: GrpcCode.FailedPrecondition,
  AUTH_FAILED: GrpcCode.InvalidArgument,
  ROLE_NOT_GRANTED: GrpcCode.FailedPrecondition,
  PERMISSION_NOT_GRANTED: GrpcCode.FailedPrecondition,
  PERMISSION_NOT_GIVEN: GrpcCode.InvalidArgument,
  INVALID_AUTH_MGMT: GrpcCode.InvalidArgument,
  AUTH_OLD_REVISION: GrpcCode.InvalidArgument,
};

describe('error codes', () => {
  describe('ERROR_CODE_INFO', () => {
    it('describes every code', () => {
      expect(Object.keys(ERROR_CODE_INFO).sort()).to.deep.equal(Object.values(ErrorCode).sort());
    });

    it("maps each code's gRPC code to the HTTP status etcd's gateway uses", () => {
      for (const [code, info] of Object.entries(ERROR_CODE_INFO)) {
        expect(info.httpStatus, code).to.equal(GATEWAY_HTTP_STATUS[info.grpcCode]);
      }
    });

    it('uses the gRPC code etcd uses for the same error', () => {
      for (const [code, grpc] of Object.entries(ETCD_GRPC_CODE)) {
        expect(ERROR_CODE_INFO[code as ErrorCode].grpcCode, code).to.equal(grpc);
      }
    });

    it('marks load shedding and leader trouble retryable, and bad requests not', () => {
      expect(ERROR_CODE_INFO.TOO_MANY_REQUESTS.retryable).to.equal(true);
      expect(ERROR_CODE_INFO.UNAVAILABLE.retryable).to.equal(true);
      expect(ERROR_CODE_INFO.NOT_LEADER.retryable).to.equal(true);
      expect(ERROR_CODE_INFO.INVALID_ARGUMENT.retryable).to.equal(false);
      expect(ERROR_CODE_INFO.REQUEST_TOO_LARGE.retryable).to.equal(false);
      expect(ERROR_CODE_INFO.COMPACTED.retryable).to.equal(false);
    });

    it('says a write that timed out may have been applied, and a rejected one was not', () => {
      expect(ERROR_CODE_INFO.TIMEOUT.mayHaveApplied).to.equal(true);
      expect(ERROR_CODE_INFO.UNAVAILABLE.mayHaveApplied).to.equal(false);
      expect(ERROR_CODE_INFO.TOO_MANY_REQUESTS.mayHaveApplied).to.equal(false);
    });
  });

  describe('#isErrorCode', () => {
    it('accepts known codes only', () => {
      expect(isErrorCode('COMPACTED')).to.equal(true);
      expect(isErrorCode('compacted')).to.equal(false);
      expect(isErrorCode('toString')).to.equal(false);
      expect(isErrorCode(3)).to.equal(false);
    });
  });
});

describe('limits', () => {
  describe('#resolveLimits', () => {
    it('fills in the defaults', () => {
      expect(resolveLimits()).to.deep.equal(DEFAULT_LIMITS);
      expect(resolveLimits({ maxWatches: 5 }).maxWatches).to.equal(5);
    });

    context('when a limit is not a positive integer', () => {
      it('throws INVALID_ARGUMENT naming the option', () => {
        for (const bad of [0, -1, 1.5, Number.NaN]) {
          expect(() => resolveLimits({ maxInFlightRequests: bad }))
            .to.throw(ProtocolError)
            .with.property('field', 'maxInFlightRequests');
        }
      });
    });

    context('when a frame could not carry the largest request', () => {
      it('throws INVALID_ARGUMENT naming maxFrameBytes', () => {
        expect(() => resolveLimits({ maxFrameBytes: 1024 * 1024, maxRequestBytes: 1024 * 1024 }))
          .to.throw(ProtocolError)
          .with.property('field', 'maxFrameBytes');
      });
    });
  });
});
