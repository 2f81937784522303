import { h } from './dom.ts';
import { toLocalInput } from './format.ts';
import { isRelative, RELATIVE_RANGES, type PageState } from './state.ts';

// The time range picker: the last 15m/1h/24h/7d/30d, or an absolute range (typed, or made by
// zooming the histogram), in the browser's time zone.

export class RangePicker {
  constructor(
    private readonly select: HTMLSelectElement,
    private readonly custom: HTMLFormElement,
    private readonly fromInput: HTMLInputElement,
    private readonly toInput: HTMLInputElement,
    onChange: (range: { from: string; to: string }) => void,
  ) {
    select.append(...RELATIVE_RANGES.map((r) => h('option', { attrs: { value: r.from } }, r.label)), h('option', { attrs: { value: 'custom' } }, 'Custom range…'));
    select.addEventListener('change', () => {
      if (select.value === 'custom') {
        this.custom.hidden = false;
        if (!this.fromInput.value) this.fromInput.value = toLocalInput(Date.now() - 3_600_000);
        this.fromInput.focus();
      } else {
        this.custom.hidden = true;
        onChange({ from: select.value, to: '' });
      }
    });
    custom.addEventListener('submit', (e) => {
      e.preventDefault();
      const from = fromLocalInput(this.fromInput.value);
      const to = fromLocalInput(this.toInput.value);
      if (from === undefined) return this.fromInput.setCustomValidity('a start time is needed'), this.fromInput.reportValidity();
      if (to !== undefined && to <= from) return this.toInput.setCustomValidity('the end must be after the start'), this.toInput.reportValidity();
      onChange({ from: new Date(from).toISOString(), to: to === undefined ? '' : new Date(to).toISOString() });
    });
    for (const input of [fromInput, toInput]) input.addEventListener('input', () => input.setCustomValidity(''));
  }

  show(s: PageState): void {
    if (isRelative(s)) {
      // A link's own duration ("2h"): offered as it is, beside the usual ones.
      if (![...this.select.options].some((o) => o.value === s.from)) this.select.prepend(h('option', { attrs: { value: s.from } }, `Last ${s.from}`));
      this.select.value = s.from;
      this.custom.hidden = true;
      return;
    }
    this.select.value = 'custom';
    this.custom.hidden = false;
    this.fromInput.value = inputValue(s.from);
    this.toInput.value = inputValue(s.to);
  }
}

/** An ISO time (or duration ago) as the local datetime-local value; '' when there is none. */
function inputValue(bound: string): string {
  if (!bound) return '';
  const ms = Date.parse(bound);
  return Number.isNaN(ms) ? '' : toLocalInput(ms);
}

function fromLocalInput(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime(); // datetime-local values are local time
  return Number.isNaN(ms) ? undefined : ms;
}
