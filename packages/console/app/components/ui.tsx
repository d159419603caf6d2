/** Small pieces every view uses: notices, copy buttons, an SMS with its code marked, status badges. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api.js';
import { splitCode } from '../lib/format.js';
import { createStore, useStore } from '../lib/store.js';

interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

const notices = createStore<Notice[]>([]);
let nextNotice = 1;

/** Tells the person what happened, in the page's live region (read out by screen readers). */
export function notify(text: string, kind: 'info' | 'error' = 'info'): void {
  const notice = { id: nextNotice++, kind, text };
  notices.update((list) => [...list.slice(-3), notice]);
  setTimeout(() => notices.update((list) => list.filter((n) => n !== notice)), kind === 'error' ? 12_000 : 5_000);
}

/** Runs an action and reports its failure as a notice; true when it succeeded. */
export async function attempt(what: string, fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    const detail = err instanceof ApiError ? `${err.message} (${err.status} ${err.code})` : String(err);
    notify(`${what} failed: ${detail}`, 'error');
    return false;
  }
}

export function Notices() {
  const list = useStore(notices);
  return (
    <div class="notices">
      <div role="status" aria-live="polite">
        {list
          .filter((n) => n.kind === 'info')
          .map((n) => (
            <p key={n.id} class="notice">
              {n.text}
            </p>
          ))}
      </div>
      <div role="alert">
        {list
          .filter((n) => n.kind === 'error')
          .map((n) => (
            <p key={n.id} class="notice error">
              {n.text}
            </p>
          ))}
      </div>
    </div>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No clipboard permission (an insecure origin): the text stays selectable.
      notify(`Could not reach the clipboard; select the text instead: ${text}`, 'error');
      return;
    }
    setDone(true);
    notify(`Copied ${label.replace(/^Copy /, '')}.`);
    setTimeout(() => setDone(false), 1_500);
  };
  return (
    <button type="button" class="copy" aria-label={label} title={label} onClick={copy}>
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

export function SmsText({ body, code }: { body: string; code: string | null }) {
  return <span class="sms-text">{splitCode(body, code).map((p) => (p.code ? <mark class="code">{p.text}</mark> : p.text))}</span>;
}

export function Status({ status }: { status: string }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{status}</span>;
}

export function Section({
  title,
  children,
  actions,
  id,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
  id?: string;
}) {
  const headingId = `h-${(id ?? title).toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section class="panel" aria-labelledby={headingId}>
      <div class="panel-head">
        <h2 id={headingId}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** Links that switch part of a page (hash routes): keyboard and screen-reader friendly navigation. */
export function SubNav({ label, items, current }: { label: string; items: Array<{ href: string; text: string }>; current: string }) {
  return (
    <nav class="subnav" aria-label={label}>
      {items.map((i) => (
        <a href={i.href} aria-current={i.href === current ? 'page' : undefined}>
          {i.text}
        </a>
      ))}
    </nav>
  );
}

/** A destructive action asks once more, in place (no modal to trap focus in). */
export function ConfirmButton({
  label,
  confirm,
  onConfirm,
  class: cls,
}: {
  label: string;
  confirm: string;
  onConfirm: () => void;
  class?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class={cls ?? 'danger'} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={confirm}>
      <span>{confirm}</span>
      <button
        type="button"
        class="danger"
        ref={(el) => el?.focus()}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        No
      </button>
    </span>
  );
}
