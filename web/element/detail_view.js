// The detail view of one result: a modal <dialog> with the whole picture, the player, the text with
// the query's words marked, its metadata, the file's link and "More like this". Escape (the dialog's
// own cancel) and the Close button close it; focus goes back to what opened it.
import { extractedText, pageRange, startTime, wholeTranscript } from './extracted_text.js';
import { appendMarkedText } from './formatting.js';
import { mediaElement, titleOf } from './result_card.js';

// Where the item's own file can be opened: the index's copy (audio, video, PDF), a source that is a web
// address, or the source path under the element's `source-base` (text files have no copy in the
// index). Each path segment is escaped, so a source never becomes another scheme or a query.
export function fileUrlOf(item, mediaUrl, sourceBaseUrl) {
  if (mediaUrl) return mediaUrl;
  const source = item.source ?? '';
  if (/^https?:\/\//.test(source)) return source;
  if (!sourceBaseUrl || source === '') return undefined;
  return new URL(source.split('/').map(encodeURIComponent).join('/'), sourceBaseUrl).href;
}

export class DetailView {
  #dialog;
  #title;
  #body;
  #opener;

  constructor(root, { onSimilar, onClose }) {
    this.#dialog = root.getElementById('detail');
    this.#title = root.getElementById('detail-title');
    this.#body = root.getElementById('detail-body');
    this.onSimilar = onSimilar;
    root.getElementById('detail-close').addEventListener('click', () => this.#dialog.close());
    // A click on the backdrop (outside the dialog's box) closes it too.
    this.#dialog.addEventListener('click', (event) => {
      if (event.target === this.#dialog) this.#dialog.close();
    });
    this.#dialog.addEventListener('close', () => {
      for (const player of this.#body.querySelectorAll('audio, video')) player.pause();
      const opener = this.#opener;
      this.#opener = undefined;
      if (opener?.isConnected) opener.focus();
      onClose?.();
    });
  }

  get open() { return this.#dialog.open; }

  close() { if (this.#dialog.open) this.#dialog.close(); }

  show(result, opener, { scoreTitle, similarity, sourceBaseUrl }) {
    const { item = {}, thumbnailUrl, mediaUrl, highlights } = result;
    this.#opener = opener;
    this.#title.textContent = titleOf(result);
    const parts = [];
    const media = mediaElement(item, mediaUrl, titleOf(result), { className: 'detail-media', detail: true, posterUrl: thumbnailUrl });
    const player = media && media.tagName !== 'A' ? media : undefined;
    // A video's player already shows the thumbnail as its poster: the same picture twice is left out.
    if (thumbnailUrl && !(player?.tagName === 'VIDEO' && player.poster)) {
      const image = document.createElement('img');
      image.className = 'detail-image';
      image.src = thumbnailUrl;
      image.alt = item.title ?? '';
      parts.push(image);
    }
    if (player) parts.push(player);
    // Text read out of the medium: where it came from, the heard segments with the query's words (each
    // plays from its start), and the whole transcript folded below.
    const extracted = extractedText(result, { player, titleText: titleOf(result), className: 'detail-text', maximumSegments: 12 });
    if (extracted) {
      parts.push(extracted);
      const transcript = wholeTranscript(result, { player, titleText: titleOf(result) });
      if (transcript) parts.push(transcript);
    } else if (item.snippet) {
      const text = document.createElement('p');
      text.className = 'detail-text';
      appendMarkedText(text, item.snippet, highlights?.snippet);
      parts.push(text);
    }
    const facts = document.createElement('dl');
    facts.className = 'detail-meta';
    const fact = (name, value) => {
      if (value === undefined || value === '' || value === null) return;
      const term = document.createElement('dt');
      term.textContent = name;
      const description = document.createElement('dd');
      description.textContent = value;
      facts.append(term, description);
    };
    fact('Kind', item.modality);
    fact('Label', item.label);
    fact('Tags', item.tags?.join(', '));
    fact('File', item.source);
    fact('Type', item.mime_type);
    fact('Starts at', startTime(item));
    fact('Pages', pageRange(item));
    // An item opened from the start page's grid answers no query: it has no score.
    if (result.score !== undefined) fact('Score', `${result.score.toFixed(3)} (${scoreTitle})`);
    if (similarity !== undefined) fact('Meaning similarity', `${similarity.toFixed(3)}${result.close === false ? ' (a weaker match)' : ''}`);
    if (result.matchedTerms?.length) fact('Matched words', result.matchedTerms.join(', '));
    if (item.text_from === 'ocr') fact('Text', 'read from the image (OCR)');
    else if (item.text_from === 'pdf') fact('Text', "the PDF's own text");
    else if (item.text_from === 'speech') fact('Text', 'heard by speech recognition (it mishears words)');
    if (item.embedded_from === 'caption' && !item.text_from) fact('Matched by', 'its caption');
    parts.push(facts);
    const actions = document.createElement('div');
    actions.className = 'detail-actions';
    const fileUrl = fileUrlOf(item, mediaUrl, sourceBaseUrl);
    if (fileUrl) {
      const link = document.createElement('a');
      const atPage = item.modality === 'pdf' && pageRange(item) && fileUrl === mediaUrl ? item.source_offset : undefined;
      link.href = atPage ? `${fileUrl}#page=${atPage}` : fileUrl;
      link.target = '_blank';
      link.rel = 'noopener';
      link.className = 'detail-file';
      link.textContent = item.modality !== 'pdf' ? 'Open the file' : atPage ? `Open PDF at page ${atPage}` : 'Open PDF';
      actions.append(link);
    }
    const similar = document.createElement('button');
    similar.type = 'button';
    similar.className = 'detail-similar';
    similar.textContent = 'More like this';
    similar.addEventListener('click', () => {
      this.#opener = undefined;  // the results change: focus goes to their summary instead
      this.#dialog.close();
      this.onSimilar(result);
    });
    actions.append(similar);
    parts.push(actions);
    this.#body.replaceChildren(...parts);
    this.#dialog.showModal();
    this.#dialog.querySelector('#detail-close').focus();
  }
}
