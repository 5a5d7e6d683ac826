/**
 * The Concord console: a read-only view of the cluster, keys, leases, locks and queues, talking to
 * the member that served this page through the SDK's browser WebSocket transport.
 */
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { ClientState } from '../../client/index.js';
import { ClusterView } from './cluster.js';
import { openSession } from './session.js';
import { KeysView } from './keys.js';
import { LeasesView } from './leases.js';
import { LocksView } from './locks.js';
import { QueuesView } from './queues.js';
import { RwLocksView } from './rwlocks.js';
import { ElectionsView } from './elections.js';
import { SemaphoresView } from './semaphores.js';
import { ServicesView } from './services.js';
import { ConfigsView } from './configs.js';

const session = openSession();
const client = session.client;

const VIEWS = {
  cluster: { title: 'Cluster', view: ClusterView },
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

function App() {
  const [view, setView] = useState<ViewName>(currentView());
  const [state, setState] = useState<ClientState>(client.state);
  useEffect(() => {
    const onHash = (): void => setView(currentView());
    window.addEventListener('hashchange', onHash);
    const onState = (s: ClientState): void => setState(s);
    client.on('state', onState);
    return () => {
      window.removeEventListener('hashchange', onHash);
      client.off('state', onState);
    };
  }, []);
  const View = VIEWS[view].view;
  return html`
    <header>
      <h1>Concord</h1>
      <nav>
        ${Object.entries(VIEWS).map(
          ([name, v]) =>
            html`<a href=${`#/${name}`} class=${name === view ? 'active' : ''} data-view=${name}
              >${v.title}</a
            >`,
        )}
      </nav>
      <span class="conn" data-testid="conn-state">${location.host} · ${state}</span>
    </header>
    <main data-testid=${`view-${view}`}>
      <${View} client=${client} session=${session} />
    </main>
  `;
}

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
