// Small text helpers the element's views share: sizes, clock times, plurals, and text with marked
// ranges (always as text nodes, never parsed as HTML).

export function megabytes(bytes) {
  return (bytes / 1e6).toFixed(bytes < 1e6 ? 3 : bytes < 1e7 ? 2 : 1);
}

// "1:20" for an audio segment's start (source_offset is in milliseconds for audio).
export function clockTime(milliseconds) {
  const seconds = Math.floor(milliseconds / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export function plural(count, word, plural = `${word}s`) {
  return `${count.toLocaleString()} ${count === 1 ? word : plural}`;
}

export function describeError(error) {
  return error?.code ? `${error.message} (${error.code})` : String(error?.message ?? error);
}

// `text` with the [start, end) ranges marked (<mark>), appended to `element` as text nodes.
export function appendMarkedText(element, text, ranges) {
  let at = 0;
  for (const [start, end] of [...(ranges ?? [])].sort((a, b) => a[0] - b[0])) {
    if (start < at || end > text.length || start >= end) continue;
    element.append(text.slice(at, start));
    const mark = document.createElement('mark');
    mark.textContent = text.slice(start, end);
    element.append(mark);
    at = end;
  }
  element.append(text.slice(at));
}

export const kindSymbols = { text: '¶', image: '▣', audio: '♪', video: '▶', pdf: 'PDF' };

// What a score is, said on hover and in the detail view.
export function scoreExplanation(mode, closeMatchSimilarity) {
  const cutOff = closeMatchSimilarity === undefined ? undefined : closeMatchSimilarity.toFixed(2);
  if (mode === 'keyword') return 'BM25 score: how strongly the query\'s words occur in this item (higher is better)';
  if (mode === 'hybrid') {
    return 'fused score (0 to 1): meaning and words together, relative to the other results' +
      (cutOff ? `; a close match has a meaning similarity of at least ${cutOff} or holds the query's words` : '');
  }
  return `cosine similarity of meaning (−1 to 1)${cutOff ? `; ${cutOff} or more is a close match for this model` : ''}`;
}
