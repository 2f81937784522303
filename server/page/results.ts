import type { LogEvent } from '../../shared/event.ts';
import type { TailMissed } from '../../shared/http.ts';
import { h, replace } from './dom.ts';
import { eventDetail, type FilterHandler } from './event-view.ts';
import { count, shortTime } from './format.ts';

// The hits, newest first, one line each; a click expands every field. In live mode new events go on
// top while the person is at the top and not reading one; otherwise they wait above the list, counted,
// so nothing moves under the reader's eyes.

/** Rows kept in live mode before the oldest are let go, so a page left open for hours stays fast. */
const MAX_ROWS = 2000;

export class ResultsView {
  private readonly events = new WeakMap<Element, LogEvent>();
  /** event_ids in the list or held: an event delivered twice (a resumed tail, a gap filled from search) shows once. */
  private readonly ids = new Set<string>();
  private held: LogEvent[] = [];
  private trimmed = false;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly heldButton: HTMLButtonElement,
    private readonly onFilter: FilterHandler,
  ) {
    list.addEventListener('click', (e) => {
      const row = (e.target as Element).closest('li.row');
      // Selecting text in a line is reading it, not asking for its details.
      if (row && !window.getSelection()?.toString()) this.toggle(row as HTMLLIElement);
    });
    list.addEventListener('keydown', (e) => {
      const row = (e.target as Element).closest('li.row');
      if (row && e.target === row && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        this.toggle(row as HTMLLIElement);
      }
    });
    heldButton.addEventListener('click', () => {
      this.flush();
      window.scrollTo({ top: 0 });
    });
    window.addEventListener('scroll', () => this.flushWhenFree(), { passive: true });
  }

  get size(): number {
    return this.list.querySelectorAll('li.row').length;
  }

  /** Whether rows were let go in live mode (then paging on from the bottom would leave a gap). */
  get lostTail(): boolean {
    return this.trimmed;
  }

  reset(hits: LogEvent[]): void {
    this.held = [];
    this.ids.clear();
    this.trimmed = false;
    this.updateHeld();
    replace(this.list, ...hits.map((e) => this.row(e)));
  }

  /** No hits: says so, in the list's place. */
  empty(text: string): void {
    this.reset([]);
    this.list.append(h('li', { class: 'empty' }, text));
  }

  append(hits: LogEvent[]): void {
    this.list.append(...hits.filter((e) => !this.ids.has(e.event_id)).map((e) => this.row(e)));
  }

  /** A new event from live mode; false when it is shown already. */
  arrived(event: LogEvent): boolean {
    if (this.ids.has(event.event_id)) return false;
    this.ids.add(event.event_id);
    this.held.push(event);
    this.flushWhenFree();
    return true;
  }

  /** Says where events were missed; the notice is returned so that what is filled in later can be said on it. */
  missed(m: TailMissed): HTMLElement {
    const what = m.missed === null ? 'Some events' : `${count(m.missed)} events`;
    const notice = h('li', { class: 'notice', attrs: { role: 'note' } }, `${what} were not shown here: ${m.reason}`);
    this.flush();
    this.list.prepend(notice);
    return notice;
  }

  /** The person is reading: scrolled away from the top, a row open, or text selected in the list. */
  private reading(): boolean {
    if (window.scrollY > 8) return true;
    if (this.list.querySelector('li.row.open')) return true;
    const sel = window.getSelection();
    return !!sel && !sel.isCollapsed && this.list.contains(sel.anchorNode);
  }

  private flushWhenFree(): void {
    if (this.held.length === 0) return;
    if (this.reading()) this.updateHeld();
    else this.flush();
  }

  private flush(): void {
    if (this.held.length === 0) return;
    // Newest on top: the last to arrive goes first.
    const rows = this.held.reverse().map((e) => this.row(e, true));
    this.held = [];
    this.list.querySelector('li.empty')?.remove();
    this.list.prepend(...rows);
    const all = this.list.querySelectorAll('li.row');
    for (let i = all.length - 1; i >= MAX_ROWS; i--) {
      this.ids.delete(this.events.get(all[i]!)?.event_id ?? '');
      all[i]!.remove();
      this.trimmed = true;
    }
    this.updateHeld();
  }

  private updateHeld(): void {
    const n = this.held.length;
    this.heldButton.hidden = n === 0;
    this.heldButton.textContent = n === 1 ? '▲ 1 new event' : `▲ ${count(n)} new events`;
  }

  private row(event: LogEvent, fresh = false): HTMLLIElement {
    const level = event.level.toLowerCase();
    const { date, time } = shortTime(Date.parse(event.timestamp));
    const li = h(
      'li',
      { class: `row lvl-${level}${fresh ? ' fresh' : ''}`, attrs: { tabindex: '0', 'aria-expanded': 'false' } },
      h(
        'div',
        { class: 'line' },
        h('span', { class: 'ts', title: event.timestamp }, h('span', { class: 'date' }, date), ' ', time),
        h('span', { class: 'lvl' }, event.level),
        h('span', { class: 'svc', title: event.service }, event.service),
        h('span', { class: 'msg' }, oneLine(event.message)),
      ),
    );
    this.events.set(li, event);
    this.ids.add(event.event_id);
    return li;
  }

  private toggle(row: HTMLLIElement): void {
    const open = row.classList.toggle('open');
    row.setAttribute('aria-expanded', String(open));
    if (open) row.append(eventDetail(this.events.get(row)!, this.onFilter));
    else row.querySelector('.detail')?.remove();
    if (!open) this.flushWhenFree();
  }
}

/** A multi-line message on its one line: line breaks shown as ⏎, the whole of it in the details. */
function oneLine(message: string): string {
  const text = message.length > 2000 ? `${message.slice(0, 2000)}…` : message;
  return text.replace(/\r?\n/g, ' ⏎ ');
}
