/**
 * The client's events work with Node's own helpers (`events.once`, `events.on`), as they do with
 * any EventEmitter; and the `logger` option takes a structured logger (pino's `(fields, message)`
 * level methods) as well as a function of one line.
 */
import { expect } from 'chai';
import { on, once } from 'node:events';
import {
  InvalidArgumentError,
  type ClientState,
  type ClientStatus,
  type LogFields,
  type StructuredLogger,
} from '../../../client/index.js';
import { rig, settle } from './helpers.js';

interface Records {
  readonly level: string;
  readonly fields: LogFields;
  readonly message: string;
}

/** A stand-in for pino: level methods taking the fields first, `this` bound to the logger. */
class RecordingLogger implements StructuredLogger {
  readonly records: Records[] = [];
  debug(fields: LogFields, message: string): void {
    this.record('debug', fields, message);
  }
  info(fields: LogFields, message: string): void {
    this.record('info', fields, message);
  }
  warn(fields: LogFields, message: string): void {
    this.record('warn', fields, message);
  }
  error(fields: LogFields, message: string): void {
    this.record('error', fields, message);
  }
  private record(level: string, fields: LogFields, message: string): void {
    this.records.push({ level, fields, message });
  }
}

describe('Client events', () => {
  describe('events.once', () => {
    it('resolves with the arguments of the next event, and removes its listeners', async () => {
      const { client } = rig();
      const next = once(client, 'state');
      await client.ready();
      const [state] = (await next) as [ClientState];
      expect(state).to.equal('connecting');
      expect(client.listenerCount('state')).to.equal(0);
      await client.close();
    });

    it('stops waiting when its signal aborts', async () => {
      const { client } = rig();
      const controller = new AbortController();
      const next = once(client, 'state', { signal: controller.signal });
      controller.abort();
      let error: unknown;
      try {
        await next;
      } catch (e) {
        error = e;
      }
      expect(error).to.have.property('name', 'AbortError');
      expect(client.listenerCount('state')).to.equal(0);
      await client.close();
    });
  });

  describe('events.on', () => {
    it('iterates status events until its signal aborts, then removes its listener', async () => {
      const { client } = rig();
      const before = client.listenerCount('status');
      const controller = new AbortController();
      const seen: ClientStatus['type'][] = [];
      const loop = (async () => {
        try {
          for await (const [status] of on(client, 'status', { signal: controller.signal })) {
            seen.push((status as ClientStatus).type);
            if ((status as ClientStatus).type === 'connected') controller.abort();
          }
        } catch (e) {
          if (!controller.signal.aborted) throw e;
        }
      })();
      await client.ready();
      await loop;
      expect(seen).to.deep.equal(['connecting', 'connected']);
      expect(client.listenerCount('status')).to.equal(before);
      await client.close();
    });
  });

  describe('#once / #removeListener', () => {
    it('calls a once listener one time, and removes it by the function that was passed', async () => {
      const { client, cluster, clock } = rig();
      const states: ClientState[] = [];
      const listener = (s: ClientState): void => void states.push(s);
      client.once('state', listener);
      const removed = (): void => {
        throw new Error('removed listener called');
      };
      client.once('state', removed);
      client.removeListener('state', removed);
      await client.ready();
      cluster.connectedMembers()[0]!.dropAll();
      await clock.advance(100);
      await settle();
      expect(states).to.deep.equal(['connecting']);
      expect(client.listenerCount('state')).to.equal(0);
      await client.close();
    });
  });
});

describe('Client logger option', () => {
  it('accepts a structured logger and calls its level methods with (fields, message)', async () => {
    const logger = new RecordingLogger();
    const { client, cluster, clock } = rig({ logger });
    cluster.member(1).down = true;
    await client.ready();
    cluster.connectedMembers()[0]!.dropAll();
    await clock.advance(100);
    await settle();
    const failed = logger.records.find((r) => r.message === 'connection attempt failed');
    expect(failed?.level).to.equal('warn');
    expect(failed?.fields).to.deep.include({ endpoint: 'ws://m1:2379/ws' });
    expect(String(failed?.fields['error'])).to.include('ECONNREFUSED');
    const connected = logger.records.find((r) => r.message === 'connected');
    expect(connected?.level).to.equal('info');
    expect(connected?.fields['endpoint']).to.match(/^ws:\/\/m[23]:2379\/ws$/);
    expect(logger.records.some((r) => r.level === 'warn' && r.message === 'disconnected')).to.equal(true);
    await client.close();
  });

  it('still accepts a function, which gets one line per record from info up', async () => {
    const lines: string[] = [];
    const { client, cluster } = rig({ logger: (line) => lines.push(line) });
    cluster.member(1).down = true;
    await client.ready();
    await client.close();
    expect(
      lines.some((l) => l.startsWith('warn connection attempt failed endpoint=ws://m1:2379/ws')),
    ).to.equal(true);
    expect(lines.some((l) => /^info connected endpoint=ws:\/\/m2:2379\/ws/.test(l))).to.equal(true);
    expect(lines.some((l) => l.startsWith('debug'))).to.equal(false);
  });

  it('refuses anything else at construction, naming the option', () => {
    const bad = { info: () => undefined } as unknown as StructuredLogger;
    let error: unknown;
    try {
      rig({ logger: bad });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).details.field).to.equal('logger');
  });
});
