import { expect } from 'chai';
import type { ClientState, ClientStatus } from '../../../client/index.js';
import { rig, settle, until } from './helpers.js';

describe('Client status', () => {
  describe("#on('state')", () => {
    it('reports connecting, connected, disconnected, connecting again, connected and closed', async () => {
      const { client, cluster, clock } = rig();
      const states: ClientState[] = [];
      client.on('state', (s) => states.push(s));
      await client.ready();
      cluster.connectedMembers()[0]!.dropAll();
      await until(clock, 'reconnected', () => client.state === 'connected' && states.length > 2, 50);
      await client.close();
      expect(states).to.deep.equal([
        'connecting',
        'connected',
        'disconnected',
        'connecting',
        'connected',
        'closed',
      ]);
    });
  });

  describe('#status', () => {
    it('yields typed status events and ends when the client closes', async () => {
      const { client } = rig();
      const seen: ClientStatus['type'][] = [];
      const done = (async () => {
        for await (const s of client.status()) seen.push(s.type);
      })();
      await client.ready();
      await client.close();
      await done;
      expect(seen).to.deep.equal(['connecting', 'connected', 'closed']);
    });
  });

  describe('reconnect loop', () => {
    context('when every member drops the connection right after accepting it', () => {
      it('backs off instead of reconnecting in a tight loop', async () => {
        const { client, cluster, clock } = rig({ backoff: { initialDelayMs: 100, maxDelayMs: 1000 } });
        for (const m of cluster.members) m.dropAfterWelcome = true;
        await client.ready().catch(() => undefined);
        for (let i = 0; i < 20; i++) await settle();
        const accepted = (): number => cluster.members.reduce((n, m) => n + m.accepted, 0);
        expect(accepted()).to.be.at.most(4);
        await clock.advance(10_000);
        // At most one attempt per backoff delay (≥ 500 ms once capped at 1000 ms with jitter).
        expect(accepted()).to.be.at.most(30);
        expect(accepted()).to.be.at.least(8);
        await client.close();
      });
    });
  });

  describe('going_away notice', () => {
    it('moves to another member without failing in-flight requests', async () => {
      const { client, cluster, clock } = rig();
      await client.put('k', 'v');
      const first = cluster.connectedMembers()[0]!;
      first.intercept = (f) => (f.method === 'kv.range' ? { action: 'hold' } : undefined);
      const read = client.getText('k');
      await settle();
      first.session.send({ type: 'notice', notice: { kind: 'going_away', message: 'bye' } });
      await until(clock, 'moved', () => client.endpoint !== undefined && client.endpoint !== first.url, 50);
      first.session.release();
      expect(await read).to.equal('v');
      await until(clock, 'old closed', () => first.sessions.size === 0, 50);
      await client.close();
    });
  });

  describe('#closed', () => {
    it('resolves (never rejects) once closed', async () => {
      const { client } = rig();
      const closed = client.closed();
      await client.close();
      expect(await closed).to.equal(undefined);
      await client.close();
    });
  });
});
