// One result as a card: its picture (for a video, its player showing the poster frame; a band with its
// kind when it has none), its title as the button that opens the detail view, the score (explained on
// hover), its snippet with the query's words marked, its player or PDF link, and "More like this".
import { extractedText, pageRange, startTime } from './extracted_text.js';
import { appendMarkedText, kindSymbols } from './formatting.js';

// The item's playable/openable copy (item.media): an audio player, a video player, or a link that
// opens the PDF (at its page, for a PDF page or part); all reachable with the keyboard. An audio card
// fetches nothing until played (`preload` none): with `preload` metadata, Chromium buffered 16-30 s of
// each of ten 10-minute WAVs (270-480 KB apiece) before anything played, too much for a page of results
// on a phone; its length on the controls should come from the index instead. A video, and a recording
// opened in the detail view, read their metadata for their length. A video shows its poster frame (the
// thumbnail the indexer picked, not a black first frame) until it plays.
export function mediaElement(item, mediaUrl, titleText, { className = 'result-media', detail = false, posterUrl } = {}) {
  if (!mediaUrl) return null;
  if (item.modality === 'audio' || item.modality === 'video') {
    const player = document.createElement(item.modality);
    player.controls = true;
    player.preload = item.modality === 'video' || detail ? 'metadata' : 'none';
    if (item.modality === 'video' && posterUrl) player.poster = posterUrl;
    player.src = mediaUrl;
    player.className = className;
    player.setAttribute('aria-label', `Play ${titleText}`);
    return player;
  }
  if (item.modality === 'pdf') {
    const link = document.createElement('a');
    const pages = pageRange(item);
    // PDF viewers open a #page=N address at that page (Adobe's "PDF open parameters").
    link.href = pages ? `${mediaUrl}#page=${item.source_offset}` : mediaUrl;
    link.target = '_blank';
    link.rel = 'noopener';
    link.type = 'application/pdf';
    link.className = 'open-media';
    link.textContent = pages ? `Open PDF at page ${item.source_offset}` : 'Open PDF';
    link.setAttribute('aria-label', `${link.textContent}: ${titleText}`);
    return link;
  }
  return null;
}

function pieceOfMeta(className, text) {
  const piece = document.createElement('span');
  piece.className = className;
  piece.textContent = text;
  return piece;
}

export function titleOf(result) {
  return result.item?.title || result.item?.source || result.id;
}

