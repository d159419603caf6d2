/**
 * The operators' pages (the admin token): users (create, top up with a reason, ban, keys, ledger,
 * view as), orders searched by id, phone or user, pricing rules, the outbox, and the upstream's
 * health and balance.
 */
import { useEffect, useState } from 'preact/hooks';
import { attempt, ConfirmButton, CopyButton, notify, Section, Status, SubNav } from '../components/ui.js';
import { VirtualTable } from '../components/virtual-table.js';
import { get, post, put } from '../lib/api.js';
import { dateTime, dollars, parseDollars } from '../lib/format.js';
import { viewAs } from '../lib/session.js';
import type { ApiKeyInfo, ConsoleOrder, LedgerEntry, Page, User } from '../lib/types.js';

export function OperatorView({ hash }: { hash: string }) {
  const page = hash.split('/')[2] ?? '';
  return (
    <div class="page">
      <div class="page-head">
        <h1>Operator</h1>
      </div>
      <SubNav
        label="Operator pages"
        current={`#/operator${page ? `/${page}` : ''}`}
        items={[
          { href: '#/operator', text: 'Users' },
          { href: '#/operator/orders', text: 'Orders' },
          { href: '#/operator/pricing', text: 'Pricing' },
          { href: '#/operator/outbox', text: 'Outbox' },
          { href: '#/operator/upstream', text: 'Upstream' },
        ]}
      />
      {page === '' && <Users />}
      {page === 'orders' && <Orders />}
      {page === 'pricing' && <Pricing />}
      {page === 'outbox' && <Outbox />}
      {page === 'upstream' && <Upstream />}
    </div>
  );
}

