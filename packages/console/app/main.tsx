/**
 * The jiema console: a sign-in page, then the views the session may open — Developer (the
 * simulator, operators only), Account (the pages jiema.my has) and Operator (the admin token).
 * Routing is the URL's fragment, so every view has a link and the server serves one page.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { Notices } from './components/ui.js';
import { loadSession, session, signInWithLink, signOut } from './lib/session.js';
import { useStore } from './lib/store.js';
import type { SessionInfo } from './lib/types.js';
import { AccountView } from './views/account.js';
import { DeveloperView } from './views/developer.js';
import { OperatorView } from './views/operator.js';
import { SignIn } from './views/sign-in.js';

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function views(info: SessionInfo): Array<{ href: string; text: string }> {
  const list = [];
  if (info.kind === 'operator' && info.mode === 'simulator') list.push({ href: '#/developer', text: 'Developer' });
  list.push({ href: '#/account', text: 'Account' });
  if (info.kind === 'operator') list.push({ href: '#/operator', text: 'Operator' });
  return list;
}

function App() {
  const { info, notice } = useStore(session);
  const hash = useHash();
  const [docs, setDocs] = useState('/api/v1/openapi.json');
  useEffect(() => {
    // The API reference at /docs, where this server has one; else the OpenAPI document itself.
    void fetch('/docs', { method: 'HEAD' }).then(
      (r) => r.ok && setDocs('/docs'),
      () => undefined,
    );
  }, []);
  const nav = info?.signedIn ? views(info) : [];
  const section = hash.split('/')[1] ?? '';
  const current = nav.find((v) => v.href === `#/${section}`) ?? nav[0];
  const title = current ? current.text : 'Sign in';
  useEffect(() => {
    document.title = `${title} · jiema console`;
  }, [title]);
  if (!info) return <p class="loading">Loading…</p>;
  if (!info.signedIn || !current) return <SignIn notice={notice} />;
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">jiema console</span>
        <nav aria-label="Views" class="views">
          {nav.map((v) => (
            <a href={v.href} aria-current={v === current ? 'page' : undefined}>
              {v.text}
            </a>
          ))}
        </nav>
        <span class="mode" title="Where numbers come from">
          {info.mode === 'simulator' ? 'Simulator' : `Upstream: ${info.upstream}`}
        </span>
        <a class="docs" href={docs}>
          API reference
        </a>
        <span class="who">{info.kind === 'operator' ? 'Operator' : (info.user?.displayName ?? 'User')}</span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {current.text === 'Developer' && <DeveloperView hash={hash} />}
        {current.text === 'Account' && <AccountView hash={hash} info={info} />}
        {current.text === 'Operator' && <OperatorView hash={hash} />}
      </main>
      <Notices />
    </>
  );
}

async function start(): Promise<void> {
  // The link `jiema serve` prints carries a one-time token in the fragment, which no request sends.
  const m = /^#token=([\w-]+)/.exec(location.hash);
  if (m) {
    history.replaceState(null, '', `${location.pathname}#/`);
    await loadSession().catch(() => undefined);
    await signInWithLink(m[1]!);
  } else {
    await loadSession().catch(() =>
      session.set({ info: { signedIn: false, mode: 'upstream', upstream: '' }, notice: 'The server cannot be reached.' }),
    );
  }
}

render(<App />, document.getElementById('app')!);
void start();
