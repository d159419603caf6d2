/**
 * A table that renders only the rows in view (plus a margin), so thousands of orders or journal
 * lines scroll smoothly: the DOM holds a few dozen rows whatever the length. ARIA table roles with
 * aria-rowcount / aria-rowindex tell assistive technology the whole size.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

interface Column<T> {
  label: string;
  /** A CSS grid track, e.g. "8rem" or "1fr". */
  width: string;
  render(item: T): ComponentChildren;
  className?: string;
}

interface Props<T> {
  label: string;
  items: readonly T[];
  columns: Array<Column<T>>;
  rowKey(item: T): string;
  /** Row height in pixels (rows are one line). */
  rowHeight?: number;
  /** The visible height in pixels. */
  height?: number;
  selected?: string | undefined;
  empty?: string;
}

const OVERSCAN = 8;

export function VirtualTable<T>({
  label,
  items,
  columns,
  rowKey,
  rowHeight = 34,
  height = 420,
  selected,
  empty = 'Nothing yet.',
}: Props<T>) {
  const [top, setTop] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);
  const template = columns.map((c) => c.width).join(' ');
  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + OVERSCAN);
  useEffect(() => {
    // A shorter list than the scroll position (after a filter): back to where rows are.
    if (scroller.current && top > items.length * rowHeight) scroller.current.scrollTop = 0;
  }, [items.length]);
  return (
    <div class="vtable" role="table" aria-label={label} aria-rowcount={items.length + 1}>
      <div role="rowgroup">
        <div class="vrow vhead" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template }}>
          {columns.map((c) => (
            <span role="columnheader" class={c.className}>
              {c.label}
            </span>
          ))}
        </div>
      </div>
      <div
        class="vbody"
        role="rowgroup"
        ref={scroller}
        tabIndex={0}
        aria-label={`${label}: ${items.length} rows, scroll for more`}
        style={{ height: `${Math.min(height, Math.max(rowHeight * Math.max(items.length, 1) + 2, rowHeight * 2))}px` }}
        onScroll={(e) => setTop(e.currentTarget.scrollTop)}
      >
        {items.length === 0 ? (
          <div class="vempty" role="row" aria-rowindex={2}>
            <span role="cell">{empty}</span>
          </div>
        ) : (
          <div style={{ height: `${items.length * rowHeight}px`, position: 'relative' }}>
            {items.slice(first, last).map((item, i) => {
              const key = rowKey(item);
              return (
                <div
                  key={key}
                  class={`vrow${selected === key ? ' selected' : ''}`}
                  role="row"
                  aria-rowindex={first + i + 2}
                  aria-current={selected === key ? 'true' : undefined}
                  style={{
                    gridTemplateColumns: template,
                    position: 'absolute',
                    top: `${(first + i) * rowHeight}px`,
                    height: `${rowHeight}px`,
                    left: 0,
                    right: 0,
                  }}
                >
                  {columns.map((c) => (
                    <span role="cell" class={c.className}>
                      {c.render(item)}
                    </span>
                  ))}
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
