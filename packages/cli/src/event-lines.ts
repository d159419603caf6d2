/**
 * One readable line per simulator event (`jiema events`, and the request lines `jiema serve`
 * prints on a terminal), and pino's JSON log lines made readable (`--log-format pretty`).
 */

export interface EventLike {
  seq: number;
  at: string;
  type: string;
  data: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

/** The event log's own readers (`jiema events --follow` polls twice a second): left out of the lines people watch. */
export function isEventPoll(e: EventLike): boolean {
  return e.type === 'api.request' && typeof e.data.path === 'string' && e.data.path.startsWith('/_sim/v1/events');
}

const time = (iso: string) => iso.slice(11, 23);
const pair = (d: Record<string, unknown>) =>
  d.service !== undefined ? `${String(d.service)}${d.country !== undefined ? `/${String(d.country)}` : ''}` : '';

/** `12:00:05.120  api       POST /api/v1/orders → 200  4 ms  jm_…abcd` */
export function eventLine(e: EventLike): string {
  const d = e.data;
  const [kind] = e.type.split('.');
  let text: string;
  switch (e.type) {
    case 'api.request':
      text = `${String(d.method)} ${String(d.path)} → ${String(d.status)}${e.meta?.ms !== undefined ? `  ${Math.round(Number(e.meta.ms))} ms` : ''}${e.meta?.key ? `  ${String(e.meta.key)}` : ''}`;
      break;
    case 'order.status':
      text = `${String(d.orderId)} ${pair(d)}  ${d.from ? `${String(d.from)} → ` : 'new, '}${String(d.status)}`;
      break;
    case 'upstream.call':
      text = `${String(d.method)}${pair(d) ? ` ${pair(d)}` : ''} → ${String(d.outcome)}`;
      break;
    case 'sms.delivered':
      text = `SMS #${String(d.n)} to activation ${String(d.activationId)} (${pair(d)})`;
      break;
    case 'sms.dropped':
      text = `SMS dropped for activation ${String(d.activationId)}: ${String(d.reason)}`;
      break;
    case 'number.banned':
      text = `number of activation ${String(d.activationId)} banned`;
      break;
    case 'clock.advance':
      text = `advanced ${duration(Number(d.ms))}`;
      break;
    case 'fault.armed':
      text = `armed ${String(d.faultId)}: ${String(d.kind)} on ${String(d.method)}`;
      break;
    case 'fault.fired':
      text = `fired ${String(d.faultId)}: ${String(d.kind)} on ${String(d.method)}`;
      break;
    case 'fault.cleared':
      text = `cleared ${d.faultId ? String(d.faultId) : `${String(d.cleared)} fault(s)`}`;
      break;
    case 'stock.set':
      text = `${pair(d)} = ${String(d.count)}`;
      break;
    case 'user.created':
      text = `user ${String(d.userId)} created`;
      break;
    case 'reset':
      text = `the simulator started over${d.seed !== undefined ? ` (seed ${String(d.seed)})` : ''}`;
      break;
    default:
      text = Object.keys(d).length ? JSON.stringify(d) : '';
  }
  return `${time(e.at)}  ${(kind === 'api' ? 'request' : (kind ?? e.type)).padEnd(9)} ${text}`.trimEnd();
}

function duration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

const LEVEL_NAMES: Record<string, string> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO ',
  warn: 'WARN ',
  error: 'ERROR',
  fatal: 'FATAL',
};

/** A pino destination that writes `12:00:05.120 WARN  event  key=value … msg` instead of JSON. */
export function prettyLogDestination(out: NodeJS.WritableStream): { write(line: string): void } {
  return {
    write(line: string) {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const { time: t, level, event, msg, ...rest } = o;
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
        .join(' ');
      out.write(
        `${typeof t === 'string' ? time(t) : ''} ${LEVEL_NAMES[String(level)] ?? String(level)} ${event ? String(event) : ''}${fields ? `  ${fields}` : ''}${msg ? `  ${String(msg)}` : ''}\n`,
      );
    },
  };
}
