/**
 * `startMember(config)`: a whole member in this process, for `concord serve` and for embedding
 * (etcd's `embed` package is the model — users' own tests can run a real member in-process). The
 * config is the typed `MemberConfig` of ./config.ts, validated before anything is created.
 *
 *   await using member = await startMember({ name: 'test', dataDir: tmp, listenClientUrls: ['http://127.0.0.1:0'], listenPeerUrls: ['http://127.0.0.1:0'] });
 *   member.clientUrls; // ['http://127.0.0.1:40123']
 */
import { startClientApi, type ClientApi } from '../api/index.js';
import { MetricsRegistry } from '../api/metrics.js';
import type { Logger } from '../platform/logger.js';
import { NodeClock } from '../platform/node-clock.js';
import { loadAuthOptions } from './auth-config.js';
import { MemberBackend } from './backend.js';
import {
  InvalidConfigError,
  resolveMemberConfig,
  type MemberConfig,
  type ResolvedMemberConfig,
} from './config.js';
import { CorruptionChecker } from './corruption-check.js';
import { makeLogger, startCore, stopCore, type MemberCore } from './member.js';
import { ServingGate } from './serving-gate.js';
import { listenError } from './listen-error.js';
import { transferLeadershipAway } from './shutdown.js';
import { checkPeerTls, clientTlsOptions, type ClientTlsOptions } from './tls-options.js';
import { watchCrlFile, type CrlWatch } from './crl-reload.js';

export interface MemberHandle {
  readonly name: string;
  readonly memberId: number;
  readonly clusterId: number;
  /** The bound client URLs (a port 0 resolved). */
  readonly clientUrls: readonly string[];
  readonly peerUrls: readonly string[];
  /** Resolves when the member stopped: undefined after `stop()`, the error if it failed. */
  closed(): Promise<Error | undefined>;
  /** Graceful stop: stop accepting, hand leadership over if leader, flush and close. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  // `internals` (core and client API, for Concord's own tests) is added in ./internals.ts.
}

export interface StartMemberExtras {
  /** Where log lines go (default: stderr). */
  readonly logWrite?: (line: string) => void;
  readonly logger?: Logger;
}

