/**
 * Leases: grant, attach keys, keep alive with `await using`, react when the lease is lost; and a
 * session (a lease kept alive for the life of the session, the base of every recipe).
 *
 *   npm start
 *   npm run build && node dist/examples/lease-keepalive.js
 */
import { Client, LeaseLostError } from '../client/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');

async function main(): Promise<void> {
  await using client = new Client({ endpoints });

  const grant = await client.lease.grant(5);
  console.log(`lease ${grant.id} granted for ${grant.ttlSec} s`);
  {
    // Renewed every TTL/3 until the end of this block, which revokes it (deleting its keys).
    await using ka = await client.lease.keepAlive(grant.id);
    ka.signal.addEventListener('abort', () => {
      const reason: unknown = ka.signal.reason;
      if (reason instanceof LeaseLostError) console.log(`lease lost: ${reason.reason}`);
    });
    await client.put('examples/ephemeral', 'alive', { lease: ka.id });
    const ttl = await client.lease.timeToLive(ka.id, { keys: true });
    console.log(`ttl ${ttl.ttlSec} s, ${ttl.keys.length} key(s) attached`);
  }
  console.log(
    `after revoke: ${(await client.get('examples/ephemeral')) === undefined ? 'key gone' : 'key still there'}`,
  );

  // A session: pass session.signal to work done on its behalf.
  await using session = await client.session({ ttlSec: 10 });
  await client.put('examples/members/me', 'here', { lease: session.leaseId, signal: session.signal });
  console.log(`session ${session.leaseId} holds examples/members/me; lost? ${session.isLost}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
