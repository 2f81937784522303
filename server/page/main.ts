import './page.css';
import type { LogEvent } from '../../shared/event.ts';
import type { FieldsAnswer, HistogramAnswer, SearchAnswer } from '../../shared/http.ts';
import { ApiError, apiKey, getJson } from './api.ts';
import { byId, replace } from './dom.ts';
import { FacetsView } from './facets.ts';
import { sleep } from '../../shared/backoff.ts';
import { count, interval, localTime, zoneLabel } from './format.ts';
import { HistogramView } from './histogram.ts';
import { RangePicker } from './range.ts';
import { ResultsView } from './results.ts';
import { isRelative, readState, scopeParams, toggleTerm, writeState, type PageState } from './state.ts';
import { followTail, type Tail } from './tail.ts';

// The page LogFlow serves at `/`: the query, the range, the histogram, the hits, the fields, live mode.
// Its whole state is in the URL; the API key in this tab's session storage, sent only as a header.

const PAGE_SIZE = 100;

const queryInput = byId<HTMLInputElement>('q');
const liveButton = byId<HTMLButtonElement>('live');
const errorBox = byId('error');
const summary = byId('summary');
const moreButton = byId<HTMLButtonElement>('more');
const moreBox = byId('more-box');
const keyPanel = byId('key-panel');
const keyInput = byId<HTMLInputElement>('key');
const keyError = byId('key-error');
const viewBox = byId('view');

let state: PageState = readState(location.search);
let searching: AbortController | undefined;
let nextCursor: string | null = null;
let histogram: HistogramAnswer | undefined;
let tail: Tail | undefined;
let liveCount = 0;

const results = new ResultsView(byId<HTMLOListElement>('results'), byId<HTMLButtonElement>('held'), (key, value, negate) => pick(key, value, negate));
const facets = new FacetsView(byId('facet-list'), (key, value, negate) => pick(key, value, negate));
const chart = new HistogramView(byId('hist-plot'), byId('hist-readout'), (fromMs, toMs) => {
  change({ from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), live: false });
});
const range = new RangePicker(byId('range'), byId('custom-range'), byId('range-from'), byId('range-to'), (r) => change({ ...r, live: state.live && r.to === '' }));

/** A new state from a person's action: into the URL (Back undoes it), then searched. */
function change(patch: Partial<PageState>): void {
  state = { ...state, ...patch };
  history.pushState(null, '', `/${writeState(state)}`);
  void search();
}

function pick(key: string, value: string, negate: boolean): void {
  change({ q: toggleTerm(state.q, key, value, negate) });
}

function showState(): void {
  queryInput.value = state.q;
  range.show(state);
  liveButton.setAttribute('aria-pressed', String(state.live));
  liveButton.classList.toggle('on', state.live);
}

function showError(err: unknown): void {
  if (err instanceof DOMException && err.name === 'AbortError') return;
  if (err instanceof ApiError && err.status === 401) return askForKey(apiKey.get() ? `The server refused the key: ${err.message}` : undefined);
  const message = err instanceof Error ? err.message : String(err);
  errorBox.textContent = err instanceof ApiError && err.status === 400 ? `The search was refused: ${message}` : message;
  errorBox.hidden = false;
}

async function search(): Promise<void> {
  showState();
  searching?.abort();
  stopLive();
  if (!apiKey.get()) return askForKey();
  const abort = new AbortController();
  searching = abort;
  histogram = undefined;
  errorBox.hidden = true;
  viewBox.classList.add('loading');
  facets.loading();
  const scope = scopeParams(state);
  const histParams = new URLSearchParams(scope);
  histParams.set('buckets', String(chart.bucketsWanted()));
  const hits = getJson<SearchAnswer>('/search', withLimit(scope), abort.signal).then((a) => {
    results.reset(a.hits);
    nextCursor = a.next_cursor;
    showMore();
    return a;
  });
  const hist = getJson<HistogramAnswer>('/search/histogram', histParams, abort.signal).then((a) => {
    histogram = a;
    chart.show(a);
  });
  const fields = getJson<FieldsAnswer>('/search/fields', scope, abort.signal).then((a) => facets.show(a, state.q));
  const all = await Promise.allSettled([hits, hist, fields]);
  if (abort.signal.aborted) return;
  viewBox.classList.remove('loading');
  const failed = all.find((r) => r.status === 'rejected');
  if (failed) {
    showError(failed.reason);
    if (all[0].status === 'rejected') results.reset([]);
    if (all[1].status === 'rejected') chart.clear();
    if (all[2].status === 'rejected') facets.clear();
  }
  showSummary(all[0].status === 'fulfilled' ? all[0].value.hits.length : 0);
  if (state.live) startLive();
}

function withLimit(scope: URLSearchParams, cursor?: string): URLSearchParams {
  const p = new URLSearchParams(scope);
  p.set('limit', String(PAGE_SIZE));
  if (cursor) p.set('cursor', cursor);
  // Paging a moving range ("the last hour") goes on from where the first page's range began.
  if (cursor && isRelative(state) && histogram) p.set('from', histogram.from);
  return p;
}