/** Starts a member from `config`; a bad field rejects with `InvalidConfigError` before anything is created. */
export async function startMember(
  memberConfig: MemberConfig = {},
  extras: StartMemberExtras = {},
): Promise<MemberHandle> {
  const config = resolveMemberConfig(memberConfig);
  const logger =
    extras.logger ?? makeLogger(config, extras.logWrite ?? ((line) => process.stderr.write(line)));
  const metrics = new MetricsRegistry();
  // Read before the data directory is touched: a missing certificate is a bad flag, not a half start.
  const tls = config.clientTls !== undefined ? await clientTlsOptions(config.clientTls) : undefined;
  const peerCrl = config.peerTls !== undefined ? await checkPeerTls(config.peerTls) : [];
  const auth = await loadAuthOptions(config.authToken, config.authTokenTtlSec, new NodeClock()).catch(
    (err: unknown) => {
      throw new InvalidConfigError('authToken', `cannot load the jwt keys: ${(err as Error).message}`);
    },
  );
  let openedApi: ClientApi | undefined;
  // With the initial corruption check, client requests wait until it passed (serving-gate.ts).
  let gate: ServingGate | undefined;
  // Until this member's own name and client URLs are applied, clients wait (etcd publishes first).
  let published: ServingGate | undefined;
  // The client port opens before the peer ports: a start that fails on either has promised
  // nothing to any peer, so startCore can still discard a data directory it created.
  const core = await startCore(config, logger, metrics, {
    beforePeers: async (assembled) => {
      const api = await startClientApi({
        listenUrls: config.listenClientUrls,
        ...(tls !== undefined ? { tls } : {}),
        backend: (published = new ServingGate(
          config.initialCorruptCheck
            ? (gate = new ServingGate(new MemberBackend({ ...assembled, auth })))
            : new MemberBackend({ ...assembled, auth }),
          { holdStatus: true, maxWaitMs: config.requestTimeoutMs },
        )),
        limits: { maxRequestBytes: config.maxRequestBytes },
        logger,
        metrics,
        consoleWrites: config.consoleWrites,
        consoleConnectTo: () => assembled.replica.memberList().flatMap((m) => m.clientUrls),
        cors: config.cors,
        hostWhitelist: config.hostWhitelist,
      }).catch((err: unknown) => {
        throw listenError('listen-client-urls', err);
      });
      openedApi = api;
      return () => api.close();
    },
  });
  if (openedApi === undefined) throw new Error('internal: startCore did not open the client API');
  const api: ClientApi = openedApi;
  // The boot is done (restored, listening, Raft running): the gRPC door loads while the first
  // election runs, off the boot's path and before the first gRPC client is likely to come.
  api.warmUp();
  const crlWatches = watchCrlFiles(config, core, api, tls, peerCrl, logger);
  const clientUrls = config.advertiseClientUrls.some((u) => new URL(u).port === '0')
    ? api.urls
    : config.advertiseClientUrls;
  // A member that published itself in an earlier run serves at once (and publishes again).
  if (core.replica.memberList().some((m) => m.id === config.memberId && m.name !== '')) published?.open();
  publishWhenLeaderKnown(core, clientUrls, logger, () => published?.open());
  const checker = new CorruptionChecker({
    memberId: config.memberId,
    logger,
    replica: core.replica,
    machine: core.machine,
    network: core.network,
    timers: core.timers,
    catchUpTimeoutMs: config.requestTimeoutMs,
  });
  if (config.initialCorruptCheck) {
    try {
      await checker.initialCheck();
      gate?.open();
    } catch (err) {
      // etcd's rule: a member whose key-values differ from its peers' does not serve.
      logger.error('initial corruption check failed; stopping', { error: err });
      gate?.refuse(err instanceof Error ? err : new Error(String(err)));
      for (const w of crlWatches) w.close();
      await api.close();
      await stopCore(core);
      throw err;
    }
  }
  if (config.corruptCheckTimeMs > 0) checker.startPeriodic(config.corruptCheckTimeMs);
  logger.info('member started', {
    memberId: config.memberId,
    clusterId: config.clusterId,
    clientUrls: api.urls,
    peerUrls: core.peerUrls,
  });

  let stopping: Promise<void> | undefined;
  let resolveClosed: (e: Error | undefined) => void = () => {};
  const closed = new Promise<Error | undefined>((resolve) => (resolveClosed = resolve));
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      logger.info('member stopping', {});
      for (const w of crlWatches) w.close();
      checker.close();
      await transferLeadershipAway(core.replica, config.electionTimeoutMs);
      await api.close();
      await stopCore(core);
      logger.info('member stopped', {});
      resolveClosed(undefined);
    })());
  core.replica.onFatal((error) => {
    // Storage failed or an invariant broke: stop serving rather than risk wrong answers.
    logger.error('member failed; stopping', { error });
    for (const w of crlWatches) w.close();
    checker.close();
    void api
      .close()
      .then(() => stopCore(core))
      .finally(() => resolveClosed(error));
  });
  return {
    name: config.name,
    memberId: config.memberId,
    clusterId: config.clusterId,
    clientUrls: api.urls,
    peerUrls: core.peerUrls,
    closed: () => closed,
    stop,
    [Symbol.asyncDispose]: stop,
    internals: { core, api },
  };
}

/** Reloads `--client-crl-file` and `--peer-crl-file` when they change (crl-reload.ts). */
function watchCrlFiles(
  config: ResolvedMemberConfig,
  core: MemberCore,
  api: ClientApi,
  tls: ClientTlsOptions | undefined,
  peerCrl: readonly Buffer[],
  logger: Logger,
): CrlWatch[] {
  const watches: CrlWatch[] = [];
  const clientFile = config.clientTls?.crlFile ?? '';
  if (clientFile !== '' && tls !== undefined) {
    const apply = (crl: Buffer[]): void => api.setTls({ ...tls, crl });
    watches.push(watchCrlFile('clientCrlFile', clientFile, tls.crl ?? [], logger, apply));
  }
  const peerFile = config.peerTls?.crlFile ?? '';
  if (peerFile !== '') {
    const apply = (crl: Buffer[]): void => core.transport.setCrl(crl);
    watches.push(watchCrlFile('peerCrlFile', peerFile, peerCrl, logger, apply));
  }
  return watches;
}

/** Publishes this member's client URLs through Raft (retrying until a leader accepts it). */
function publishWhenLeaderKnown(
  core: MemberCore,
  clientUrls: readonly string[],
  logger: Logger,
  onPublished: () => void,
): void {
  const attempt = (): void => {
    core.replica
      .publishAttributes({ name: core.config.name, peerUrls: [], clientUrls: [...clientUrls] })
      .then(() => {
        logger.info('published client URLs', { clientUrls });
        onPublished();
      })
      .catch(() => {
        // Retry while the member runs (no leader yet); a stopped member stops trying.
        if (core.replica.isRunning()) core.timers.setTimeout(attempt, core.config.heartbeatIntervalMs * 5);
      });
  };
  attempt();
}
