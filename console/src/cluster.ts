/** Cluster: the members, which one leads, and the connected member's raft and storage state. */
import { html } from 'htm/preact';
import type { Client, MemberListResponse, StatusResponse } from '../../client/index.js';
import { useMemberStatuses, type MemberStatus } from './member-status.js';
import type { Session } from './session.js';
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

function statusCells(s: MemberStatus | undefined) {
  if (s === undefined) return html`<td colspan="5" class="muted">reading…</td>`;
  if (!s.ok)
    return html`<td colspan="5">
      <span class="badge alarm" data-testid="member-unreachable">unreachable</span>
      <span class="muted">${s.error}</span>
    </td>`;
  const st = s.status;
  return html`
    <td data-testid="member-term">${st.raftTerm}</td>
    <td data-testid="member-raft-index">${st.raftIndex}</td>
    <td data-testid="member-applied-index">${st.raftAppliedIndex}</td>
    <td data-testid="member-db-size">${bytes(st.dbSizeBytes)}</td>
    <td data-testid="member-health">
      ${st.errors.length === 0 ? html`<span class="badge ok">healthy</span>` : st.errors.map((e) => html`<span class="badge alarm">${e}</span> `)}
    </td>
  `;
}

export function ClusterView({ client, session }: { client: Client; session: Session }) {
  const polled = usePoll<ClusterRead>(async (signal) => {
    const [members, status] = await Promise.all([
      client.memberList({ signal }),
      client.memberStatus({ signal }),
    ]);
    return { members, status };
  }, []);
  const { data, error } = polled;
  const statuses = useMemberStatuses(session, data?.members.members);
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
          <th>Term</th>
          <th>Raft index</th>
          <th>Applied index</th>
          <th>DB size</th>
          <th>Alarms / health</th>
          <th>Client URLs</th>
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
              ${statusCells(m.id === self ? { ok: true, status } : statuses?.get(m.id))}
              <td class="mono">${m.clientUrls.join(', ')}</td>
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
      Each member's numbers are read from that member (its own status), at most a second old; a member that
      does not answer within 1.5 s is shown as unreachable. A member that is down stays in the list
      (membership does not change when a process dies) and loses the leader mark when a new leader is elected.
    </p>
  `;
}
