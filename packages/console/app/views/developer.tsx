/**
 * The developer view of the simulator: every order live (status, service, country, phone, price,
 * age), an inbox of SMS with the code marked, the request journal and the simulator's event log,
 * and its controls — deliver an SMS, the virtual clock, faults, stock, reset. Everything updates
 * from the live feed, without a reload.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { attempt, ConfirmButton, CopyButton, notify, Section, SmsText, Status, SubNav } from '../components/ui.js';
import { VirtualTable } from '../components/virtual-table.js';
import { del, get, post, put } from '../lib/api.js';
import { age, clockTime, dateTime, dollars } from '../lib/format.js';
import { openLive } from '../lib/live.js';
import { serverNow, setServerClock } from '../lib/server-clock.js';
import { createStore, useStore } from '../lib/store.js';
import type { ConsoleOrder, Page, SimEvent } from '../lib/types.js';

interface Clock {
  now: string;
  nowMs: number;
  mode: string;
  speed: number;
}

/** What the developer view holds; kept between visits to its pages. */
const orders = createStore<Map<string, ConsoleOrder>>(new Map());
const events = createStore<SimEvent[]>([]);
const clock = createStore<{ clock: Clock; seenAt: number } | undefined>(undefined);
const connected = createStore(false);
const KEEP_EVENTS = 5_000;
const LOAD_ORDERS = 5_000;

/** Changes the feed brought while a reload was under way: applied over the reloaded list. */
let arrivedDuringLoad: ConsoleOrder[] | undefined;

