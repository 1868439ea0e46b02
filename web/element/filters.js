// The filter chips (kind and label), their counts, the active filters as removable chips, and "clear
// all". Before a query the counts are the collection's; after one they are those of the query's close
// matches (searched without the filters, so a chip says what choosing it would leave). The filtering
// itself is the core's (the API's `filter`), never done here.

// [[value, count]] sorted by count, then name.
export function countBy(items, key) {
  const counts = new Map();
  for (const item of items) {
    const value = item?.[key];
    if (value) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export class FilterPanel {
  #root;
  #onChange;

  // `chosen`: {modality: Set, label: Set}, owned by the element and changed here on a click.
  constructor(root, chosen, onChange) {
    this.#root = root;
    this.chosen = chosen;
    this.#onChange = onChange;
    root.getElementById('clear-filters').addEventListener('click', () => {
      this.chosen.modality.clear();
      this.chosen.label.clear();
      this.#onChange({ focus: root.getElementById('query') });
    });
  }

  get active() { return this.chosen.modality.size + this.chosen.label.size; }

  // `collection`: every item (the vocabulary of chips); `results`: the query's unfiltered results'
  // items, or undefined before a query (then the collection's own counts are shown).
  render(collection, results) {
    const counted = results ?? collection;
    for (const [key, container] of [['modality', 'kind-chips'], ['label', 'label-chips']]) {
      const counts = new Map(countBy(counted, key));
      // Every value of the collection stays offered (at 0 when no result has it), and a chosen one
      // stays even when a refresh removed its last item; the ones the results hold come first.
      const values = countBy(collection, key).map(([value]) => value);
      for (const value of this.chosen[key]) if (!values.includes(value)) values.push(value);
      values.sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0));
      this.#renderChips(this.#root.getElementById(container), values.map((value) => [value, counts.get(value) ?? 0]), key,
        results ? 'among these results' : 'in the collection');
    }
    this.#renderActive();
    this.#root.getElementById('clear-filters').disabled = this.active === 0;
    const toggle = this.#root.getElementById('sheet-toggle');
    toggle.textContent = this.active > 0 ? `Filters (${this.active})` : 'Filters';
  }

  #renderChips(container, counts, key, where) {
    const focused = this.#root.activeElement;
    const refocus = focused?.dataset?.filter === key ? focused.dataset.value : undefined;
    container.replaceChildren();
    for (const [value, count] of counts) {
      const chip = document.createElement('button');
      chip.type = 'button';
      chip.className = 'chip';
      chip.setAttribute('part', 'chip');
      chip.dataset.filter = key;
      chip.dataset.value = value;
      chip.dataset.count = String(count);
      chip.setAttribute('aria-pressed', String(this.chosen[key].has(value)));
      chip.setAttribute('aria-label', `${value}, ${count} ${where}`);
      chip.textContent = `${value} `;
      const number = document.createElement('span');
      number.className = 'count';
      number.textContent = String(count);
      chip.append(number);
      chip.addEventListener('click', () => {
        if (this.chosen[key].has(value)) this.chosen[key].delete(value);
        else this.chosen[key].add(value);
        this.#onChange({});
      });
      container.append(chip);
      if (value === refocus) chip.focus();
    }
    if (counts.length === 0) container.textContent = '—';
  }

  #renderActive() {
    const container = this.#root.getElementById('active-filters');
    container.replaceChildren();
    for (const key of ['modality', 'label']) {
      for (const value of this.chosen[key]) {
        const chip = document.createElement('button');
        chip.type = 'button';
        chip.className = 'active-filter secondary';
        chip.setAttribute('part', 'active-filter');
        chip.dataset.filter = key;
        chip.dataset.value = value;
        chip.textContent = `${value} ✕`;
        chip.setAttribute('aria-label', `Remove the filter ${key === 'label' ? 'label' : 'kind'} ${value}`);
        chip.addEventListener('click', () => {
          this.chosen[key].delete(value);
          this.#onChange({ focus: this.#root.getElementById('query-summary') });
        });
        container.append(chip);
      }
    }
    container.hidden = container.childElementCount === 0;
  }

  // The API's filter object for the chosen chips.
  filter() {
    const filter = {};
    if (this.chosen.modality.size > 0) filter.modality = [...this.chosen.modality];
    if (this.chosen.label.size > 0) filter.label = [...this.chosen.label];
    return filter;
  }
}
