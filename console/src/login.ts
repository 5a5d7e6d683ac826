/**
 * The login form shown when the member has access control on. The credentials are checked with
 * one authenticate call, then handed to a new session (session.ts) that keeps them in memory only;
 * nothing is written to cookies or storage, so a reload asks again.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Client } from '../../client/index.js';
import type { Credentials } from './session.js';
import { describe } from './util.js';

export function Login({ client, onLogin }: { client: Client; onLogin: (c: Credentials) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // the token is dropped: the session's client authenticates on each connection it opens
      await client.auth.authenticate(username, password);
      setPassword('');
      onLogin({ username, password });
    } catch (err) {
      setError(describe(err));
      setBusy(false);
    }
  };
  return html`
    <h2>Log in</h2>
    <p class="muted">Access control is on: the console shows what your user may read.</p>
    <form class="login" data-testid="login" onSubmit=${(e: Event) => void submit(e)}>
      <label
        >User
        <input
          type="text"
          autocomplete="username"
          data-testid="login-user"
          value=${username}
          onInput=${(e: Event) => setUsername((e.target as HTMLInputElement).value)}
      /></label>
      <label
        >Password
        <input
          type="password"
          autocomplete="current-password"
          data-testid="login-password"
          value=${password}
          onInput=${(e: Event) => setPassword((e.target as HTMLInputElement).value)}
      /></label>
      <button type="submit" data-testid="login-submit" disabled=${busy || username === ''}>Log in</button>
    </form>
    ${error !== undefined && html`<p class="error" data-testid="login-error">${error}</p>`}
  `;
}