async function loadOrders(): Promise<void> {
  const map = new Map<string, ConsoleOrder>();
  let cursor: string | null = null;
  arrivedDuringLoad = [];
  try {
    do {
      const page: Page<ConsoleOrder> = await get<Page<ConsoleOrder>>(`/console/v1/orders?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      for (const o of page.items) map.set(o.id, o);
      cursor = map.size < LOAD_ORDERS ? page.nextCursor : null;
    } while (cursor);
    orders.set(mergeNewer(map, arrivedDuringLoad));
  } finally {
    arrivedDuringLoad = undefined;
  }
}

/** Adds orders to a map unless it already holds the same or a later state of them. */
function mergeNewer(map: Map<string, ConsoleOrder>, changed: readonly ConsoleOrder[]): Map<string, ConsoleOrder> {
  for (const o of changed) {
    const known = map.get(o.id);
    if (!known || known.updatedAt <= o.updatedAt) map.set(o.id, o);
  }
  return map;
}

async function loadEvents(): Promise<void> {
  const head = await get<{ count: number }>('/_sim/v1/events?limit=1');
  const since = Math.max(0, head.count - KEEP_EVENTS);
  events.set((await get<{ items: SimEvent[] }>(`/_sim/v1/events?since=${since}`)).items);
}

async function loadClock(): Promise<void> {
  const c = await get<Clock>('/_sim/v1/clock');
  clock.set({ clock: c, seenAt: Date.now() });
  setServerClock({ nowMs: c.nowMs, speed: c.mode === 'manual' ? 0 : c.speed });
}

const syncAll = () => void attempt('Loading the simulator', () => Promise.all([loadOrders(), loadEvents(), loadClock()]));

function useLive(): void {
  useEffect(
    () =>
      openLive('/console/v1/stream', {
        sync: syncAll,
        status: (c) => connected.set(c),
        orders: (changed) => {
          arrivedDuringLoad?.push(...(changed as ConsoleOrder[]));
          orders.update((map) => mergeNewer(new Map(map), changed as ConsoleOrder[]));
        },
        sim: (list) => {
          const fresh = list as SimEvent[];
          events.update((all) => [...all, ...fresh].slice(-KEEP_EVENTS));
          if (fresh.some((e) => e.type === 'clock.advance' || e.type === 'reset')) void loadClock();
        },
      }),
    [],
  );
}

export function DeveloperView({ hash }: { hash: string }) {
  useLive();
  const page = hash.split('/')[2] ?? '';
  const live = useStore(connected);
  return (
    <div class="page">
      <div class="page-head">
        <h1>Developer</h1>
        <span class={`live ${live ? 'on' : 'off'}`} role="status">
          {live ? 'Live' : 'Reconnecting…'}
        </span>
      </div>
      <ClockBar />
      <SubNav
        label="Developer pages"
        current={`#/developer${page ? `/${page}` : ''}`}
        items={[
          { href: '#/developer', text: 'Orders and SMS' },
          { href: '#/developer/journal', text: 'Request journal' },
          { href: '#/developer/events', text: 'Event log' },
          { href: '#/developer/controls', text: 'Faults, stock, reset' },
        ]}
      />
      {page === '' && <OrdersAndInbox />}
      {page === 'journal' && <Journal />}
      {page === 'events' && <EventLog />}
      {page === 'controls' && <Controls />}
    </div>
  );
}

function ClockBar() {
  const c = useStore(clock);
  const [, setTick] = useState(0);
  const [minutes, setMinutes] = useState('5');
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 1_000);
    return () => clearInterval(t);
  }, []);
  const shown = c
    ? new Date(c.clock.nowMs + (c.clock.mode === 'manual' ? 0 : (Date.now() - c.seenAt) * c.clock.speed)).toISOString()
    : undefined;
  const advance = (ms: number) =>
    void attempt('Advancing the clock', async () => {
      const next = await post<Clock>('/_sim/v1/clock/advance', { ms });
      clock.set({ clock: next, seenAt: Date.now() });
      setServerClock({ nowMs: next.nowMs, speed: next.mode === 'manual' ? 0 : next.speed });
      notify(`The virtual clock is now ${dateTime(next.now)}.`);
    });
  return (
    <section class="clockbar" aria-label="Virtual clock">
      <span>
        Virtual time <strong class="clock">{shown ? dateTime(shown) : '…'}</strong> UTC (
        {c?.clock.mode === 'accelerated' ? `×${c.clock.speed}` : (c?.clock.mode ?? '…')})
      </span>
      <button type="button" onClick={() => advance(60_000)}>
        +1 min
      </button>
      <button type="button" onClick={() => advance(20 * 60_000)}>
        +20 min
      </button>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const m = Number(minutes);
          if (!Number.isFinite(m) || m <= 0) return notify('Type a number of minutes.', 'error');
          advance(Math.round(m * 60_000));
        }}
      >
        <label for="advance-min">Advance by minutes</label>
        <input
          id="advance-min"
          inputMode="decimal"
          size={4}
          value={minutes}
          onInput={(e) => setMinutes((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Advance</button>
      </form>
    </section>
  );
}

function OrdersAndInbox() {
  const map = useStore(orders);
  const [selected, setSelected] = useState<string | undefined>();
  const [filter, setFilter] = useState('');
  const [, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 5_000);
    return () => clearInterval(t);
  }, []);
  const list = useMemo(() => [...map.values()].sort((a, b) => (a.id < b.id ? 1 : -1)), [map]);
  const shown = filter ? list.filter((o) => o.status === filter) : list;
  const inbox = useMemo(
    () =>
      list
        .flatMap((o) =>
          o.smsHistory.map((s, i) => ({
            key: `${o.id}:${i}`,
            order: o,
            body: s.body,
            at: s.receivedAt,
            code: i === o.smsHistory.length - 1 ? o.smsCode : null,
          })),
        )
        .sort((a, b) => (a.at < b.at ? 1 : -1))
        .slice(0, 500),
    [list],
  );
  const order = selected ? map.get(selected) : undefined;
  const now = serverNow();
  return (
    <div class="grid2">
      <Section
        title={`Orders (${list.length.toLocaleString('en-US')})`}
        id="orders"
        actions={
          <label class="filter">
            Status{' '}
            <select value={filter} onChange={(e) => setFilter((e.target as HTMLSelectElement).value)}>
              <option value="">all</option>
              {['WAITING', 'RECEIVED', 'COMPLETED', 'FAILED', 'CANCELLED'].map((s) => (
                <option value={s}>{s.toLowerCase()}</option>
              ))}
            </select>
          </label>
        }
      >
        <VirtualTable
          label="Orders, newest first"
          items={shown}
          rowKey={(o) => o.id}
          selected={selected}
          height={440}
          empty="No orders yet. Buy one from the Account view, or through the API."
          columns={[
            { label: 'Status', width: '7rem', render: (o) => <Status status={o.status} /> },
            { label: 'Service', width: '4rem', render: (o) => o.service },
            { label: 'Country', width: '4rem', render: (o) => o.country },
            { label: 'Phone', width: '9.5rem', render: (o) => o.phone },
            { label: 'Price', width: '4.5rem', render: (o) => dollars(o.chargedCents), className: 'num' },
            { label: 'Age', width: '4rem', render: (o) => age(now - Date.parse(o.createdAt)) },
            { label: 'User', width: '1fr', render: (o) => o.userName },
            {
              label: 'Actions',
              width: '6.5rem',
              render: (o) => (
                <button type="button" class="small" aria-label={`Deliver SMS to ${o.phone} (${o.id})`} onClick={() => setSelected(o.id)}>
                  Deliver SMS
                </button>
              ),
            },
          ]}
        />
        {order && <Deliver order={order} onClose={() => setSelected(undefined)} />}
      </Section>
      <Section title="Inbox" id="inbox">
        {inbox.length === 0 ? (
          <p class="empty">No SMS yet.</p>
        ) : (
          <ol class="inbox" aria-label="SMS, newest first">
            {inbox.map((m) => (
              <li key={m.key}>
                <p class="meta">
                  {clockTime(m.at)} · {m.order.phone} · {m.order.service} · {m.order.userName}
                </p>
                <SmsText body={m.body} code={m.code} />
                {m.code && (
                  <>
                    {' '}
                    <CopyButton text={m.code} label={`Copy code ${m.code}`} />
                  </>
                )}
              </li>
            ))}
          </ol>
        )}
      </Section>
    </div>
  );
}

