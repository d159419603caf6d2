/**
 * The client's address, for the failed-authentication limiter and the logs: the socket's peer, or
 * — behind trusted reverse proxies — the address they report in X-Forwarded-For. Which proxies
 * are trusted is the operator's `--trust-proxy`: a hop count, or addresses and CIDR ranges
 * (docs/decisions.md D44). Every front end (Express and the lean dispatcher) uses this one function.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** false: never trust X-Forwarded-For; true: trust every hop; n: the nearest n hops; or addresses/CIDRs ("loopback", "10.0.0.0/8"). */
export type TrustProxy = boolean | number | string | readonly string[];

export type ClientAddress = (req: IncomingMessage) => string;

/** Parses `--trust-proxy` text: "1", "2", "true", "false", or a comma-separated list of addresses/CIDRs. */
export function parseTrustProxy(text: string): TrustProxy {
  const t = text.trim();
  if (t === '' || t === 'false' || t === '0') return false;
  if (t === 'true') return true;
  if (/^\d+$/.test(t)) return Number(t);
  const list = t
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  proxyaddr.compile(list); // throws a TypeError naming the bad entry
  return list;
}

export function createClientAddress(trust: TrustProxy | undefined): ClientAddress {
  const peer = (req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown';
  if (trust === undefined || trust === false || trust === 0) return peer;
  let fn: (addr: string, i: number) => boolean;
  if (trust === true) fn = () => true;
  else if (typeof trust === 'number') fn = (_a, i) => i < trust;
  else fn = proxyaddr.compile(typeof trust === 'string' ? trust.split(',').map((s) => s.trim()) : [...trust]);
  return (req) => {
    if (!req.socket.remoteAddress) return 'unknown';
    return proxyaddr(req, fn);
  };
}
