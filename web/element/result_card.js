// One result as a card: its picture (or a band with its kind), its title as the button that opens the
// detail view, the score (explained on hover), its snippet with the query's words marked, its player
// or PDF link, and "More like this".
import { appendMarkedText, clockTime, kindSymbols } from './formatting.js';

// The item's playable/openable copy (item.media): an audio player, a video player, or a link that
// opens the PDF; all reachable with the keyboard. `preload` none: nothing is fetched until played.
export function mediaElement(item, mediaUrl, titleText, { className = 'result-media', detail = false } = {}) {
  if (!mediaUrl) return null;
  if (item.modality === 'audio' || item.modality === 'video') {
    const player = document.createElement(item.modality);
    player.controls = true;
    // A video shows its first frame by preloading the metadata (a small ranged read per result).
    player.preload = item.modality === 'video' || detail ? 'metadata' : 'none';
    player.src = mediaUrl;
    player.className = className;
    player.setAttribute('aria-label', `Play ${titleText}`);
    return player;
  }
  if (item.modality === 'pdf') {
    const link = document.createElement('a');
    link.href = mediaUrl;
    link.target = '_blank';
    link.rel = 'noopener';
    link.type = 'application/pdf';
    link.className = 'open-media';
    link.textContent = 'Open PDF';
    link.setAttribute('aria-label', `Open PDF: ${titleText}`);
    return link;
  }
  return null;
}

export function titleOf(result) {
  return result.item?.title || result.item?.source || result.id;
}

// {id, score, item, thumbnailUrl, mediaUrl, highlights, close} -> <li>; `actions` opens the detail
// view and searches for more like it.
export function resultCard(result, position, { scoreTitle, onOpen, onSimilar }) {
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
  if (thumbnailUrl) {
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
  if (item?.modality === 'audio' && item.source_offset) meta.append(` · from ${clockTime(item.source_offset)}`);
  if (result.matchedItems > 1) meta.append(` · ${result.matchedItems} parts match`);
  body.append(title, meta);
  if (item?.snippet) {
    const snippet = document.createElement('p');
    snippet.className = 'snippet';
    appendMarkedText(snippet, item.snippet, highlights?.snippet);
    body.append(snippet);
  }
  const media = item ? mediaElement(item, mediaUrl, titleOf(result)) : null;
  if (media) body.append(media);
  const similarButton = document.createElement('button');
  similarButton.type = 'button';
  similarButton.className = 'more-like-this';
  similarButton.textContent = 'More like this';
  similarButton.setAttribute('aria-label', `More like this: result ${position + 1}, ${open.textContent}`);
  similarButton.addEventListener('click', () => onSimilar(result));
  body.append(similarButton);
  card.append(figure, body);
  return card;
}
