/**
 * What a server listening beyond this machine exposes, said once at start (docs/decisions.md D47).
 */
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

/** A warning naming what is reachable from the network, or undefined on a loopback address. */
export function exposureWarning(host: string, simulator: boolean): string | undefined {
  if (isLoopback(host)) return undefined;
  const parts = [
    'the jiema API (/api/v1)',
    'the admin API (/admin/v1: users, balances, keys — guarded only by the admin token)',
    ...(simulator
      ? [
          'the simulator control API (/_sim/v1: clock, faults, SMS, reset — admin token)',
          'the fake upstream protocol facades (/stubs/handler_api.php and /v1/… — the facade key)',
        ]
      : []),
  ];
  return `jiema: warning: listening on ${host} exposes to every network this machine is on: ${parts.join('; ')}. Put it behind a reverse proxy with TLS, or use --host 127.0.0.1.`;
}
