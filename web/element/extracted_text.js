// Text read out of a medium (item metadata `text_from`): the words OCR read in a picture, a PDF's own
// text, or the words heard in a recording or a video's sound track, shown with where they came from.
// Which transcript segments hold the query's words, and where in them, is the core's answer
// (result.highlights.transcript); this file only lays it out and starts the player there.
import { appendMarkedText, clockTime } from './formatting.js';

// "page 7" or "pages 7–12" for a PDF page or part (source_offset its first page, last_page its last).
export function pageRange(item) {
  if (item?.modality !== 'pdf' || !item.source_offset) return undefined;
  const first = item.source_offset;
  const last = item.last_page ?? first;
  return last > first ? `pages ${first}–${last}` : `page ${first}`;
}

// Where an audio item or a video segment starts in its source (milliseconds), when it is not the start.
export function startTime(item) {
  if ((item?.modality === 'audio' || item?.modality === 'video') && item.source_offset) return clockTime(item.source_offset);
  return undefined;
}

// Says where the shown text was read, so that nobody mistakes a machine's reading for the file's own words.
export function textSourceLabel(item) {
  if (item?.text_from === 'ocr') return 'Read from the picture (OCR)';
  if (item?.text_from === 'speech') return `Heard in the ${item.modality === 'video' ? "video's sound" : 'recording'} (speech recognition)`;
  if (item?.text_from === 'pdf') {
    const pages = pageRange(item);
    return pages ? `From the PDF, ${pages}` : "From the PDF's text";
  }
  return undefined;
}

// The transcript segments the query's words are in, as the core found them: [{segment, spans}] with
// `segment` the transcript entry; none for a vector search or an item without a transcript.
export function matchedSegments(result) {
  const transcript = result.item?.transcript ?? [];
  const found = [];
  for (const { segment, spans } of result.highlights?.transcript ?? []) {
    if (Number.isInteger(segment) && transcript[segment]) found.push({ segment: transcript[segment], spans });
  }
  return found;
}

// Starts `player` at `seconds`. Before its metadata is in (preload none, or still loading) there is nothing to seek in,
// so it loads and waits for it; play() may be refused (autoplay rules), the position stays set either way.
export async function playFrom(player, seconds) {
  if (player.readyState < HTMLMediaElement.HAVE_METADATA) {
    const loaded = new Promise((resolve, reject) => {
      player.addEventListener('loadedmetadata', resolve, { once: true });
      player.addEventListener('error', () => reject(player.error), { once: true });
    });
    // A player with preload none never fetches its metadata by itself: asked for now, by the user's press.
    player.preload = 'auto';
    player.load();
    await loaded;
  }
  player.currentTime = seconds;
  try {
    await player.play();
  } catch {
    // Not allowed to play without a gesture, or interrupted: the player shows where it stands.
  }
}

// One heard segment: a "Play from 0:42" button (when the item has a player) and its words, marked.
export function segmentLine(segment, spans, player, titleText) {
  const line = document.createElement('li');
  line.className = 'heard-segment';
  const at = clockTime(segment.start_ms);
  if (player) {
    const play = document.createElement('button');
    play.type = 'button';
    play.className = 'play-from';
    play.setAttribute('part', 'play-from');
    play.dataset.startMs = String(segment.start_ms);
    play.textContent = `▶ ${at}`;
    play.setAttribute('aria-label', `Play ${titleText} from ${at}`);
    play.title = `Play from ${at}, where these words were heard`;
    play.addEventListener('click', () => { playFrom(player, segment.start_ms / 1000); });
    line.append(play, ' ');
  } else {
    const time = document.createElement('span');
    time.className = 'heard-at';
    time.textContent = `${at} `;
    line.append(time);
  }
  const words = document.createElement('span');
  words.className = 'heard-words';
  appendMarkedText(words, segment.text, spans);
  line.append(words);
  return line;
}

// The text block of a card or the detail view for an item whose text was read out of its medium: a
// label saying where it came from, then the transcript segments that hold the query's words (each
// with its play control), else the snippet with the query's words marked. `player` is the item's
// audio or video element, when it has one. Returns null for other items.
export function extractedText(result, { player, titleText, className = 'snippet', maximumSegments = 3 } = {}) {
  const { item, highlights } = result;
  const label = textSourceLabel(item);
  if (!label) return null;
  const block = document.createElement('div');
  block.className = `extracted-text ${className}-block`;
  block.setAttribute('part', 'extracted-text');
  block.dataset.textFrom = item.text_from;
  const heading = document.createElement('p');
  heading.className = 'text-source';
  heading.textContent = label;
  block.append(heading);
  const segments = item.text_from === 'speech' ? matchedSegments(result) : [];
  if (segments.length > 0) {
    const list = document.createElement('ul');
    list.className = 'heard-segments';
    list.setAttribute('aria-label', `Where the words were heard in ${titleText}`);
    list.append(...segments.slice(0, maximumSegments).map(({ segment, spans }) => segmentLine(segment, spans, player, titleText)));
    block.append(list);
    if (segments.length > maximumSegments) {
      const more = document.createElement('p');
      more.className = 'text-source';
      more.textContent = `and ${segments.length - maximumSegments} more places`;
      block.append(more);
    }
    return block;
  }
  if (item.snippet) {
    const text = document.createElement('p');
    text.className = className;
    appendMarkedText(text, item.snippet, highlights?.snippet);
    block.append(text);
  }
  return block;
}

// The detail view's whole transcript, folded: each segment with its play control, built when opened.
export function wholeTranscript(result, { player, titleText }) {
  const transcript = result.item?.transcript ?? [];
  if (transcript.length === 0) return null;
  const marked = new Map(matchedSegments(result).map(({ segment, spans }) => [segment, spans]));
  const details = document.createElement('details');
  details.className = 'whole-transcript';
  details.setAttribute('part', 'transcript');
  const summary = document.createElement('summary');
  summary.textContent = `Everything heard (${transcript.length} ${transcript.length === 1 ? 'part' : 'parts'})`;
  const list = document.createElement('ul');
  list.className = 'heard-segments';
  details.append(summary, list);
  details.addEventListener('toggle', () => {
    if (!details.open || list.childElementCount > 0) return;
    list.append(...transcript.map((segment) => segmentLine(segment, marked.get(segment), player, titleText)));
  });
  return details;
}
