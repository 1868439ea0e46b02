// The start page: what a newcomer sees before any query, so an empty search box is not all there is.
// A few example queries (the collection's own labels, most items first, which the index can answer)
// and a browse grid of the collection by label (its first items under each, in manifest order; one
// section "In the collection" when nothing is labelled). It only arranges the items the index holds:
// choosing an example runs an ordinary search, choosing a tile opens the ordinary detail view.
import { countBy } from './filters.js';
import { kindSymbols } from './formatting.js';
import { titleOf } from './result_card.js';

const exampleCount = 4;     // example queries offered
const labelSections = 6;    // labels shown in the grid, most items first
const itemsPerLabel = 4;    // tiles under each label

function tile(item, resolve, onOpen) {
  const entry = document.createElement('li');
  entry.className = 'browse-tile';
  entry.setAttribute('part', 'browse-tile');
  entry.dataset.itemId = item.id;
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'browse-open';
  const result = { id: item.id, item, thumbnailUrl: item.thumbnail ? resolve(item.thumbnail) : undefined, mediaUrl: item.media ? resolve(item.media) : undefined };
  const preview = document.createElement('span');
  preview.className = 'browse-preview';
  if (result.thumbnailUrl) {
    const image = document.createElement('img');
    image.src = result.thumbnailUrl;
    image.alt = '';  // the button's text names it
    image.loading = 'lazy';
    preview.append(image);
  } else {
    preview.textContent = kindSymbols[item.modality] ?? '?';
    preview.setAttribute('aria-hidden', 'true');
  }
  const name = document.createElement('span');
  name.className = 'browse-title';
  name.textContent = titleOf(result);
  open.append(preview, name);
  open.addEventListener('click', () => onOpen(result, open));
  entry.append(open);
  return entry;
}

/**
 * Fills `container` (the start page's element) from the index's items.
 * @param {HTMLElement} container
 * @param {object[]} items  db.items()
 * @param {{ resolve: (path: string) => string, onExample: (text: string) => void, onOpen: (result: object, opener: HTMLElement) => void }} actions
 */
export function renderStartPage(container, items, { resolve, onExample, onOpen }) {
  const labels = countBy(items, 'label');  // most items first, ties by name: the same page every visit
  const parts = [];
  const intro = document.createElement('p');
  intro.className = 'start-intro';
  intro.textContent = `${items.length.toLocaleString()} items${labels.length > 0 ? ` under ${labels.length.toLocaleString()} labels` : ''}. Search by meaning, or start from one of these:`;
  parts.push(intro);
  if (labels.length > 0) {
    const examples = document.createElement('div');
    examples.className = 'examples';
    examples.setAttribute('role', 'group');
    examples.setAttribute('aria-label', 'Example queries');
    for (const [label] of labels.slice(0, exampleCount)) {
      const example = document.createElement('button');
      example.type = 'button';
      example.className = 'example secondary';
      example.setAttribute('part', 'example');
      example.textContent = label;
      example.addEventListener('click', () => onExample(label));
      examples.append(example);
    }
    parts.push(examples);
  }
  const sections = labels.length > 0
    ? labels.slice(0, labelSections).map(([label, count]) => ({ heading: `${label} (${count.toLocaleString()})`, label, chosen: items.filter((item) => item.label === label) }))
    : [{ heading: 'In the collection', label: '', chosen: items }];
  for (const { heading, label, chosen } of sections) {
    const section = document.createElement('section');
    section.className = 'browse-section';
    section.dataset.label = label;
    const title = document.createElement('h3');
    title.textContent = heading;
    const grid = document.createElement('ul');
    grid.className = 'browse-grid';
    grid.setAttribute('part', 'browse-grid');
    grid.append(...chosen.slice(0, itemsPerLabel * (label ? 1 : 3)).map((item) => tile(item, resolve, onOpen)));
    section.append(title, grid);
    parts.push(section);
  }
  container.replaceChildren(...parts);
}