function showSummary(shown: number): void {
  if (!histogram) return replace(summary);
  const parts: string[] = [];
  if (liveCount) parts.push(`${count(liveCount)} new since live mode began`);
  else if (histogram.total > shown) parts.push(`newest ${count(shown)} shown`);
  parts.push(`bars of ${interval(histogram.interval_ms)}`, `times in ${zoneLabel()}`);
  replace(summary, parts.join(' · '));
  if (histogram.total === 0 && shown === 0) {
    results.empty(state.live ? 'No events match yet: new ones will show here as they arrive.' : 'No events match in this range. Try a longer one, or fewer terms.');
  }
}

function showMore(): void {
  const can = nextCursor !== null && !results.lostTail;
  moreBox.hidden = !can;
  moreButton.disabled = false;
}

moreButton.addEventListener('click', () => {
  if (!nextCursor) return;
  moreButton.disabled = true;
  const signal = (searching ??= new AbortController()).signal;
  getJson<SearchAnswer>('/search', withLimit(scopeParams(state), nextCursor), signal).then(
    (a) => {
      results.append(a.hits);
      nextCursor = a.next_cursor;
      showMore();
      showSummary(results.size);
    },
    (err) => {
      moreButton.disabled = false;
      showError(err);
    },
  );
});

/**
 * Events the tail could not give (the page fell behind, or was away while the stream was trimmed)
 * are taken from search instead: whatever the stream let go every store had already written. Events
 * stamped more than a minute before the connection was lost are not looked for; the notice says so.
 */
async function fillGap(notice: HTMLElement, sinceMs: number, signal: AbortSignal): Promise<void> {
  // A new event is searchable within about a second of being written (OpenSearch's refresh).
  await sleep(1500, signal);
  const p = scopeParams({ ...state, from: new Date(sinceMs - 60_000).toISOString(), to: '' });
  p.set('limit', '1000');
  const answer = await getJson<SearchAnswer>('/search', p, signal);
  let filled = 0;
  for (const event of [...answer.hits].reverse()) if (results.arrived(event)) filled++;
  liveCount += filled;
  showSummary(results.size);
  const more = answer.next_cursor ? ' (more than 1,000 came: search for the rest)' : '';
  notice.append(` — ${count(filled)} filled in from search, stamped since ${localTime(sinceMs - 60_000)}${more}.`);
}

function startLive(): void {
  stopLive();
  const params = new URLSearchParams({ q: state.q });
  const abort = new AbortController();
  let lostAt: number | undefined;
  liveButton.dataset.status = 'connecting';
  const current = followTail(params, {
    onEvent: (event: LogEvent) => {
      // Events flow again: what follows a later loss is measured from that loss.
      lostAt = undefined;
      if (results.arrived(event)) liveCount++;
      showSummary(results.size);
    },
    onMissed: (m) => {
      const notice = results.missed(m);
      const since = lostAt ?? Date.now();
      lostAt = undefined;
      fillGap(notice, since, abort.signal).catch((err) => {
        if (!abort.signal.aborted) notice.append(` — could not fill them in from search: ${err instanceof Error ? err.message : String(err)}`);
      });
    },
    onStatus: (status, detail) => {
      if (status === 'reconnecting') lostAt ??= Date.now();
      liveButton.dataset.status = status;
      liveButton.title = status === 'live' ? 'Following new events: click to stop' : status === 'reconnecting' ? `Reconnecting: ${detail ?? ''}` : 'Connecting…';
    },
    onFatal: (err) => {
      change({ live: false });
      showError(err);
    },
  });
  tail = {
    stop: () => {
      abort.abort();
      current.stop();
    },
  };
}

function stopLive(): void {
  tail?.stop();
  tail = undefined;
  liveCount = 0;
  delete liveButton.dataset.status;
  liveButton.title = 'Follow new events as they arrive';
}

liveButton.addEventListener('click', () => {
  // Live follows what arrives now: a range that ended in the past is opened to "until now".
  if (state.live) change({ live: false });
  else change({ live: true, to: '' });
});

byId<HTMLFormElement>('search').addEventListener('submit', (e) => {
  e.preventDefault();
  change({ q: queryInput.value.trim() });
});

function askForKey(message?: string): void {
  keyPanel.hidden = false;
  keyError.textContent = message ?? '';
  keyError.hidden = !message;
  keyInput.value = '';
  keyInput.focus();
}

byId<HTMLFormElement>('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return;
  apiKey.set(key);
  keyInput.value = '';
  keyPanel.hidden = true;
  void search();
});

byId('key-button').addEventListener('click', () => {
  apiKey.forget();
  searching?.abort();
  stopLive();
  askForKey('The key is forgotten in this tab. Enter one to go on.');
});

byId('help-button').addEventListener('click', () => {
  const help = byId('help');
  help.hidden = !help.hidden;
});

document.addEventListener('keydown', (e) => {
  const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
  if (e.key === '/' && !typing) {
    e.preventDefault();
    queryInput.focus();
    queryInput.select();
  }
});

window.addEventListener('popstate', () => {
  state = readState(location.search);
  void search();
});

// Facets beside the hits on a wide screen; folded away above them on a phone.
(byId('facets-box') as HTMLDetailsElement).open = matchMedia('(min-width: 760px)').matches;
history.replaceState(null, '', `/${writeState(state)}`);
void search();
