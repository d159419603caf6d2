/**
 * Runs an app on a real HTTP server, with the scheduler that calls `engine.tick()` (the engine
 * has no timers of its own) and a graceful close that stops taking requests, finishes the
 * current tick and closes the database.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Engine } from './engine.js';
import type { JiemaApp } from './http/app.js';
import { createJsonHttpServer } from './http/json-http-server.js';

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenOptions {
  port?: number;
  host?: string;
  /** How often the scheduler calls tick(); 0 for none (a virtual clock drives it instead). Default 1000. */
  tickMs?: number;
  /**
   * How often the provider balance is read (docs/decisions.md D103), starting now; 0 for never.
   * Default 60000 when the scheduler runs (tickMs > 0), else 0.
   */
  balanceEveryMs?: number;
}

/** Listens on host:port; rejects with the socket error (EADDRINUSE, EACCES) instead of crashing. */
export function bindServer(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function listen(app: JiemaApp, engine: Engine, options: ListenOptions = {}): Promise<RunningServer> {
  const server = createJsonHttpServer(app.handler);
  await bindServer(server, options.port ?? 0, options.host ?? '127.0.0.1');
  const tickMs = options.tickMs ?? 1_000;
  const timer =
    tickMs > 0
      ? setInterval(() => void engine.tick().catch((err) => engine.log.error({ event: 'tick.failed', error: String(err) })), tickMs)
      : undefined;
  timer?.unref();
  const balanceEveryMs = options.balanceEveryMs ?? (tickMs > 0 ? 60_000 : 0);
  const readBalance = () => void engine.balance.refresh();
  if (balanceEveryMs > 0) readBalance();
  const balanceTimer = balanceEveryMs > 0 ? setInterval(readBalance, balanceEveryMs) : undefined;
  balanceTimer?.unref();
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    url: `http://${host}:${port}`,
    close() {
      closing ??= (async () => {
        if (timer) clearInterval(timer);
        if (balanceTimer) clearInterval(balanceTimer);
        // Live feeds would keep the server open forever.
        app.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await engine.tick().catch(() => undefined);
      })();
      return closing;
    },
  };
}
