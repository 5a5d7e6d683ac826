/** Cluster: the members, which one leads, and the connected member's raft and storage state. */
import { html } from 'htm/preact';
import type { Client, MemberListResponse, StatusResponse } from '../../client/index.js';
import { bytes, hexId, usePoll } from './util.js';

/** Written as one string: htm drops whitespace that spans a line break. */
function dbSize(s: StatusResponse): string {
  const quota = s.dbSizeQuotaBytes > 0 ? `, quota ${bytes(s.dbSizeQuotaBytes)}` : '';
  return `${bytes(s.dbSizeBytes)} (in use ${bytes(s.dbSizeInUseBytes)}${quota})`;
}

interface ClusterRead {
  readonly members: MemberListResponse;
  readonly status: StatusResponse;
}

export function ClusterView({ client }: { client: Client }) {
  const polled = usePoll<ClusterRead>(async (signal) => {
    const [members, status] = await Promise.all([
      client.memberList({ signal }),
      client.memberStatus({ signal }),
    ]);
    return { members, status };
  }, []);
  const { data, error } = polled;
  if (data === undefined)
    return html`<h2>Cluster</h2>
      <p class=${error ? 'error' : 'muted'}>${error ?? 'Reading…'}</p>`;
  const { members, status } = data;
  const self = status.header.memberId;
  const leader = members.members.find((m) => m.id === status.leader);
  return html`
    <h2>Cluster</h2>
    ${error !== undefined && html`<p class="error" data-testid="cluster-error">Last read failed: ${error}</p>`}
    <p>
      <span class="stat"
        >Leader<b data-testid="leader-name"
          >${leader?.name ?? (status.leader === 0 ? 'none' : hexId(status.leader))}</b
        ></span
      >
      <span class="stat">Term<b data-testid="raft-term">${status.raftTerm}</b></span>
      <span class="stat">Members<b>${members.members.length}</b></span>
      <span class="stat">Cluster<b class="mono">${hexId(status.header.clusterId)}</b></span>
    </p>
    <table data-testid="members">
      <thead>
        <tr>
          <th>Name</th>
          <th>Id</th>
          <th>Role</th>
          <th>Client URLs</th>
          <th>Peer URLs</th>
        </tr>
      </thead>
      <tbody>
        ${members.members.map(
          (m) => html`
            <tr data-member=${m.name} data-leader=${m.id === status.leader ? 'true' : 'false'}>
              <td>
                ${m.name || html`<span class="muted">(not started)</span>`}
                ${m.id === self && html` <span class="badge self">this member</span>`}
              </td>
              <td class="mono">${hexId(m.id)}</td>
              <td>
                ${
                  m.id === status.leader
                    ? html`<span class="badge leader">leader</span>`
                    : m.isLearner
                      ? 'learner'
                      : 'follower'
                }
              </td>
              <td class="mono">${m.clientUrls.join(', ')}</td>
              <td class="mono">${m.peerUrls.join(', ')}</td>
            </tr>
          `,
        )}
      </tbody>
    </table>
    <h3>This member (${members.members.find((m) => m.id === self)?.name ?? hexId(self)})</h3>
    <table data-testid="member-status">
      <tbody>
        <tr>
          <th>Raft term</th>
          <td>${status.raftTerm}</td>
        </tr>
        <tr>
          <th>Raft index</th>
          <td data-testid="raft-index">${status.raftIndex}</td>
        </tr>
        <tr>
          <th>Applied index</th>
          <td data-testid="applied-index">${status.raftAppliedIndex}</td>
        </tr>
        <tr>
          <th>Store revision</th>
          <td>${status.header.revision}</td>
        </tr>
        <tr>
          <th>DB size</th>
          <td>${dbSize(status)}</td>
        </tr>
        <tr>
          <th>Alarms / health</th>
          <td data-testid="alarms">
            ${status.errors.length === 0 ? html`<span class="muted">none</span>` : status.errors.map((e) => html`<span class="badge alarm">${e}</span> `)}
          </td>
        </tr>
        <tr>
          <th>Version</th>
          <td>
            Concord ${status.concordVersion} (etcd API ${status.version}, storage ${status.storageVersion})
          </td>
        </tr>
      </tbody>
    </table>
    <p class="note">
      Raft index, applied index, size and alarms are shown for the member serving this page only: the
      WebSocket API answers status for the connected member, and the page's security policy lets it talk to
      its own origin alone. Open the console on another member (its client URL + /ui) to see that member's
      numbers; a member that is down still appears in the list (membership does not change when a process
      dies) and loses the leader mark when a new leader is elected.
    </p>
  `;
}
