import type { LogEvent } from '../../shared/event.ts';
import { h } from './dom.ts';
import { eventFields } from './format.ts';

// An expanded event: every field (filterable ones with + and −, as Kibana's document table) or the
// event as JSON, which a button copies.

export type FilterHandler = (key: string, value: string, negate: boolean) => void;

export function eventDetail(event: LogEvent, onFilter: FilterHandler): HTMLElement {
  const json = JSON.stringify(event, null, 2);
  const table = h('table', { class: 'fields' });
  const body = h('tbody', null);
  for (const f of eventFields(event)) {
    const actions = h('td', { class: 'act' });
    if (f.key !== undefined && f.value !== undefined) {
      const { key, value } = f;
      actions.append(
        h('button', { class: 'icon', title: `Only events with ${key} = this value`, attrs: { type: 'button', 'aria-label': `filter for ${key}` }, on: { click: () => onFilter(key, value, false) } }, '+'),
        h('button', { class: 'icon', title: `Leave out events with ${key} = this value`, attrs: { type: 'button', 'aria-label': `filter out ${key}` }, on: { click: () => onFilter(key, value, true) } }, '−'),
      );
    }
    body.append(h('tr', null, actions, h('th', { attrs: { scope: 'row' } }, f.name), h('td', { class: f.text.includes('\n') ? 'val multiline' : 'val' }, f.text)));
  }
  table.append(body);
  const pre = h('pre', { class: 'json' }, json);
  pre.hidden = true;
  const status = h('span', { class: 'copied', attrs: { 'aria-live': 'polite' } });
  const tabTable = h('button', { class: 'tab on', attrs: { type: 'button', 'aria-pressed': 'true' } }, 'Table');
  const tabJson = h('button', { class: 'tab', attrs: { type: 'button', 'aria-pressed': 'false' } }, 'JSON');
  const choose = (asJson: boolean) => {
    pre.hidden = !asJson;
    table.hidden = asJson;
    tabJson.classList.toggle('on', asJson);
    tabTable.classList.toggle('on', !asJson);
    tabJson.setAttribute('aria-pressed', String(asJson));
    tabTable.setAttribute('aria-pressed', String(!asJson));
  };
  tabTable.addEventListener('click', () => choose(false));
  tabJson.addEventListener('click', () => choose(true));
  const copy = h('button', { class: 'copy', attrs: { type: 'button' } }, 'Copy JSON');
  copy.addEventListener('click', () => {
    void copyText(json).then((ok) => {
      status.textContent = ok ? 'Copied' : 'Copy failed: select the JSON and copy it';
      if (!ok) choose(true);
      setTimeout(() => (status.textContent = ''), 2000);
    });
  });
  const detail = h('div', { class: 'detail' }, h('div', { class: 'detail-bar' }, tabTable, tabJson, copy, status), table, pre);
  // A click inside the details (selecting a value, a button) must not fold the row.
  detail.addEventListener('click', (e) => e.stopPropagation());
  return detail;
}

/** The clipboard API exists only in secure contexts (https, localhost); elsewhere the older way. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { class: 'offscreen', attrs: { readonly: '' } });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}
