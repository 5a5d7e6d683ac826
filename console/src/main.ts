/**
 * The Concord console: the cluster, keys, leases and every recipe, talking to the member that
 * served this page through the SDK's browser WebSocket transport. With access control on, it asks
 * for a user first and then shows what that user may read.
 */
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { ClientState } from '../../client/index.js';
import { ClusterView } from './cluster.js';
import { ConfigsView } from './configs.js';
import { ElectionsView } from './elections.js';
import { KeysView } from './keys.js';
import { LeasesView } from './leases.js';
import { LocksView } from './locks.js';
import { Login } from './login.js';
import { MetricsView } from './metrics.js';
import { QueuesView } from './queues.js';
import { RwLocksView } from './rwlocks.js';
import { SemaphoresView } from './semaphores.js';
import { ServicesView } from './services.js';
import { openSession, type Credentials, type Session } from './session.js';

const VIEWS = {
  cluster: { title: 'Cluster', view: ClusterView },
  metrics: { title: 'Metrics', view: MetricsView },
  keys: { title: 'Keys', view: KeysView },
  leases: { title: 'Leases', view: LeasesView },
  locks: { title: 'Locks', view: LocksView },
  rwlocks: { title: 'RW locks', view: RwLocksView },
  elections: { title: 'Elections', view: ElectionsView },
  semaphores: { title: 'Semaphores', view: SemaphoresView },
  queues: { title: 'Queues', view: QueuesView },
  services: { title: 'Services', view: ServicesView },
  config: { title: 'Config', view: ConfigsView },
} as const;
type ViewName = keyof typeof VIEWS;

function currentView(): ViewName {
  const name = location.hash.replace(/^#\/?/, '');
  return name in VIEWS ? (name as ViewName) : 'cluster';
}

/** 'on': the member has access control on (a user must log in); unknown until asked. */
type AuthMode = 'checking' | 'on' | 'off';

function App() {
  const [view, setView] = useState<ViewName>(currentView());
  const [session, setSession] = useState<Session>(() => openSession());
  const [state, setState] = useState<ClientState>(session.client.state);
  const [auth, setAuth] = useState<AuthMode>('checking');
  useEffect(() => {
    const onHash = (): void => setView(currentView());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    const onState = (s: ClientState): void => setState(s);
    session.client.on('state', onState);
    setState(session.client.state);
    const ac = new AbortController();
    session.client.auth.status({ signal: ac.signal }).then(
      (s) => setAuth(s.enabled ? 'on' : 'off'),
      // not known (the member is unreachable): the views say what fails
      () => !ac.signal.aborted && setAuth('off'),
    );
    return () => {
      ac.abort();
      session.client.off('state', onState);
    };
  }, [session]);
  const switchTo = (credentials: Credentials | undefined): void => {
    const old = session;
    setAuth('checking');
    setSession(openSession(credentials));
    void old.close();
  };
  const loggedOut = auth === 'on' && session.user === undefined;
  const View = VIEWS[view].view;
  return html`
    <header>
      <h1>Concord</h1>
      <nav>
        ${
          auth !== 'checking' &&
          !loggedOut &&
          Object.entries(VIEWS).map(
            ([name, v]) =>
              html`<a href=${`#/${name}`} class=${name === view ? 'active' : ''} data-view=${name}
                >${v.title}</a
              >`,
          )
        }
      </nav>
      <span class="conn" data-testid="conn-state">${`${location.host} · ${state}`}</span>
      ${
        session.user !== undefined &&
        html`<span class="conn" data-testid="user">${session.user}</span>
          <button type="button" class="logout" data-testid="logout" onClick=${() => switchTo(undefined)}>
            Log out
          </button>`
      }
    </header>
    <main data-testid=${auth === 'checking' ? 'view-checking' : loggedOut ? 'view-login' : `view-${view}`}>
      ${
        auth === 'checking'
          ? html`<p class="muted">Connecting…</p>`
          : loggedOut
            ? html`<${Login} client=${session.client} onLogin=${(c: Credentials) => switchTo(c)} />`
            : html`<${View} key=${session.id} client=${session.client} session=${session} />`
      }
    </main>
  `;
}

const root = document.getElementById('app');
if (root !== null) {
  // keep the root's attributes (data-writes); replace only the loading text
  root.textContent = '';
  render(html`<${App} />`, root);
}
