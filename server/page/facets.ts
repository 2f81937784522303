import type { FieldsAnswer } from '../../shared/http.ts';
import { h, replace } from './dom.ts';
import { count } from './format.ts';
import { hasTerm } from './state.ts';

// The fields of the matching events and their most frequent values (GET /search/fields), as Kibana's
// field list: a click on a value adds `key:value` to the query (again: takes it out), − leaves it out.

/** Fields shown open; the others are one line each until clicked. */
const OPEN_FIELDS = 6;
const VALUES_SHOWN = 5;

export class FacetsView {
  constructor(
    private readonly box: HTMLElement,
    private readonly onPick: (key: string, value: string, negate: boolean) => void,
  ) {}

  loading(): void {
    this.box.classList.add('stale');
  }

  show(answer: FieldsAnswer, query: string): void {
    this.box.classList.remove('stale');
    if (answer.fields.length === 0) {
      replace(this.box, h('p', { class: 'muted small' }, 'No fields: no event matches.'));
      return;
    }
    const note = answer.sampled >= 10_000 ? h('p', { class: 'muted small' }, `From the newest ${count(answer.sampled)} events.`) : null;
    replace(this.box, note, ...answer.fields.map((f, i) => this.field(f, i < OPEN_FIELDS, answer.sampled, query)));
  }

  clear(): void {
    replace(this.box);
  }

  private field(f: FieldsAnswer['fields'][number], open: boolean, sampled: number, query: string): HTMLElement {
    const details = h('details', { class: 'facet' }, h('summary', null, h('span', { class: 'fname' }, f.name), h('span', { class: 'fcount' }, percent(f.count, sampled))));
    details.open = open;
    const list = h('ul', null);
    f.values.forEach((v, i) => {
      const on = hasTerm(query, f.name, v.value);
      const off = hasTerm(query, f.name, v.value, true);
      const pick = h(
        'button',
        { class: `fvalue${on ? ' on' : ''}${off ? ' off' : ''}`, title: `${on ? 'Remove' : 'Add'} ${f.name}:${v.value}`, attrs: { type: 'button', 'data-field': f.name } },
        h('span', { class: 'vtext' }, v.value === '' ? '(empty)' : v.value),
        h('span', { class: 'vcount' }, count(v.count)),
        h('span', { class: 'vbar', attrs: { 'aria-hidden': 'true' } }),
      );
      (pick.lastChild as HTMLElement).style.width = `${Math.round((v.count / Math.max(1, sampled)) * 100)}%`;
      pick.addEventListener('click', () => this.onPick(f.name, v.value, false));
      const exclude = h('button', { class: 'icon', title: `Leave out ${f.name}:${v.value}`, attrs: { type: 'button', 'aria-label': `leave out ${f.name} ${v.value}` } }, '−');
      exclude.addEventListener('click', () => this.onPick(f.name, v.value, true));
      const li = h('li', null, pick, exclude);
      if (i >= VALUES_SHOWN) li.classList.add('extra');
      list.append(li);
    });
    details.append(list);
    if (f.values.length > VALUES_SHOWN) {
      const more = h('button', { class: 'link small', attrs: { type: 'button' } }, `${f.values.length - VALUES_SHOWN} more`);
      more.addEventListener('click', () => {
        list.classList.add('all');
        more.remove();
      });
      details.append(more);
    }
    return details;
  }
}

function percent(n: number, of: number): string {
  if (of === 0) return '';
  const p = (n / of) * 100;
  return p >= 99.95 ? '100%' : p < 1 ? '<1%' : `${Math.round(p)}%`;
}
