// The query, its mode and its filters in the page's address (with the `url-state` attribute), so a
// search can be shared, reloaded, and walked with Back and Forward:
//   ?q=TEXT&mode=hybrid|vector|keyword&kind=KIND&label=LABEL  (kind and label repeat)
//   ?similar=ITEM_ID&title=TITLE                             ("more like this")
// Image and sound queries have no address: their URL keeps the filters only.

export function stateToSearch({ query, mode, kinds, labels }) {
  const parameters = new URLSearchParams();
  if (query?.text !== undefined) parameters.set('q', query.text);
  if (query?.similarTo) {
    parameters.set('similar', query.similarTo);
    if (query.title) parameters.set('title', query.title);
  }
  if (query?.text !== undefined && mode && mode !== 'hybrid') parameters.set('mode', mode);
  for (const kind of [...kinds].sort()) parameters.append('kind', kind);
  for (const label of [...labels].sort()) parameters.append('label', label);
  const text = parameters.toString();
  return text ? `?${text}` : '';
}

// {query, mode, kinds, labels} from an address's search part; query undefined when it names none.
export function searchToState(search) {
  const parameters = new URLSearchParams(search);
  let query;
  const text = parameters.get('q');
  const similar = parameters.get('similar');
  if (text !== null && text.trim()) query = { text: text.trim() };
  else if (similar) query = { similarTo: similar, title: parameters.get('title') ?? 'this item' };
  const mode = ['hybrid', 'vector', 'keyword'].includes(parameters.get('mode')) ? parameters.get('mode') : 'hybrid';
  return { query, mode, kinds: new Set(parameters.getAll('kind')), labels: new Set(parameters.getAll('label')) };
}
