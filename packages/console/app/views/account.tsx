/**
 * The account pages jiema.my has, for one user: balance (and, with the simulator, a simulated
 * top-up), buying a number from a service and country picker with prices and stock, the numbers
 * with their SMS arriving live, the ledger, and API keys. An operator sees them as the user chosen
 * in the Operator view (the demo user at first); every call follows the API's rules for that user.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { attempt, ConfirmButton, CopyButton, notify, Section, SmsText, Status, SubNav } from '../components/ui.js';
import { VirtualTable } from '../components/virtual-table.js';
import { get, post } from '../lib/api.js';
import { age, dateTime, dollars, parseDollars, remaining, spacedPhone } from '../lib/format.js';
import { openLive } from '../lib/live.js';
import { serverNow } from '../lib/server-clock.js';
import type { ApiKeyInfo, Country, LedgerEntry, Order, Page, PriceItem, Service, SessionInfo } from '../lib/types.js';
import { TERMINAL } from '../lib/types.js';

interface Account {
  id: string;
  balanceCents: string;
  displayName: string;
}

export function AccountView({ hash, info }: { hash: string; info: SessionInfo }) {
  const page = hash.split('/')[2] ?? '';
  const [account, setAccount] = useState<Account | undefined>();
  const [orders, setOrders] = useState<Order[]>([]);
  const [tick, setTick] = useState(0);
  const userId = info.user?.id;
  const merge = (list: Order[], changed: readonly Order[]) => {
    const byId = new Map(list.map((o) => [o.id, o]));
    for (const o of changed) if ((byId.get(o.id)?.updatedAt ?? '') <= o.updatedAt) byId.set(o.id, o);
    return [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
  };
  // Changes the feed brings while the list reloads are applied over the reloaded list.
  const during = useRef<Order[] | undefined>(undefined);

  const load = async () => {
    during.current = [];
    await attempt('Loading the account', async () => {
      setAccount(await get<Account>('/api/v1/account'));
      const items = (await get<Page<Order>>('/api/v1/orders?limit=100')).items;
      setOrders(merge(items, during.current ?? []));
    });
    during.current = undefined;
  };

  useEffect(() => {
    void load();
    return openLive('/console/v1/me/stream', {
      sync: () => void load(),
      orders: (changed) => {
        during.current?.push(...(changed as Order[]));
        setOrders((list) => merge(list, changed as Order[]));
      },
      balances: (b) => setAccount((a) => (a && b[0] ? { ...a, balanceCents: b[0].balanceCents } : a)),
    });
  }, [userId]);

  // Ages and time left move every second.
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 1_000);
    return () => clearInterval(t);
  }, []);

  const live = orders.filter((o) => !TERMINAL.has(o.status));
  return (
    <div class="page">
      <div class="page-head">
        <h1>Account{account ? `: ${account.displayName}` : ''}</h1>
        {info.kind === 'operator' && (
          <p class="help">You are viewing this user's pages as an operator. Choose another user in Operator → Users.</p>
        )}
      </div>
      <SubNav
        label="Account pages"
        current={`#/account${page ? `/${page}` : ''}`}
        items={[
          { href: '#/account', text: 'Numbers' },
          { href: '#/account/ledger', text: 'Balance and ledger' },
          { href: '#/account/keys', text: 'API keys' },
        ]}
      />
      {page === '' && (
        <>
          <Balance account={account} simulator={info.mode === 'simulator'} onChange={load} />
          <Buy onBought={(o) => setOrders((list) => [o, ...list.filter((x) => x.id !== o.id)])} />
          <Section title="Active numbers">
            {live.length === 0 ? (
              <p class="empty">No active number. Buy one above.</p>
            ) : (
              <ul class="cards">
                {live.map((o) => (
                  <OrderCard key={o.id} order={o} tick={tick} />
                ))}
              </ul>
            )}
          </Section>
          <Section title="Recent orders">
            <VirtualTable
              label="Recent orders"
              items={orders}
              rowKey={(o) => o.id}
              height={300}
              columns={[
                { label: 'Status', width: '7.5rem', render: (o) => <Status status={o.status} /> },
                { label: 'Service', width: '5rem', render: (o) => o.service },
                { label: 'Country', width: '5rem', render: (o) => o.country },
                { label: 'Phone', width: '11rem', render: (o) => o.phone },
                { label: 'Price', width: '5rem', render: (o) => dollars(o.chargedCents) },
                { label: 'Code', width: '6rem', render: (o) => o.smsCode ?? '—' },
                { label: 'Bought', width: '1fr', render: (o) => dateTime(o.createdAt) },
              ]}
              empty="No orders yet."
            />
          </Section>
        </>
      )}
      {page === 'ledger' && <Ledger account={account} />}
      {page === 'keys' && <Keys />}
    </div>
  );
}

function Balance({ account, simulator, onChange }: { account: Account | undefined; simulator: boolean; onChange: () => void }) {
  const [amount, setAmount] = useState('10');
  const topUp = async (e: Event) => {
    e.preventDefault();
    const cents = parseDollars(amount);
    if (cents === undefined || cents < 1) return notify('Type an amount in dollars, like 10 or 2.50.', 'error');
    if (await attempt('The top-up', () => post('/console/v1/me/topup', { amountCents: cents }))) {
      notify(`Added ${dollars(cents)} of simulated money.`);
      onChange();
    }
  };
  return (
    <Section title="Balance">
      <p class="balance" aria-live="polite">
        {account ? dollars(account.balanceCents) : '…'}
      </p>
      {simulator && (
        <form class="inline" onSubmit={topUp}>
          <label for="topup">Simulated top-up, in dollars</label>
          <input id="topup" inputMode="decimal" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} size={8} />
          <button type="submit">Add simulated money</button>
        </form>
      )}
    </Section>
  );
}

function Buy({ onBought }: { onBought: (o: Order) => void }) {
  const [services, setServices] = useState<Service[]>([]);
  const [countries, setCountries] = useState<Map<number, Country>>(new Map());
  const [service, setService] = useState('');
  const [prices, setPrices] = useState<PriceItem[]>([]);
  const [country, setCountry] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void attempt('Loading the services', async () => {
      const [s, c] = await Promise.all([get<{ items: Service[] }>('/api/v1/services'), get<{ items: Country[] }>('/api/v1/countries')]);
      const sorted = [...s.items].sort((a, b) => a.name.localeCompare(b.name));
      setServices(sorted);
      setCountries(new Map(c.items.map((x) => [x.id, x])));
      if (!service && sorted[0]) setService(sorted.find((x) => x.code === 'tg')?.code ?? sorted[0].code);
    });
  }, []);
  useEffect(() => {
    if (!service) return;
    void attempt('Loading the prices', async () => {
      const p = await get<{ items: PriceItem[] }>(`/api/v1/prices?service=${encodeURIComponent(service)}`);
      const inStock = [...p.items].sort((a, b) => Number(a.priceCents) - Number(b.priceCents));
      setPrices(inStock);
      setCountry((c) =>
        inStock.some((x) => String(x.countryId) === c && x.count > 0) ? c : String(inStock.find((x) => x.count > 0)?.countryId ?? ''),
      );
    });
  }, [service]);
  const name = (id: number) => countries.get(id)?.name ?? `Country ${id}`;
  const chosen = prices.find((p) => String(p.countryId) === country);
  const buy = async (e: Event) => {
    e.preventDefault();
    if (!chosen) return;
    setBusy(true);
    await attempt('Buying a number', async () => {
      const order = await post<Order>('/api/v1/orders', { service, country: chosen.countryId });
      onBought(order);
      notify(`Bought ${order.phone} for ${dollars(order.chargedCents)}; waiting for its SMS.`);
    });
    setBusy(false);
  };
  return (
    <Section title="Buy a number">
      <form class="buy" onSubmit={buy}>
        <label for="service">Service</label>
        <select id="service" value={service} onChange={(e) => setService((e.target as HTMLSelectElement).value)}>
          {services.map((s) => (
            <option value={s.code}>
              {s.name} — from {dollars(Math.round(s.minCostUsd * 100))}, {s.totalCount.toLocaleString('en-US')} in stock
            </option>
          ))}
        </select>
        <label for="country">Country</label>
        <select id="country" value={country} onChange={(e) => setCountry((e.target as HTMLSelectElement).value)}>
          {prices.map((p) => (
            <option value={String(p.countryId)} disabled={p.count === 0}>
              {name(p.countryId)} — {dollars(p.priceCents)} —{' '}
              {p.count === 0 ? 'out of stock' : `${p.count.toLocaleString('en-US')} in stock`}
            </option>
          ))}
        </select>
        <button type="submit" class="primary" disabled={busy || !chosen || chosen.count === 0}>
          {chosen ? `Buy for ${dollars(chosen.priceCents)}` : 'Buy'}
        </button>
      </form>
    </Section>
  );
}

function OrderCard({ order: o, tick: _tick }: { order: Order; tick: number }) {
  const now = serverNow();
  const left = Date.parse(o.expiresAt) - now;
  const act = (what: 'cancel' | 'next-sms') =>
    void attempt(what === 'cancel' ? 'Cancelling' : 'Asking for the next SMS', async () => {
      await post(`/api/v1/orders/${o.id}/${what}`);
      notify(what === 'cancel' ? `Cancelled ${o.phone}; refunded ${dollars(o.chargedCents)}.` : `Waiting for another SMS on ${o.phone}.`);
    });
  return (
    <li class="card" aria-label={`Number ${o.phone}, ${o.status}`}>
      <div class="card-head">
        <strong class="phone">{spacedPhone(o.phone)}</strong>
        <CopyButton text={o.phone} label={`Copy phone number ${o.phone}`} />
        <Status status={o.status} />
      </div>
      <p class="meta">
        {o.service} · country {o.country} · {dollars(o.chargedCents)} · bought {age(now - Date.parse(o.createdAt))} ago · time left{' '}
        {remaining(left)}
      </p>
      {o.smsHistory.length === 0 ? (
        <p class="waiting">Waiting for an SMS…</p>
      ) : (
        <ol class="sms-list" aria-label="SMS received">
          {o.smsHistory.map((s, i) => {
            const code = i === o.smsHistory.length - 1 ? o.smsCode : null;
            return (
              <li>
                <SmsText body={s.body} code={code} />
                {code && (
                  <>
                    {' '}
                    <CopyButton text={code} label={`Copy code ${code}`} />
                  </>
                )}
              </li>
            );
          })}
        </ol>
      )}
      <div class="actions">
        {o.status === 'WAITING' && o.smsHistory.length === 0 && (
          <ConfirmButton label="Cancel" confirm="Cancel this number for a full refund?" onConfirm={() => act('cancel')} />
        )}
        {o.status === 'RECEIVED' && (
          <button type="button" onClick={() => act('next-sms')}>
            Next SMS
          </button>
        )}
      </div>
    </li>
  );
}

function Ledger({ account }: { account: Account | undefined }) {
  const [items, setItems] = useState<LedgerEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const load = async (after?: string) => {
    await attempt('Loading the ledger', async () => {
      const page = await get<Page<LedgerEntry>>(`/console/v1/me/ledger?limit=100${after ? `&cursor=${after}` : ''}`);
      setItems((list) => (after ? [...list, ...page.items] : page.items));
      setCursor(page.nextCursor);
    });
  };
  useEffect(() => void load(), [account?.balanceCents]);
  return (
    <Section title="Balance and ledger">
      <p class="balance">{account ? dollars(account.balanceCents) : '…'}</p>
      <p class="help">Every change to the balance is one row here: top-ups, numbers bought, refunds.</p>
      <table class="table">
        <caption class="sr-only">Ledger, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Kind</th>
            <th scope="col">Amount</th>
            <th scope="col">Balance after</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.id}>
              <td>{dateTime(e.createdAt)}</td>
              <td>{e.kind}</td>
              <td class="num">{dollars(e.amountCents)}</td>
              <td class="num">{dollars(e.balanceAfterCents)}</td>
              <td>{e.reason ?? (e.orderId ? `order ${e.orderId}` : '—')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          Load older entries
        </button>
      )}
    </Section>
  );
}

function Keys() {
  const [keys, setKeys] = useState<ApiKeyInfo[]>([]);
  const [limit, setLimit] = useState(10);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | undefined>();
  const load = async () =>
    attempt('Loading the keys', async () => {
      const r = await get<{ items: ApiKeyInfo[]; limit: number }>('/console/v1/me/keys');
      setKeys(r.items);
      setLimit(r.limit);
    });
  useEffect(() => void load(), []);
  const active = useMemo(() => keys.filter((k) => k.active).length, [keys]);
  const create = async (e: Event) => {
    e.preventDefault();
    await attempt('Creating a key', async () => {
      const r = await post<{ apiKey: string }>('/console/v1/me/keys', name.trim() ? { name: name.trim() } : {});
      setCreated(r.apiKey);
      setName('');
      await load();
    });
  };
  const revoke = (k: ApiKeyInfo) =>
    void attempt('Revoking the key', async () => {
      await post(`/console/v1/me/keys/${k.id}/revoke`);
      notify(`Revoked the key ending ${k.hint}; it no longer works.`);
      await load();
    });
  return (
    <Section title="API keys">
      <p class="help">
        {active} of {limit} active keys. A key is shown once, when it is created; the server keeps only its hash.
      </p>
      {created && (
        <div class="created-key" role="status">
          <p>
            <strong>Your new key.</strong> Copy it now: it will not be shown again.
          </p>
          <code class="secret">{created}</code> <CopyButton text={created} label="Copy the new API key" />
          <button type="button" onClick={() => setCreated(undefined)}>
            Done
          </button>
        </div>
      )}
      <form class="inline" onSubmit={create}>
        <label for="key-name">Name (optional)</label>
        <input id="key-name" value={name} maxLength={64} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled={active >= limit}>
          Create a key
        </button>
      </form>
      <table class="table">
        <caption class="sr-only">API keys</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">State</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td>{k.name ?? '—'}</td>
              <td>
                <code>jm_…{k.hint}</code>
              </td>
              <td>{dateTime(k.createdAt)}</td>
              <td>{dateTime(k.lastUsedAt)}</td>
              <td>{k.active ? 'active' : `revoked ${dateTime(k.revokedAt)}`}</td>
              <td>
                {k.active && <ConfirmButton label={`Revoke`} confirm={`Revoke the key ending ${k.hint}?`} onConfirm={() => revoke(k)} />}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
