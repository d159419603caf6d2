/**
 * Notices when the database file a server has open is deleted or replaced underneath it
 * (docs/decisions.md D43). The server keeps writing to the open file either way, so without this
 * every write would "succeed" into a file nobody will see again. Checked on every tick, on every
 * health check and at least every second by the servers; a lost file is reported once in the
 * log, turns /healthz unhealthy and makes API requests answer 503 STORAGE_UNAVAILABLE.
 */
import { statSync } from 'node:fs';
import type { Logger } from '../logger.js';

type StorageStatus = { ok: true } | { ok: false; reason: 'missing' | 'replaced'; detail: string };

export interface StorageWatch {
  /** The file, or null for an in-memory database. */
  path: string | null;
  /** The last known status, without touching the disk (cheap: every request reads it). */
  status(): StorageStatus;
  /** Looks at the file now. */
  check(): StorageStatus;
}

const OK: StorageStatus = { ok: true };

export function createStorageWatch(path: string | null, log: Logger): StorageWatch {
  if (path === null) return { path, status: () => OK, check: () => OK };
  const identity = (): string | undefined => {
    try {
      const s = statSync(path);
      return `${s.dev}:${s.ino}`;
    } catch {
      return undefined;
    }
  };
  const opened = identity();
  let current: StorageStatus = OK;
  return {
    path,
    status: () => current,
    check() {
      if (!current.ok) return current; // once lost, lost until restart: the open file is not the one on disk
      const now = identity();
      if (now === opened) return current;
      current =
        now === undefined
          ? { ok: false, reason: 'missing', detail: `the database file ${path} was deleted while the server was running.` }
          : {
              ok: false,
              reason: 'replaced',
              detail: `the database file ${path} was replaced by another file while the server was running.`,
            };
      log.error({ event: 'db.file_lost', path, reason: current.reason, detail: current.detail });
      return current;
    },
  };
}