function Deliver({ order, onClose }: { order: ConsoleOrder; onClose: () => void }) {
  const [body, setBody] = useState('');
  const send = async (e: Event) => {
    e.preventDefault();
    const ok = await attempt('Delivering the SMS', async () => {
      const r = await post<{ body: string; code: string | null }>(
        `/_sim/v1/orders/${order.id}/sms`,
        body.trim() ? { body: body.trim() } : {},
      );
      notify(`Delivered to ${order.phone}: “${r.body}”.`);
    });
    if (ok) setBody('');
  };
  return (
    <form class="deliver" onSubmit={send} aria-label={`Deliver an SMS to ${order.phone}`}>
      <p>
        <strong>{order.phone}</strong> · {order.service} · <Status status={order.status} /> · {order.id}
      </p>
      <label for="sms-body">SMS text (optional: leave empty for a realistic one with a code)</label>
      <textarea id="sms-body" rows={2} maxLength={2000} value={body} onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} />
      <div class="actions">
        <button type="submit" class="primary">
          Deliver SMS
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}

function Journal() {
  const all = useStore(events);
  const [hideConsole, setHideConsole] = useState(false);
  const rows = useMemo(
    () => all.filter((e) => e.type === 'api.request' && (!hideConsole || !String(e.data.path).startsWith('/console/'))).reverse(),
    [all, hideConsole],
  );
  return (
    <Section
      title="Request journal"
      actions={
        <label class="filter">
          <input type="checkbox" checked={hideConsole} onChange={(e) => setHideConsole((e.target as HTMLInputElement).checked)} /> Hide the
          console's own calls
        </label>
      }
    >
      <p class="help">Every API call this simulator answered, newest first. Keys show only their last four characters.</p>
      <VirtualTable
        label="Request journal, newest first"
        items={rows}
        rowKey={(e) => String(e.seq)}
        height={520}
        empty="No requests yet."
        columns={[
          { label: 'Time', width: '5.5rem', render: (e) => clockTime(e.at) },
          { label: 'Method', width: '4.5rem', render: (e) => String(e.data.method) },
          { label: 'Path', width: '1fr', render: (e) => <code>{String(e.data.path)}</code> },
          {
            label: 'Status',
            width: '4rem',
            render: (e) => <span class={`http s${String(e.data.status)[0]}`}>{String(e.data.status)}</span>,
          },
          {
            label: 'Latency',
            width: '5.5rem',
            render: (e) => (typeof e.meta?.ms === 'number' ? `${e.meta.ms.toFixed(1)} ms` : '—'),
            className: 'num',
          },
          { label: 'Key', width: '9rem', render: (e) => String(e.meta?.key ?? '—') },
        ]}
      />
    </Section>
  );
}

