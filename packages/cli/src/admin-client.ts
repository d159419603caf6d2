/**
 * A small client for a server's admin API. The admin token comes from --admin-token,
 * JIEMA_ADMIN_TOKEN, or the local ./.jiema database that `jiema serve` keeps it in.
 */
import { localAdminToken } from './local-state.js';
import { CliError, EXIT } from './output.js';

export interface AdminArgs {
  baseUrl: string;
  adminToken: string | undefined;
  db: string;
  /** The server is the one the local files belong to: only then is their token sent. */
  local: boolean;
}

export function adminClient(args: AdminArgs) {
  const token = args.adminToken ?? (args.local ? localAdminToken(args.db) : undefined);
  if (!token) {
    throw new CliError(
      'No admin token: pass --admin-token or set JIEMA_ADMIN_TOKEN (a local `jiema serve` keeps one in ./.jiema).',
      EXIT.USAGE,
    );
  }
  const base = args.baseUrl.replace(/\/+$/, '');
  return async function call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: { 'x-admin-token': token, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new CliError(
        `Cannot reach ${base} (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}). Is the server running?`,
        EXIT.UNREACHABLE,
      );
    }
    const text = await res.text();
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError(`${base} answered ${res.status} with something that is not JSON; is it a jiema server?`, EXIT.FAILED);
    }
    if (!res.ok || parsed.ok === false) throw new CliError(`${parsed.code ?? res.status}: ${parsed.message ?? text}`, EXIT.FAILED, parsed);
    return parsed.data as T;
  };
}
