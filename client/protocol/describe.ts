/**
 * One stable line per frame for logs and transcripts. Keys are shown as JSON strings of their UTF-8
 * reading (lossy for binary keys) and cut at 40 characters; values only by size; auth tokens never.
 */
import type { ClientFrame, ServerFrame } from './frames.js';
import type { ErrorBody } from './errors.js';

const MAX_KEY_CHARS = 40;
const decoder = new TextDecoder('utf-8', { fatal: false });

function showKey(bytes: Uint8Array): string {
  const text = decoder.decode(bytes.subarray(0, MAX_KEY_CHARS * 4));
  return JSON.stringify(text.length > MAX_KEY_CHARS ? `${text.slice(0, MAX_KEY_CHARS)}…` : text);
}

function summarize(params: object): string {
  const parts: string[] = [];
  const p = params as Record<string, unknown>;
  if (p['key'] instanceof Uint8Array) parts.push(`key=${showKey(p['key'])}`);
  if (p['rangeEnd'] instanceof Uint8Array && p['rangeEnd'].length > 0)
    parts.push(`end=${showKey(p['rangeEnd'])}`);
  if (p['value'] instanceof Uint8Array) parts.push(`${p['value'].length}B`);
  if (Array.isArray(p['compare'])) {
    const count = (name: string): number => (Array.isArray(p[name]) ? (p[name] as unknown[]).length : 0);
    parts.push(`cmp=${count('compare')} ok=${count('success')} else=${count('failure')}`);
  }
  if (typeof p['id'] === 'number') parts.push(`lease=${p['id']}`);
  if (typeof p['revision'] === 'number' && p['revision'] > 0) parts.push(`rev=${p['revision']}`);
  if (typeof p['startRevision'] === 'number' && p['startRevision'] > 0)
    parts.push(`from=${p['startRevision']}`);
  if (typeof p['watchId'] === 'number' && p['watchId'] > 0) parts.push(`watch=${p['watchId']}`);
  return parts.length === 0 ? '' : ` ${parts.join(' ')}`;
}

function showError(error: ErrorBody): string {
  const field = error.details.field;
  return field === undefined ? error.code : `${error.code} ${field.replace(/[\u0000-\u001f]/g, '?')}`;
}

export function describeFrame(frame: ClientFrame | ServerFrame): string {
  switch (frame.type) {
    case 'hello':
      return `hello v${frame.protocolVersion} ${JSON.stringify(frame.clientName)}${frame.authToken === undefined ? '' : ' +token'}`;
    case 'request':
      return `request#${frame.id} ${frame.method}${summarize(frame.params)}`;
    case 'renew':
    case 'cancel':
      return `${frame.type}#${frame.id}`;
    case 'welcome':
      return `welcome v${frame.protocolVersion} member=${frame.header.memberId} rev=${frame.header.revision}`;
    case 'response':
      return 'error' in frame
        ? `response#${frame.id} ${frame.method} error ${showError(frame.error)}`
        : `response#${frame.id} ${frame.method} ok rev=${frame.result.header.revision}`;
    case 'watch':
      return frame.result.type === 'events'
        ? `watch#${frame.id} events=${frame.result.events.length}${frame.result.fragment ? '+' : ''} rev=${frame.result.header.revision}`
        : `watch#${frame.id} progress rev=${frame.result.header.revision}`;
    case 'watch_group':
      return frame.result.type === 'events'
        ? `watch_group#${frame.ids.length} ids events=${frame.result.events.length}${frame.result.fragment ? '+' : ''} rev=${frame.result.header.revision}`
        : `watch_group#${frame.ids.length} ids progress rev=${frame.result.header.revision}`;
    case 'keepalive':
      return 'error' in frame
        ? `keepalive#${frame.id} error ${showError(frame.error)}`
        : `keepalive#${frame.id} ttl=${frame.result.ttlSec}`;
    case 'snapshot':
      return `snapshot#${frame.id} ${frame.result.blob.length}B remaining=${frame.result.remainingBytes}`;
    case 'end':
      return frame.error === undefined ? `end#${frame.id}` : `end#${frame.id} ${showError(frame.error)}`;
    case 'notice':
      return frame.notice.kind === 'going_away'
        ? `notice going_away ${JSON.stringify(frame.notice.message)}`
        : `notice leader_changed leader=${frame.notice.leaderId} term=${frame.notice.header.raftTerm}`;
    case 'error':
      return `error ${showError(frame.error)}`;
  }
}