function EventLog() {
  const all = useStore(events);
  const [type, setType] = useState('');
  const rows = useMemo(() => all.filter((e) => !type || e.type.startsWith(type)).reverse(), [all, type]);
  const types = useMemo(() => [...new Set(all.map((e) => e.type.split('.')[0]!))].sort(), [all]);
  return (
    <Section
      title="Event log"
      actions={
        <label class="filter">
          Type{' '}
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {types.map((t) => (
              <option value={t}>{t}</option>
            ))}
          </select>
        </label>
      }
    >
      <p class="help">
        What happened in the simulated world, in order, in virtual time: API calls, upstream calls, SMS, the clock, faults.
      </p>
      <VirtualTable
        label="Event log, newest first"
        items={rows}
        rowKey={(e) => String(e.seq)}
        height={520}
        columns={[
          { label: '#', width: '4rem', render: (e) => e.seq, className: 'num' },
          { label: 'Time', width: '5.5rem', render: (e) => clockTime(e.at) },
          { label: 'Type', width: '9rem', render: (e) => e.type },
          { label: 'Details', width: '1fr', render: (e) => <code>{JSON.stringify(e.data)}</code> },
        ]}
      />
    </Section>
  );
}

interface Fault {
  id: string;
  kind: string;
  error?: string;
  method: string;
  fired: number;
  remaining: number | null;
  probability?: number;
}

const ERRORS = [
  'UNAVAILABLE',
  'TIMEOUT',
  'NO_NUMBERS',
  'NO_BALANCE',
  'AUTH',
  'BANNED',
  'PROTOCOL',
  'EARLY_CANCEL_DENIED',
  'BAD_STATUS',
  'NO_ACTIVATION',
];
const METHODS = ['*', 'buy', 'getStatus', 'cancel', 'finish', 'requestNextSms', 'getCatalogue', 'getBalance', 'listActive'];