function Users() {
  const [users, setUsers] = useState<User[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | undefined>();
  const [name, setName] = useState('');
  const [opening, setOpening] = useState('');
  const load = async (after?: string) =>
    attempt('Loading users', async () => {
      const p = await get<Page<User>>(`/admin/v1/users?limit=100${after ? `&cursor=${after}` : ''}`);
      setUsers((list) => (after ? [...list, ...p.items] : p.items));
      setCursor(p.nextCursor);
    });
  useEffect(() => void load(), []);
  const create = async (e: Event) => {
    e.preventDefault();
    const cents = opening.trim() ? parseDollars(opening) : 0;
    if (cents === undefined) return notify('The opening balance is an amount in dollars, like 12.50.', 'error');
    await attempt('Creating the user', async () => {
      const u = await post<User>('/admin/v1/users', {
        ...(name.trim() && { displayName: name.trim() }),
        ...(cents > 0 && { balanceCents: String(cents) }),
      });
      notify(`Created ${u.displayName} (${u.id}).`);
      setName('');
      setOpening('');
      setSelected(u.id);
      await load();
    });
  };
  const user = users.find((u) => u.id === selected);
  return (
    <div class="grid2">
      <Section title="Users">
        <form class="inline" onSubmit={create}>
          <label for="new-name">Name</label>
          <input id="new-name" value={name} maxLength={64} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          <label for="new-balance">Opening balance ($)</label>
          <input
            id="new-balance"
            inputMode="decimal"
            size={7}
            value={opening}
            onInput={(e) => setOpening((e.target as HTMLInputElement).value)}
          />
          <button type="submit">Create a user</button>
        </form>
        <VirtualTable
          label="Users, newest first"
          items={users}
          rowKey={(u) => u.id}
          selected={selected}
          height={420}
          columns={[
            { label: 'Name', width: '1fr', render: (u) => u.displayName },
            { label: 'Balance', width: '6rem', render: (u) => dollars(u.balanceCents), className: 'num' },
            { label: 'State', width: '5rem', render: (u) => (u.banned ? 'banned' : 'active') },
            {
              label: 'Actions',
              width: '5rem',
              render: (u) => (
                <button type="button" class="small" aria-label={`Open ${u.displayName} (${u.id})`} onClick={() => setSelected(u.id)}>
                  Open
                </button>
              ),
            },
          ]}
        />
        {cursor && (
          <button type="button" onClick={() => void load(cursor)}>
            Load more users
          </button>
        )}
      </Section>
      {user ? (
        <UserDetail key={user.id} user={user} onChange={() => void load()} />
      ) : (
        <Section title="User">{<p class="empty">Open a user to top up, ban, manage keys or read the ledger.</p>}</Section>
      )}
    </div>
  );
}

function UserDetail({ user, onChange }: { user: User; onChange: () => void }) {
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [banReason, setBanReason] = useState('');
  const [keys, setKeys] = useState<ApiKeyInfo[]>([]);
  const [ledger, setLedger] = useState<LedgerEntry[]>([]);
  const [issued, setIssued] = useState<string | undefined>();
  const load = () =>
    attempt('Loading the user', async () => {
      setKeys((await get<{ items: ApiKeyInfo[] }>(`/admin/v1/users/${user.id}/keys`)).items);
      setLedger((await get<Page<LedgerEntry>>(`/admin/v1/users/${user.id}/ledger?limit=50`)).items);
    });
  useEffect(() => void load(), [user.id, user.balanceCents]);
  const topUp = async (e: Event) => {
    e.preventDefault();
    const cents = parseDollars(amount);
    if (cents === undefined || cents === 0) return notify('The amount is in dollars, like 5 or 12.50.', 'error');
    if (
      await attempt('The top-up', () => post(`/admin/v1/users/${user.id}/balance`, { amountCents: String(cents), reason: reason.trim() }))
    ) {
      notify(`Topped up ${user.displayName} by ${dollars(cents)}.`);
      setAmount('');
      setReason('');
      onChange();
    }
  };
  const ban = async (banned: boolean) => {
    if (
      await attempt(banned ? 'The ban' : 'Lifting the ban', () =>
        post(`/admin/v1/users/${user.id}/${banned ? 'ban' : 'unban'}`, banned && banReason.trim() ? { reason: banReason.trim() } : {}),
      )
    ) {
      notify(banned ? `${user.displayName} is banned: every key answers 403.` : `${user.displayName} is no longer banned.`);
      onChange();
    }
  };
  const issue = () =>
    void attempt('Issuing a key', async () => {
      setIssued((await post<{ apiKey: string }>(`/admin/v1/users/${user.id}/keys`, { name: 'console' })).apiKey);
      await load();
    });
  const revoke = (k: ApiKeyInfo) =>
    void attempt('Revoking the key', async () => {
      await post(`/admin/v1/users/${user.id}/keys/${k.id}/revoke`);
      notify(`Revoked the key ending ${k.hint}.`);
      await load();
    });
  return (
    <Section title={`User: ${user.displayName}`} id="user-detail">
      <p class="meta">
        <code>{user.id}</code> · balance <strong>{dollars(user.balanceCents)}</strong> ·{' '}
        {user.banned ? `banned${user.banReason ? ` (${user.banReason})` : ''}` : 'active'} · since {dateTime(user.createdAt)}
      </p>
      <button
        type="button"
        onClick={() =>
          void attempt('Switching user', async () => {
            await viewAs(user.id);
            location.hash = '#/account';
          })
        }
      >
        View this user's account pages
      </button>
      <h3>Top up</h3>
      <form class="inline" onSubmit={topUp}>
        <label for="amount">Amount ($, negative to debit)</label>
        <input id="amount" inputMode="decimal" size={7} value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
        <label for="reason">Reason</label>
        <input id="reason" required maxLength={200} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
        <button type="submit">Top up</button>
      </form>
      <h3>Ban</h3>
      {user.banned ? (
        <button type="button" onClick={() => void ban(false)}>
          Lift the ban
        </button>
      ) : (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            void ban(true);
          }}
        >
          <label for="ban-reason">Reason (optional)</label>
          <input id="ban-reason" maxLength={200} value={banReason} onInput={(e) => setBanReason((e.target as HTMLInputElement).value)} />
          <button type="submit" class="danger">
            Ban this user
          </button>
        </form>
      )}
      <h3>Keys</h3>
      {issued && (
        <p class="created-key" role="status">
          New key, shown once: <code class="secret">{issued}</code> <CopyButton text={issued} label="Copy the new API key" />
        </p>
      )}
      <ul class="keys">
        {keys.map((k) => (
          <li key={k.id}>
            <code>jm_…{k.hint}</code> {k.name ?? ''} · {k.active ? 'active' : 'revoked'} · last used {dateTime(k.lastUsedAt)}{' '}
            {k.active && <ConfirmButton label="Revoke" confirm={`Revoke the key ending ${k.hint}?`} onConfirm={() => revoke(k)} />}
          </li>
        ))}
      </ul>
      <button type="button" onClick={issue}>
        Issue a key
      </button>
      <h3>Ledger</h3>
      <table class="table">
        <caption class="sr-only">Ledger of {user.displayName}, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Kind</th>
            <th scope="col">Amount</th>
            <th scope="col">After</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {ledger.map((e) => (
            <tr key={e.id}>
              <td>{dateTime(e.createdAt)}</td>
              <td>{e.kind}</td>
              <td class="num">{dollars(e.amountCents)}</td>
              <td class="num">{dollars(e.balanceAfterCents)}</td>
              <td>{e.reason ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Orders() {
  const [q, setQ] = useState('');
  const [result, setResult] = useState<ConsoleOrder[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const search = async (after?: string) =>
    attempt('Searching', async () => {
      const p = await get<Page<ConsoleOrder>>(
        `/console/v1/orders?limit=100${q.trim() ? `&q=${encodeURIComponent(q.trim())}` : ''}${after ? `&cursor=${after}` : ''}`,
      );
      setResult((list) => (after ? [...list, ...p.items] : p.items));
      setCursor(p.nextCursor);
    });
  useEffect(() => void search(), []);
  return (
    <Section title="Orders">
      <form
        class="inline"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <label for="order-q">Order id, user id or phone digits</label>
        <input id="order-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        <button type="submit">Search</button>
      </form>
      <VirtualTable
        label="Orders found"
        items={result}
        rowKey={(o) => o.id}
        height={460}
        empty="No order matches."
        columns={[
          { label: 'Order', width: '14rem', render: (o) => <code>{o.id}</code> },
          { label: 'Status', width: '7rem', render: (o) => <Status status={o.status} /> },
          { label: 'Service', width: '4rem', render: (o) => o.service },
          { label: 'Phone', width: '9.5rem', render: (o) => o.phone },
          { label: 'Price', width: '4.5rem', render: (o) => dollars(o.chargedCents), className: 'num' },
          { label: 'User', width: '1fr', render: (o) => `${o.userName} (${o.userId})` },
          { label: 'Bought', width: '10rem', render: (o) => dateTime(o.createdAt) },
        ]}
      />
      {cursor && (
        <button type="button" onClick={() => void search(cursor)}>
          Load more
        </button>
      )}
    </Section>
  );
}

interface Rule {
  service: string | null;
  country: number | null;
  markupBps: number;
  floorCents: number;
}

function Pricing() {
  const [rules, setRules] = useState<Rule[]>([]);
  const [fallback, setFallback] = useState<Rule | undefined>();
  const load = () =>
    attempt('Loading pricing', async () => {
      const r = await get<{ rules: Rule[]; fallback: Rule }>('/admin/v1/pricing');
      setRules(r.rules);
      setFallback(r.fallback);
    });
  useEffect(() => void load(), []);
  const edit = (i: number, patch: Partial<Rule>) => setRules((list) => list.map((r, j) => (i === j ? { ...r, ...patch } : r)));
  const save = async (e: Event) => {
    e.preventDefault();
    if (await attempt('Saving pricing', () => put('/admin/v1/pricing', { rules }))) {
      notify(`Saved ${rules.length} pricing rule(s).`);
      await load();
    }
  };
  return (
    <Section title="Pricing rules">
      <p class="help">
        Retail price = upstream cost × (1 + markup), rounded up to a cent, never below the floor. The most specific rule wins: service and
        country, service, country, default.
        {fallback && ` With no matching rule: +${fallback.markupBps / 100} %, at least ${dollars(fallback.floorCents)}.`}
      </p>
      <form onSubmit={save}>
        <table class="table">
          <caption class="sr-only">Pricing rules</caption>
          <thead>
            <tr>
              <th scope="col">Service (empty: any)</th>
              <th scope="col">Country id (empty: any)</th>
              <th scope="col">Markup (basis points)</th>
              <th scope="col">Floor (cents)</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r, i) => (
              <tr key={i}>
                <td>
                  <input
                    aria-label={`Rule ${i + 1} service`}
                    value={r.service ?? ''}
                    onInput={(e) => edit(i, { service: (e.target as HTMLInputElement).value.trim() || null })}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Rule ${i + 1} country id`}
                    inputMode="numeric"
                    value={r.country ?? ''}
                    onInput={(e) =>
                      edit(i, {
                        country: (e.target as HTMLInputElement).value.trim() ? Number((e.target as HTMLInputElement).value) : null,
                      })
                    }
                  />
                </td>
                <td>
                  <input
                    aria-label={`Rule ${i + 1} markup in basis points`}
                    inputMode="numeric"
                    value={r.markupBps}
                    onInput={(e) => edit(i, { markupBps: Number((e.target as HTMLInputElement).value) })}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Rule ${i + 1} floor in cents`}
                    inputMode="numeric"
                    value={r.floorCents}
                    onInput={(e) => edit(i, { floorCents: Number((e.target as HTMLInputElement).value) })}
                  />
                </td>
                <td>
                  <button
                    type="button"
                    class="small"
                    aria-label={`Remove rule ${i + 1}`}
                    onClick={() => setRules((list) => list.filter((_, j) => j !== i))}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="actions">
          <button
            type="button"
            onClick={() => setRules((list) => [...list, { service: null, country: null, markupBps: 5_000, floorCents: 1 }])}
          >
            Add a rule
          </button>
          <button type="submit" class="primary">
            Save all rules
          </button>
        </div>
      </form>
    </Section>
  );
}

function Outbox() {
  const [data, setData] = useState<{ pending: number; items: Array<Record<string, unknown>> } | undefined>();
  const load = () => attempt('Loading the outbox', async () => setData(await get('/admin/v1/outbox?limit=200')));
  useEffect(() => void load(), []);
  return (
    <Section
      title="Outbox"
      actions={
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      }
    >
      <p class="help">
        Commands owed to the upstream (cancel, finish, next SMS, release), sent until it accepts them.{' '}
        {data ? `${data.pending} pending.` : ''}
      </p>
      <table class="table">
        <caption class="sr-only">Recent upstream commands</caption>
        <thead>
          <tr>
            <th scope="col">Command</th>
            <th scope="col">Activation</th>
            <th scope="col">Order</th>
            <th scope="col">Attempts</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {(data?.items ?? []).map((c) => (
            <tr key={String(c.id)}>
              <td>{String(c.kind)}</td>
              <td>{String(c.activationId ?? c.activation_id ?? '—')}</td>
              <td>{String(c.orderId ?? c.order_id ?? '—')}</td>
              <td class="num">{String(c.attempts ?? '—')}</td>
              <td>{String(c.outcome ?? c.lastError ?? c.last_error ?? 'pending')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Upstream() {
  const [up, setUp] = useState<
    { name: string; status: string; detail: string | null; balance: string | null; balanceError: string | null } | undefined
  >();
  const [health, setHealth] = useState<Record<string, unknown> | undefined>();
  const load = () =>
    attempt('Asking the upstream', async () => {
      setUp(await get('/console/v1/upstream'));
      setHealth(await get('/healthz'));
    });
  useEffect(() => void load(), []);
  return (
    <Section
      title="Upstream"
      actions={
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      }
    >
      {up && (
        <dl class="facts">
          <dt>Provider</dt>
          <dd>{up.name}</dd>
          <dt>Health</dt>
          <dd>
            <Status status={up.status} /> {up.detail ?? ''}
          </dd>
          <dt>Balance at the provider</dt>
          <dd>{up.balance ?? `unknown: ${up.balanceError ?? ''}`}</dd>
          <dt>Database</dt>
          <dd>{String(health?.db ?? '…')}</dd>
          <dt>Commands waiting in the outbox</dt>
          <dd>{String(health?.outboxPending ?? '…')}</dd>
          <dt>Server time</dt>
          <dd>{dateTime(health?.time as string | undefined)}</dd>
        </dl>
      )}
    </Section>
  );
}
