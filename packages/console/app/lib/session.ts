/** Who the console is signed in as, and the ways in and out (docs/decisions.md D111). */
import { ApiError, api, get, setCsrfToken, whenSignedOut } from './api.js';
import { createStore } from './store.js';
import type { SessionInfo } from './types.js';

export interface SessionState {
  info: SessionInfo | undefined;
  /** Why the sign-in page is shown, for a person. */
  notice: string | undefined;
}

export const session = createStore<SessionState>({ info: undefined, notice: undefined });

function adopt(info: SessionInfo, notice?: string): SessionInfo {
  setCsrfToken(info.csrfToken);
  session.set({ info, notice });
  return info;
}

export async function loadSession(notice?: string): Promise<SessionInfo> {
  return adopt(await get<SessionInfo>('/console/v1/session'), notice);
}

whenSignedOut(() => {
  const info = session.get().info;
  if (info?.signedIn) void loadSession('Your session has ended (signed out elsewhere, expired, or its key was revoked). Sign in again.');
});

/** Signs in with an API key (jm_…: the account pages) or the admin token (the operator pages). */
export async function signIn(secret: string): Promise<SessionInfo> {
  const value = secret.trim();
  const asKey = value.startsWith('jm_');
  const info = await api<SessionInfo>('POST', asKey ? '/console/v1/session' : '/console/v1/session/operator', {
    headers: asKey ? { Authorization: `Bearer ${value}` } : { 'X-Admin-Token': value },
    body: {},
    quiet401: true,
  });
  return adopt(info);
}

/** The one-time token of the link `jiema serve` printed (in the URL's fragment, never sent elsewhere). */
export async function signInWithLink(token: string): Promise<void> {
  try {
    adopt(await api<SessionInfo>('POST', '/console/v1/session/token', { body: { token }, quiet401: true }));
  } catch (err) {
    await loadSession(err instanceof ApiError ? err.message : 'That sign-in link did not work.');
  }
}

export async function signOut(): Promise<void> {
  await api('DELETE', '/console/v1/session').catch(() => undefined);
  setCsrfToken(undefined);
  await loadSession('You are signed out.');
}

export async function viewAs(userId: string): Promise<void> {
  adopt(await api<SessionInfo>('PUT', '/console/v1/session/user', { body: { userId } }));
}
