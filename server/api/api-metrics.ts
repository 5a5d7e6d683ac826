/** The client API's own metric families, registered once per `startClientApi`. */
import type { Counter, CounterSeries, Gauge, MetricsRegistry } from './metrics.js';

export type Transport = 'ws' | 'http' | 'grpc';

export class ApiMetrics {
  private readonly connections: Gauge;
  private readonly requests: Counter;
  private readonly slowConsumers: Counter;
  private readonly malformedHttp2Connections: Counter;
  private readonly watchers: Gauge;
  private readonly keepAlives: Gauge;
  private wsConnections = 0;
  /** The requests counter's series by transport, method and code, looked up without allocating. */
  private readonly requestSeries = new Map<Transport, Map<string, Map<string, CounterSeries>>>();

  constructor(registry: MetricsRegistry, streams: () => { watchers: number; keepAlives: number }) {
    this.connections = registry.gauge('concord_client_connections', 'Open client WebSocket connections.');
    this.requests = registry.counter(
      'concord_client_requests_total',
      'Client requests answered, by transport, method and result code (OK or an error code).',
    );
    this.slowConsumers = registry.counter(
      'concord_client_slow_consumers_total',
      'Client connections closed because they did not read what the member sent.',
    );
    this.malformedHttp2Connections = registry.counter(
      'concord_client_http2_malformed_total',
      'HTTP/2 client connections closed because their frames or header blocks could not be followed.',
    );
    this.watchers = registry.gauge(
      'concord_client_watchers',
      'Open watches of clients (WebSocket and HTTP gateway).',
    );
    this.keepAlives = registry.gauge(
      'concord_client_keepalive_streams',
      'Open lease keep-alive streams of clients.',
    );
    this.connections.set(0);
    registry.addCollector(() => {
      const s = streams();
      this.watchers.set(s.watchers);
      this.keepAlives.set(s.keepAlives);
    });
  }

  connectionOpened(): void {
    this.connections.set(++this.wsConnections);
  }

  connectionClosed(): void {
    this.connections.set(--this.wsConnections);
  }

  observe(transport: Transport, method: string, code: string): void {
    let byMethod = this.requestSeries.get(transport);
    if (byMethod === undefined) this.requestSeries.set(transport, (byMethod = new Map()));
    let byCode = byMethod.get(method);
    if (byCode === undefined) byMethod.set(method, (byCode = new Map()));
    let series = byCode.get(code);
    if (series === undefined) byCode.set(code, (series = this.requests.series({ transport, method, code })));
    series.inc();
  }

  malformedHttp2(): void {
    this.malformedHttp2Connections.inc();
  }

  slowConsumer(): void {
    this.slowConsumers.inc();
  }
}
