/**
 * The gRPC door (grpc/door.ts) loaded after the boot instead of at start: its modules —
 * @grpc/grpc-js and the protobuf descriptors of every etcd service — were a fifth of a member's
 * module loading (docs/performance.md, "Boot at 1M keys, step by step"), on the restart's
 * critical path. The member starts loading it once its boot is done (`ClientApi.warmUp`), while
 * the first election runs, so neither the boot nor a first gRPC request waits for it. (Loading it
 * only at the first connection stalled a serving leader's event loop for the modules' evaluation:
 * seconds on a loaded machine, enough for an election.)
 *
 * A connection that arrives while the modules load waits, paused with the bytes it sent held (the
 * listener hands sockets over paused: listener-routing.ts), so nothing is lost or reordered; one
 * that closes meanwhile is dropped. A failed load (a broken install) ends such connections and is
 * logged; the next connection tries again.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from '../platform/logger.js';
import type { GrpcDoor } from './grpc/door.js';

export class LazyGrpcDoor {
  private door: GrpcDoor | undefined;
  private loading: Promise<GrpcDoor> | undefined;
  private closing = false;

  constructor(
    private readonly load: () => Promise<GrpcDoor>,
    private readonly logger: Logger,
  ) {}

  streamCounts(): { watchers: number; keepAlives: number } {
    return this.door?.streamCounts() ?? { watchers: 0, keepAlives: 0 };
  }

  inject(socket: Duplex): void {
    if (this.door !== undefined) {
      this.door.inject(socket);
      return;
    }
    if (this.closing) {
      socket.destroy();
      return;
    }
    // Until the door owns the socket, an error on it must not go unhandled (it would end the process).
    const onError = (): void => undefined;
    socket.on('error', onError);
    this.loaded().then(
      (door) => {
        socket.off('error', onError);
        if (socket.destroyed) return;
        door.inject(socket); // a door closed meanwhile destroys it
      },
      (err: unknown) => {
        socket.off('error', onError);
        this.logger.error('the gRPC door could not be loaded', { error: err });
        socket.destroy();
      },
    );
  }

  /** Starts loading the door now, if it is not loaded yet; a failure is logged (the next connection retries). */
  preload(): void {
    if (this.door !== undefined || this.closing) return;
    this.loaded().catch((err: unknown) =>
      this.logger.warn('the gRPC door could not be loaded', { error: err }),
    );
  }

  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const door = this.door ?? (await this.loading?.catch(() => undefined));
    await door?.close(graceMs);
  }

  private loaded(): Promise<GrpcDoor> {
    this.loading ??= this.load().then(
      (door) => {
        this.door = door;
        return door;
      },
      (err: unknown) => {
        this.loading = undefined;
        throw err;
      },
    );
    return this.loading;
  }
}
