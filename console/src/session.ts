/**
 * The console's connection to the cluster: the client of the member that served the page, and
 * clients of the other members for their own status (each member answers status for itself
 * only). Credentials, when access control is on, live in this object alone: never in cookies or
 * storage, so a reload asks again.
 */
import { Client, nativeWebSocketTransport } from '../../client/index.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface Session {
  /** Distinct per session opened by this page (views are re-created on a new session). */
  readonly id: number;
  /** The member serving this page. */
  readonly client: Client;
  /** The user logged in, undefined without access control. */
  readonly user: string | undefined;
  /** A client of the member at `urls` alone, with this session's credentials; the caller closes it. */
  memberClient(urls: readonly string[]): Client;
  /** Closes the page's client (member clients are closed by whoever asked for them). */
  close(): Promise<void>;
}

let opened = 0;

export function openSession(credentials?: Credentials): Session {
  const auth = credentials === undefined ? {} : { auth: { ...credentials } };
  const connect = (endpoints: readonly string[]): Client =>
    new Client({
      endpoints: [...endpoints],
      // Stay on the member asked: reads need no leader here, and a status is that member's own.
      routing: 'any',
      transport: nativeWebSocketTransport(),
      ...auth,
    });
  // The page's own origin: its Content-Security-Policy allows it, whatever the URL used.
  const client = connect([location.origin]);
  return {
    id: ++opened,
    client,
    user: credentials?.username,
    memberClient: connect,
    close: () => client.close(),
  };
}
