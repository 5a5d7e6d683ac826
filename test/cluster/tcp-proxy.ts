/**
 * A TCP proxy of the tests' own, put in front of a member's peer port to cut links. Each member
 * dials its peers from its own loopback address (127.0.0.N), so the proxy knows which member a
 * connection comes from and can block some sources and not others: a symmetric partition blocks
 * both directions' proxies, a one-way loss only one.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly blocked = new Set<string>();
  private blockAll = false;

  constructor(
    readonly listenHost: string,
    readonly listenPort: number,
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.listenPort, this.listenHost, () => resolve());
    });
  }

  private accept(client: Socket): void {
    const source = client.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    if (this.blockAll || this.blocked.has(source)) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    const pair = [client, upstream];
    for (const s of pair) {
      this.sockets.add(s);
      (s as Socket & { concordSource?: string }).concordSource = source;
      s.on('error', () => {
        for (const p of pair) p.destroy();
      });
      s.on('close', () => {
        this.sockets.delete(s);
        for (const p of pair) p.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Refuse (and cut) connections from `sourceHost`; undefined blocks everyone. */
  block(sourceHost?: string): void {
    if (sourceHost === undefined) this.blockAll = true;
    else this.blocked.add(sourceHost);
    for (const s of this.sockets) {
      const src = (s as Socket & { concordSource?: string }).concordSource;
      if (sourceHost === undefined || src === sourceHost) s.destroy();
    }
  }

  unblock(): void {
    this.blockAll = false;
    this.blocked.clear();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server === undefined ? resolve() : this.server.close(() => resolve()),
    );
  }
}
