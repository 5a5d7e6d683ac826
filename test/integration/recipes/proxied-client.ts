/**
 * A client that reaches the cluster only through TCP proxies of the test's own (one per member), so
 * a test can cut it off from every member at once while the cluster and other clients carry on.
 *
 * Every connection the client opens goes through its transport, which sends it to the proxy of the
 * member it names — including members the client learns of later (a NOT_LEADER answer names the
 * leader's own URL), and a URL with no proxy is refused: once cut, the client reaches nobody.
 */
import { Client, wsTransport, type ClientTransport } from '../../../client/index.js';
import { TcpProxy } from '../../cluster/tcp-proxy.js';
import { freePort } from '../../helpers/ports.js';

export class ProxiedClient {
  private constructor(
    readonly client: Client,
    private readonly proxies: readonly TcpProxy[],
  ) {}

  /** Starts one proxy per member URL (`http://127.0.0.1:port`) and a client behind them. */
  static async start(memberUrls: readonly string[], requestTimeoutMs = 8000): Promise<ProxiedClient> {
    const proxies: TcpProxy[] = [];
    const portOf = new Map<string, number>();
    for (const url of memberUrls) {
      const target = new URL(url);
      const proxy = new TcpProxy('127.0.0.1', await freePort(), target.hostname, Number(target.port));
      await proxy.start();
      proxies.push(proxy);
      portOf.set(target.port, proxy.listenPort);
    }
    const inner = wsTransport();
    const transport: ClientTransport = {
      connect: (url, options) => {
        const u = new URL(url);
        const port = portOf.get(u.port);
        if (port === undefined) return Promise.reject(new Error(`no proxy in front of ${url}`));
        u.port = String(port);
        return inner.connect(u.toString(), options);
      },
    };
    const client = new Client({
      endpoints: memberUrls,
      transport,
      requestTimeoutMs,
      backoff: { initialDelayMs: 20, maxDelayMs: 300 },
    });
    return new ProxiedClient(client, proxies);
  }

  /** Cuts the client off from every member: open connections are dropped, new ones refused. */
  cut(): void {
    for (const p of this.proxies) p.block();
  }

  heal(): void {
    for (const p of this.proxies) p.unblock();
  }

  async close(): Promise<void> {
    await this.client.close();
    for (const p of this.proxies) await p.close();
  }
}