function Controls() {
  const [faults, setFaults] = useState<Fault[]>([]);
  const [kind, setKind] = useState('error');
  const [error, setError] = useState('UNAVAILABLE');
  const [method, setMethod] = useState('buy');
  const [count, setCount] = useState('1');
  const [stock, setStock] = useState({ service: 'tg', country: '7', count: '100' });
  const load = () => attempt('Loading the faults', async () => setFaults((await get<{ items: Fault[] }>('/_sim/v1/faults')).items));
  useEffect(() => void load(), []);
  const arm = async (e: Event) => {
    e.preventDefault();
    const n = Number(count);
    if (
      await attempt('Arming the fault', () =>
        post('/_sim/v1/faults', {
          kind,
          ...(kind === 'error' && { error }),
          ...(kind === 'latency' && { latencyMs: 3_000 }),
          method,
          count: Number.isInteger(n) && n > 0 ? n : 1,
        }),
      )
    ) {
      notify(
        `Armed: the next ${count} ${method === '*' ? 'upstream call(s)' : `${method} call(s)`} fail${kind === 'error' ? ` with ${error}` : ` (${kind})`}.`,
      );
      await load();
    }
  };
  const clear = async (id?: string) => {
    if (await attempt('Clearing', () => del(id ? `/_sim/v1/faults/${id}` : '/_sim/v1/faults'))) await load();
  };
  const setStockNow = async (e: Event) => {
    e.preventDefault();
    const country = /^\d+$/.test(stock.country) ? Number(stock.country) : stock.country;
    if (await attempt('Setting the stock', () => put('/_sim/v1/stock', { service: stock.service, country, count: Number(stock.count) })))
      notify(`Stock of ${stock.service} in ${stock.country} is now ${stock.count}.`);
  };
  const reset = async () => {
    if (await attempt('Resetting', () => post('/_sim/v1/reset')))
      notify('The simulator starts over: empty database, same seed. The demo user is back.');
  };
  return (
    <div class="grid2">
      <Section title="Faults">
        <p class="help">
          Make the simulated upstream fail, to see how your client copes: the API answers 503 UPSTREAM_UNAVAILABLE and charges nothing.
        </p>
        <form class="stack" onSubmit={arm}>
          <label for="fault-kind">Kind</label>
          <select id="fault-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            <option value="error">an error</option>
            <option value="timeout">a timeout</option>
            <option value="garbage">a garbage reply</option>
            <option value="latency">3 s of latency</option>
          </select>
          {kind === 'error' && (
            <>
              <label for="fault-error">Error</label>
              <select id="fault-error" value={error} onChange={(e) => setError((e.target as HTMLSelectElement).value)}>
                {ERRORS.map((x) => (
                  <option value={x}>{x}</option>
                ))}
              </select>
            </>
          )}
          <label for="fault-method">Upstream call</label>
          <select id="fault-method" value={method} onChange={(e) => setMethod((e.target as HTMLSelectElement).value)}>
            {METHODS.map((x) => (
              <option value={x}>{x === '*' ? 'any call' : x}</option>
            ))}
          </select>
          <label for="fault-count">How many calls</label>
          <input id="fault-count" inputMode="numeric" value={count} onInput={(e) => setCount((e.target as HTMLInputElement).value)} />
          <button type="submit" class="primary">
            Arm the fault
          </button>
        </form>
        <h3>Armed</h3>
        {faults.length === 0 ? (
          <p class="empty">None.</p>
        ) : (
          <ul class="faults">
            {faults.map((f) => (
              <li key={f.id}>
                <code>{f.id}</code> {f.kind}
                {f.error ? ` ${f.error}` : ''} on {f.method === '*' ? 'any call' : f.method} · fired {f.fired} ·{' '}
                {f.remaining === null ? 'no limit' : `${f.remaining} left`}{' '}
                <button type="button" class="small" aria-label={`Clear fault ${f.id}`} onClick={() => void clear(f.id)}>
                  Clear
                </button>
              </li>
            ))}
          </ul>
        )}
        <button type="button" onClick={() => void clear()} disabled={faults.length === 0}>
          Clear all faults
        </button>
      </Section>
      <div>
        <Section title="Stock">
          <form class="stack" onSubmit={setStockNow}>
            <label for="stock-service">Service (code or slug)</label>
            <input
              id="stock-service"
              value={stock.service}
              onInput={(e) => setStock({ ...stock, service: (e.target as HTMLInputElement).value })}
            />
            <label for="stock-country">Country (id or slug)</label>
            <input
              id="stock-country"
              value={stock.country}
              onInput={(e) => setStock({ ...stock, country: (e.target as HTMLInputElement).value })}
            />
            <label for="stock-count">Numbers in stock</label>
            <input
              id="stock-count"
              inputMode="numeric"
              value={stock.count}
              onInput={(e) => setStock({ ...stock, count: (e.target as HTMLInputElement).value })}
            />
            <button type="submit">Set the stock</button>
          </form>
        </Section>
        <Section title="Reset">
          <p class="help">
            Empties the database and starts the simulated world over with the same seed. The admin token and the demo key keep working.
          </p>
          <ConfirmButton label="Reset the simulator" confirm="Delete every order, user and ledger row?" onConfirm={() => void reset()} />
        </Section>
      </div>
    </div>
  );
}
