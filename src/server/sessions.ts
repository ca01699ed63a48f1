// Dashboard sessions kept on the server: the cookie holds a random id, never anything derived from
// a token, so signing out ends the session for good. Each session carries its CSRF token (every
// form posts it back) and a one-time notice for the page after an action (never read from the URL).
import { randomBytes } from 'node:crypto';

export type Role = 'viewer' | 'operator' | 'admin';

/** Who is asking: the token's name and role, and the connections it may see (null: all). */
export interface Principal {
  name: string;
  role: Role;
  connections: readonly string[] | null;
}

export interface Session {
  id: string;
  csrf: string;
  principal: Principal;
  expiresAtMs: number;
  /** Shown once on the next page, then dropped. */
  notice: { text: string; ok: boolean } | null;
}

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 10_000;

const randomId = (): string => randomBytes(32).toString('base64url');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  create(principal: Principal): Session {
    // The oldest sessions go first when a flood of sign-ins would grow the map without bound.
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const session: Session = {
      id: randomId(),
      csrf: randomId(),
      principal,
      expiresAtMs: this.now() + SESSION_TTL_MS,
      notice: null,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string | null): Session | null {
    if (id === null) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (session.expiresAtMs <= this.now()) {
      this.sessions.delete(id);
      return null;
    }
    return session;
  }

  destroy(id: string | null): void {
    if (id !== null) this.sessions.delete(id);
  }
}