// {id, score, item, thumbnailUrl, mediaUrl, highlights, close, similarResults} -> <li>; `actions` opens
// the detail view and searches for more like it. similarResults (element/duplicate_groups.js): the
// result's near-duplicates, behind an "N similar" button that unfolds them as cards of their own.
export function resultCard(result, position, actions) {
  const { onOpen, onSimilar, scoreTitle } = actions;
  const { id, score, item, thumbnailUrl, mediaUrl, highlights } = result;
  const card = document.createElement('li');
  card.className = 'result';
  card.setAttribute('part', 'result');
  card.dataset.itemId = id;
  card.dataset.modality = item?.modality ?? '';
  card.dataset.label = item?.label ?? '';
  card.dataset.close = String(result.close !== false);
  const figure = document.createElement('div');
  figure.className = 'preview';
  figure.setAttribute('part', 'preview');
  const media = item ? mediaElement(item, mediaUrl, titleOf(result), { posterUrl: thumbnailUrl }) : null;
  // A video with a poster plays in the picture's place: the poster frame is shown once, not as a
  // picture and again on the player under it.
  const playsInPreview = media?.tagName === 'VIDEO' && Boolean(media.poster);
  if (playsInPreview) {
    figure.classList.add('preview-player');
    figure.append(media);
  } else if (thumbnailUrl) {
    const image = document.createElement('img');
    image.src = thumbnailUrl;
    image.alt = item?.title ?? '';
    image.loading = position < 4 ? 'eager' : 'lazy';
    figure.append(image);
  } else {
    figure.classList.add(`kind-${item?.modality ?? 'unknown'}`);
    figure.textContent = kindSymbols[item?.modality] ?? '?';
    figure.setAttribute('aria-hidden', 'true');
  }
  const body = document.createElement('div');
  body.className = 'result-body';
  const title = document.createElement('h3');
  title.className = 'result-title';
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'result-open';
  if (item?.title) appendMarkedText(open, item.title, highlights?.title);
  else open.textContent = titleOf(result);
  open.addEventListener('click', () => onOpen(result, open));
  title.append(open);
  const meta = document.createElement('p');
  meta.className = 'result-meta';
  const scoreText = document.createElement('span');
  scoreText.className = 'score';
  scoreText.title = scoreTitle;
  scoreText.textContent = score.toFixed(3);
  meta.append(scoreText, ` · ${item?.modality ?? 'unknown'}`);
  if (result.close === false) {
    // The core judged it below the model's close-match similarity: said in words, not only by place.
    const weak = document.createElement('span');
    weak.className = 'weak-match';
    weak.setAttribute('part', 'weak-match');
    weak.textContent = 'weak match';
    meta.append(' · ', weak);
  }
  if (item?.label) meta.append(` · ${item.label}`);
  const starts = startTime(item);
  if (starts) meta.append(' · ', pieceOfMeta('starts-at', `starts at ${starts}`));
  const pages = pageRange(item);
  if (pages) meta.append(' · ', pieceOfMeta('page-range', pages));
  if (result.matchedItems > 1) meta.append(` · ${result.matchedItems} parts match`);
  body.append(title, meta);
  const player = media?.tagName === 'A' ? undefined : media ?? undefined;
  // Text read out of the medium says where it came from, and a transcript hit offers its play control.
  const extracted = extractedText(result, { player, titleText: titleOf(result) });
  if (extracted) {
    body.append(extracted);
  } else if (item?.snippet) {
    const snippet = document.createElement('p');
    snippet.className = 'snippet';
    appendMarkedText(snippet, item.snippet, highlights?.snippet);
    body.append(snippet);
  }
  if (media && !playsInPreview) body.append(media);
  const similarButton = document.createElement('button');
  similarButton.type = 'button';
  similarButton.className = 'more-like-this';
  similarButton.textContent = 'More like this';
  similarButton.setAttribute('aria-label', `More like this: result ${position + 1}, ${open.textContent}`);
  similarButton.addEventListener('click', () => onSimilar(result));
  body.append(similarButton);
  const similarResults = result.similarResults ?? [];
  if (similarResults.length > 0) body.append(...similarToggle(result, similarResults, position, actions, open.textContent));
  card.append(figure, body);
  return card;
}

// The "N similar" button and the folded list of the result's near-duplicates.
function similarToggle(result, similarResults, position, actions, titleText) {
  const count = similarResults.length;
  const list = document.createElement('ul');
  list.className = 'similar-results';
  list.setAttribute('part', 'similar-results');
  list.id = `similar-to-${result.id}`;
  list.setAttribute('aria-label', `${count} similar to ${titleText}`);
  list.hidden = true;
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'similar-toggle';
  toggle.setAttribute('part', 'similar-toggle');
  toggle.setAttribute('aria-controls', list.id);
  toggle.setAttribute('aria-expanded', 'false');
  toggle.textContent = `${count} similar`;
  toggle.title = 'Near-identical results (the same picture or text again), shown as one';
  toggle.addEventListener('click', () => {
    const opening = list.hidden;
    // Built when first opened: a folded copy costs nothing (no thumbnail fetched) until asked for.
    if (opening && list.childElementCount === 0) {
      list.append(...similarResults.map((similar) => resultCard({ ...similar, similarResults: [] }, position, actions)));
    }
    list.hidden = !opening;
    toggle.setAttribute('aria-expanded', String(opening));
    toggle.textContent = opening ? `Hide ${count} similar` : `${count} similar`;
  });
  return [toggle, list];
}
