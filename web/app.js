// The Mosaic web app: a page over the JavaScript API (mosaic.mjs beside this file). It only shows
// things and passes the user's input on: embedding, search, filters, "more like this" and the label
// vote all happen in mosaic.mjs and its wasm core, never here.
//
// Settings come from config.json beside this page (optional; `mosaic export` writes one):
//   indexUrl      where the index site is (default ./index/, as `mosaic serve` lays it out)
//   proxyUrl      where POST /api/embed lives, for indexes built with a Gemini model
//   modelBaseUrl  the local text model's files (default: model/ beside mosaic.mjs)
//   labelThreshold  neighbours less similar than this do not vote on the label (default 0.3)
import { Mosaic, maximumAudioSeconds } from './mosaic.mjs';

const resultCount = 24;
const voteNeighbours = 5;
// Below this cosine a neighbour says little about the query: the panel then answers "unknown"
// rather than a label picked from unrelated items.
const defaultLabelThreshold = 0.3;
const typingPause = 300;  // milliseconds after the last key before a search starts by itself

const element = (id) => document.getElementById(id);
const view = {
  body: document.body,
  form: element('search-form'),
  query: element('query'),
  searchButton: element('search-button'),
  searchMode: element('search-mode'),
  imagePick: element('image-pick'),
  imageInput: element('image-input'),
  audioPick: element('audio-pick'),
  audioInput: element('audio-input'),
  recordButton: element('record-button'),
  audioNote: element('audio-note'),
  progress: element('load-progress'),
  progressBar: element('progress-bar'),
  status: element('status'),
  message: element('message'),
  labelPanel: element('label-panel'),
  votedLabel: element('voted-label'),
  votedConfidence: element('voted-confidence'),
  votedDetail: element('voted-detail'),
  kindChips: element('kind-chips'),
  labelChips: element('label-chips'),
  summary: element('query-summary'),
  results: element('results'),
  dropOverlay: element('drop-overlay'),
};

const state = {
  db: undefined,
  config: undefined,
  // What is searched: {text}, {image: Blob, name}, {audio: Blob, name, seconds, sourceSeconds, truncated} or
  // {similarTo: id}; undefined before the first query.
  query: undefined,
  kinds: new Set(),   // chosen modality chips (any of them)
  labels: new Set(),  // chosen label chips (any of them)
  lastSearchMilliseconds: undefined,
  searchNumber: 0,    // answers of an older search are dropped when a newer one was started
  updateNote: undefined,  // "updated: 3 new items" after the index changed under the page
  lastMode: undefined,    // the mode that ranked the last results: hybrid, vector or keyword
};

const modeNames = { hybrid: 'hybrid search', vector: 'meaning search', keyword: 'word search' };

// ---- settings ----

async function readConfig() {
  const url = new URL('config.json', document.baseURI);
  let response;
  try {
    response = await fetch(url, { cache: 'no-cache' });
  } catch {
    return {};
  }
  // No file means no settings; some hosts answer every missing path with an HTML page.
  if (!response.ok || (response.headers.get('content-type') ?? '').startsWith('text/html')) return {};
  let config;
  try {
    config = await response.json();
  } catch (cause) {
    throw new Error(`config.json is not valid JSON: ${cause.message}`);
  }
  const resolved = {};
  for (const key of ['indexUrl', 'proxyUrl', 'modelBaseUrl']) {
    if (typeof config[key] === 'string') resolved[key] = new URL(config[key], url).href;  // relative to config.json
  }
  if (typeof config.labelThreshold === 'number') resolved.labelThreshold = config.labelThreshold;
  return resolved;
}

// ---- status, messages, progress ----

function showMessage(text) {
  view.message.textContent = text;
  view.message.hidden = !text;
}

function describeError(error) {
  return error?.code ? `${error.message} (${error.code})` : String(error?.message ?? error);
}

function megabytes(bytes) {
  return (bytes / 1e6).toFixed(bytes < 1e6 ? 3 : bytes < 1e7 ? 2 : 1);
}

function updateStatus() {
  const db = state.db;
  if (!db) return;
  const stats = db.stats;
  const parts = [`${stats.items.toLocaleString()} items`, `${megabytes(stats.bytesTotal)} MB`];
  if (stats.items < stats.itemsTotal) parts[0] = `${stats.items.toLocaleString()} of ${stats.itemsTotal.toLocaleString()} items`;
  const settled = stats.shardsLoaded + stats.shardsFailed;
  if (settled < stats.shardsTotal) parts.push(`loading ${stats.shardsLoaded} of ${stats.shardsTotal} shards`);
  if (stats.shardsFailed > 0) parts.push(`${stats.shardsFailed} shard${stats.shardsFailed === 1 ? '' : 's'} failed`);
  if (state.lastSearchMilliseconds !== undefined) {
    parts.push(`last ${modeNames[state.lastMode] ?? 'search'} ${state.lastSearchMilliseconds.toFixed(1)} ms`);
  }
  if (state.updateNote) parts.push(state.updateNote);
  view.status.textContent = parts.join(' · ');
}

function onProgress({ loadedBytes, totalBytes, shardsLoaded, shardsTotal }) {
  view.progress.hidden = false;
  view.progressBar.max = Math.max(totalBytes, 1);
  view.progressBar.value = loadedBytes;
  view.progressBar.setAttribute('aria-valuetext', `${shardsLoaded} of ${shardsTotal} shards, ${megabytes(loadedBytes)} of ${megabytes(totalBytes)} MB`);
  // Before the first shard is searchable there is nothing else to say; afterwards the status line
  // keeps its counts and says how far loading is.
  if (state.db) updateStatus();
  else view.status.textContent = `Loading the index: ${shardsLoaded} of ${shardsTotal} shards, ${megabytes(loadedBytes)} of ${megabytes(totalBytes)} MB`;
}

// ---- filters ----

function countBy(items, key) {
  const counts = new Map();
  for (const item of items) {
    const value = item[key];
    if (value) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function renderChips(container, counts, chosen, kind) {
  container.replaceChildren();
  for (const [value, count] of counts) {
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.className = 'chip';
    chip.dataset.filter = kind;
    chip.dataset.value = value;
    chip.setAttribute('aria-pressed', String(chosen.has(value)));
    chip.textContent = `${value} `;
    const number = document.createElement('span');
    number.className = 'count';
    number.textContent = String(count);
    chip.append(number);
    chip.addEventListener('click', () => {
      if (chosen.has(value)) chosen.delete(value);
      else chosen.add(value);
      chip.setAttribute('aria-pressed', String(chosen.has(value)));
      runQuery();
    });
    container.append(chip);
  }
  if (counts.length === 0) container.textContent = '—';
}

function renderFilters() {
  const items = state.db.items();
  renderChips(view.kindChips, countBy(items, 'modality'), state.kinds, 'modality');
  renderChips(view.labelChips, countBy(items, 'label'), state.labels, 'label');
}

function currentFilter() {
  const filter = {};
  if (state.kinds.size > 0) filter.modality = [...state.kinds];
  if (state.labels.size > 0) filter.label = [...state.labels];
  return filter;
}

// ---- results ----

const kindSymbols = { text: '¶', image: '▣', audio: '♪', video: '▶', pdf: 'PDF' };

// "1:20" for an audio segment's start (source_offset is in milliseconds for audio).
function clockTime(milliseconds) {
  const seconds = Math.floor(milliseconds / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

// The item's playable/openable copy (item.media): an audio player, a video player with the poster
// (loaded only when played), or a link that opens the PDF; all reachable with the keyboard.
function renderMedia(item, mediaUrl, titleText) {
  if (!mediaUrl) return null;
  if (item.modality === 'audio') {
    const audio = document.createElement('audio');
    audio.controls = true;
    audio.preload = 'none';
    audio.src = mediaUrl;
    audio.className = 'result-media';
    audio.setAttribute('aria-label', `Play ${titleText}`);
    return audio;
  }
  if (item.modality === 'video') {
    const video = document.createElement('video');
    video.controls = true;
    // The index holds only a kind icon for a video (no frame decoder at index time), shown above; the
    // player shows the real first frame by preloading the metadata, a small ranged read per result.
    video.preload = 'metadata';
    video.src = mediaUrl;
    video.className = 'result-media';
    video.setAttribute('aria-label', `Play ${titleText}`);
    return video;
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

// `text` with the [start, end) ranges marked (<mark>), as text nodes: never parsed as HTML.
function markedText(element, text, ranges) {
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

function renderResult({ id, score, item, thumbnailUrl, mediaUrl, highlights }, position) {
  const card = document.createElement('li');
  card.className = 'result';
  card.dataset.itemId = id;
  card.dataset.modality = item?.modality ?? '';
  card.dataset.label = item?.label ?? '';
  const figure = document.createElement('div');
  figure.className = 'preview';
  if (thumbnailUrl) {
    const image = document.createElement('img');
    image.src = thumbnailUrl;
    image.alt = item?.title ?? '';
    image.loading = 'lazy';
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
  if (item?.title) markedText(title, item.title, highlights?.title);
  else title.textContent = item?.source || id;
  const meta = document.createElement('p');
  meta.className = 'result-meta';
  const scoreText = document.createElement('span');
  scoreText.className = 'score';
  scoreText.title = state.lastMode === 'vector' || !state.lastMode ? 'cosine similarity'
    : state.lastMode === 'keyword' ? 'BM25 score' : 'fused score (0 to 1)';
  scoreText.textContent = score.toFixed(3);
  meta.append(scoreText, ` · ${item?.modality ?? 'unknown'}`);
  if (item?.label) meta.append(` · ${item.label}`);
  if (item?.modality === 'audio' && item.source_offset) meta.append(` · from ${clockTime(item.source_offset)}`);
  body.append(title, meta);
  if (item?.snippet) {
    const snippet = document.createElement('p');
    snippet.className = 'snippet';
    markedText(snippet, item.snippet, highlights?.snippet);
    body.append(snippet);
  }
  const media = item ? renderMedia(item, mediaUrl, title.textContent) : null;
  if (media) body.append(media);
  const similarButton = document.createElement('button');
  similarButton.type = 'button';
  similarButton.className = 'more-like-this';
  similarButton.textContent = 'More like this';
  similarButton.setAttribute('aria-label', `More like result ${position + 1}: ${title.textContent}`);
  similarButton.addEventListener('click', () => {
    state.query = { similarTo: id, title: title.textContent };
    runQuery();
  });
  body.append(similarButton);
  card.append(figure, body);
  return card;
}

function renderResults(answer) {
  view.results.replaceChildren(...answer.results.map(renderResult));
  if (answer.results.length === 0) {
    const empty = document.createElement('li');
    empty.className = 'empty';
    empty.textContent = 'Nothing matches these filters.';
    view.results.append(empty);
  }
}

function renderSummary(answer) {
  const query = state.query;
  let text = '';
  if (query.similarTo) text = `More like “${query.title}”`;
  else if (query.image) text = `Image: ${query.name}`;
  else if (query.audio) text = describeAudioQuery(query);
  else text = `“${query.text}”`;
  if (answer.partial) text += ` — partial: ${answer.shardsSearched} of ${answer.shardsTotal} shards searched so far`;
  view.summary.textContent = text;
  view.summary.hidden = false;
}

function renderLabel(classification) {
  if (!classification) {
    view.labelPanel.hidden = true;
    return;
  }
  view.labelPanel.hidden = false;
  view.labelPanel.dataset.known = String(classification.known);
  view.votedLabel.textContent = classification.label;
  view.votedConfidence.textContent = classification.known ? `${Math.round(classification.confidence * 100)}%` : '';
  view.votedDetail.textContent = classification.known
    ? `${classification.votes} of ${classification.considered} close labelled neighbours agree`
    : 'No labelled item is close enough to this query.';
}

// ---- queries ----

function queryForApi(query) {
  if (query.image) return { image: query.image };
  if (query.audio) return { audio: query.audio };
  return { text: query.text };
}

async function runQuery() {
  const db = state.db;
  const query = state.query;
  if (!db || !query) return;
  const number = ++state.searchNumber;
  view.body.dataset.state = 'searching';
  showMessage('');
  const started = performance.now();
  try {
    const filter = currentFilter();
    let answer;
    let classification;
    if (query.similarTo) {
      answer = await db.similar(query.similarTo, { k: resultCount, filter });
    } else {
      const mode = query.text !== undefined && db.manifest.keywords ? view.searchMode.value : undefined;
      if (mode === 'keyword') {
        // Words alone: nothing to embed (no model to load), and no label vote, which needs a vector.
        answer = await db.search({ text: query.text }, { k: resultCount, filter, mode });
      } else {
        // Embedded once (in the page or by the proxy), then searched and voted on; a filter change
        // searches the same vector again.
        query.vector ??= await db.embed(queryForApi(query));
        const vector = query.vector;
        const vote = { k: voteNeighbours, threshold: state.config.labelThreshold ?? defaultLabelThreshold };
        // The vote answers "what is this query?" over the whole index, not the filtered view: without a
        // filter it comes from the search's own scan, with one it takes a scan of its own.
        const filtered = Object.keys(filter).length > 0;
        // A text query also goes to the keyword index (hybrid by default), with the same vector.
        const textQuery = query.text !== undefined ? { text: query.text, vector } : vector;
        answer = await db.search(textQuery, { k: resultCount, filter, classify: filtered ? undefined : vote, mode });
        classification = filtered ? await db.classify(vector, vote) : answer.classification;
      }
    }
    if (number !== state.searchNumber) return;
    state.lastSearchMilliseconds = performance.now() - started;
    state.lastMode = answer.mode;
    renderSummary(answer);
    renderResults(answer);
    renderLabel(classification);
    updateStatus();
  } catch (error) {
    if (number !== state.searchNumber) return;
    showMessage(describeError(error));
  } finally {
    if (number === state.searchNumber) view.body.dataset.state = 'ready';
  }
}

function searchText() {
  const text = view.query.value.trim();
  if (!text) return;
  state.query = { text };
  runQuery();
}

function searchImage(file) {
  if (!file) return;
  if (!file.type.startsWith('image/')) {
    showMessage(`${file.name || 'That file'} is not an image.`);
    return;
  }
  if (state.db?.usesLocalModel) {
    // The local model reads text only; saying so beats a failed call.
    showMessage(`This index was built with the local text model (${state.db.model}), which reads text only: ` +
      'search it by text or with “More like this”. Image search needs an index built with a Gemini model.');
    return;
  }
  state.query = { image: file, name: file.name || 'pasted image' };
  runQuery();
}

// ---- audio: a file, or a recording from the microphone ----

const localModelAudioNote = () => `Audio search is not available here: this index was built with the local text model (${state.db.model}), ` +
  'which reads text only. Search it by text or with “More like this”; audio search needs an index built with a Gemini model.';

function describeAudioQuery(query) {
  // A longer recording is searched by its beginning (Gemini embeds at most 80 s): say so, with its length.
  let length = '';
  if (query.truncated) length = ` (its first ${maximumAudioSeconds} s of ${clockTime(query.sourceSeconds * 1000)}; Gemini embeds at most ${maximumAudioSeconds} s)`;
  else if (query.seconds !== undefined) length = ` (${query.seconds.toFixed(1)} s)`;
  return `${query.recorded ? 'Recording' : `Audio: ${query.name}`}${length}`;
}

// Audio goes to the proxy as WAV or MP3 (all Gemini takes): anything else, a recording included, is
// decoded by the browser and written as WAV by the wasm core (Mosaic.prepareAudio) before the search.
async function searchAudio(audio, { name, recorded = false } = {}) {
  if (!audio) return;
  if (state.db?.usesLocalModel) {
    showMessage(localModelAudioNote());
    return;
  }
  const number = ++state.searchNumber;
  view.body.dataset.state = 'searching';
  showMessage('');
  let prepared;
  try {
    prepared = await Mosaic.prepareAudio(audio);
  } catch (error) {
    if (number !== state.searchNumber) return;
    view.body.dataset.state = 'ready';
    showMessage(`${name ?? 'The audio'} cannot be searched: ${describeError(error)}`);
    return;
  }
  if (number !== state.searchNumber) return;
  state.query = {
    audio: new Blob([prepared.bytes], { type: prepared.mimeType }),
    name: name ?? 'audio',
    recorded,
    seconds: prepared.seconds,
    sourceSeconds: prepared.sourceSeconds,
    truncated: prepared.truncated,
  };
  runQuery();
}

const recording = { recorder: undefined, started: 0, ticker: undefined, limitTimer: undefined, stoppedAtLimit: false };

function showAudioNote(text) {
  view.audioNote.textContent = text;
  view.audioNote.hidden = !text;
}

async function startRecording() {
  if (state.db?.usesLocalModel) {
    showMessage(localModelAudioNote());
    return;
  }
  // The microphone permission prompt can take a while: a second press meanwhile starts nothing.
  view.recordButton.disabled = true;
  let stream;
  let recorder;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    recorder = new MediaRecorder(stream);
  } catch (error) {
    for (const track of stream?.getTracks() ?? []) track.stop();
    showMessage(`The microphone could not be opened: ${error.message}`);
    return;
  } finally {
    view.recordButton.disabled = false;
  }
  const chunks = [];
  recorder.addEventListener('dataavailable', (event) => {
    if (event.data.size > 0) chunks.push(event.data);
  });
  recorder.addEventListener('stop', () => {
    for (const track of stream.getTracks()) track.stop();
    clearInterval(recording.ticker);
    clearTimeout(recording.limitTimer);
    const seconds = (performance.now() - recording.started) / 1000;
    const atLimit = recording.stoppedAtLimit;
    recording.recorder = undefined;
    view.recordButton.setAttribute('aria-pressed', 'false');
    view.recordButton.textContent = 'Record';
    showAudioNote(atLimit ? `Recording stopped at the ${maximumAudioSeconds} s limit.` : `Recorded ${seconds.toFixed(1)} s.`);
    // The recorder's own type (audio/webm;codecs=opus in Chromium); prepareAudio decodes it either way.
    searchAudio(new Blob(chunks, { type: recorder.mimeType }), { name: 'recording', recorded: true });
  });
  Object.assign(recording, { recorder, started: performance.now(), stoppedAtLimit: false });
  recorder.start();
  view.recordButton.setAttribute('aria-pressed', 'true');
  view.recordButton.textContent = 'Stop';
  const tick = () => showAudioNote(`Recording… ${Math.floor((performance.now() - recording.started) / 1000)} s ` +
    `(stops by itself at ${maximumAudioSeconds} s). Press Stop to search with it.`);
  tick();
  recording.ticker = setInterval(tick, 250);
  // Gemini embeds at most 80 s of audio: the recording ends there rather than being refused later.
  recording.limitTimer = setTimeout(() => {
    recording.stoppedAtLimit = true;
    stopRecording();
  }, maximumAudioSeconds * 1000);
}

function stopRecording() {
  if (recording.recorder?.state === 'recording') recording.recorder.stop();
}

// Called once the index is open: audio input only where its model embeds audio.
function configureAudioInput(db) {
  if (db.usesLocalModel) {
    view.audioPick.setAttribute('aria-disabled', 'true');
    view.audioPick.title = 'This index was built with the local text model, which reads text only';
    view.audioInput.disabled = true;
    view.recordButton.disabled = true;
    view.recordButton.title = view.audioPick.title;
    showAudioNote(localModelAudioNote());
    return;
  }
  const canRecord = typeof globalThis.MediaRecorder === 'function' && typeof navigator.mediaDevices?.getUserMedia === 'function';
  view.recordButton.disabled = !canRecord;
  if (!canRecord) view.recordButton.title = 'Recording needs MediaRecorder and a secure page (https:// or localhost)';
}

// A picked, dropped or pasted file: an image or a sound.
function searchFile(file) {
  if (!file) return;
  if (file.type.startsWith('audio/')) searchAudio(file, { name: file.name || 'audio' });
  else if (file.type.startsWith('image/')) searchImage(file);
  else showMessage(`${file.name || 'That file'} is neither an image nor a sound.`);
}

// ---- input wiring ----

function wireInput() {
  let typingTimer;
  view.form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(typingTimer);
    searchText();
  });
  view.searchMode.addEventListener('change', () => {
    if (state.query?.text !== undefined) runQuery();
  });
  view.query.addEventListener('input', () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(searchText, typingPause);
  });
  document.addEventListener('keydown', (event) => {
    const typing = ['INPUT', 'TEXTAREA'].includes(document.activeElement?.tagName);
    if (event.key === '/' && !typing) {
      event.preventDefault();
      view.query.focus();
    }
  });
  view.imagePick.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      view.imageInput.click();
    }
  });
  view.imageInput.addEventListener('change', () => {
    searchImage(view.imageInput.files?.[0]);
    view.imageInput.value = '';
  });
  // A label cannot be disabled: on a local-model index it explains instead of opening the picker.
  const audioPickDisabled = () => view.audioPick.getAttribute('aria-disabled') === 'true';
  view.audioPick.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      if (audioPickDisabled()) showMessage(localModelAudioNote());
      else view.audioInput.click();
    }
  });
  view.audioPick.addEventListener('click', (event) => {
    if (!audioPickDisabled()) return;
    event.preventDefault();
    showMessage(localModelAudioNote());
  });
  view.audioInput.addEventListener('change', () => {
    const file = view.audioInput.files?.[0];
    if (file) searchAudio(file, { name: file.name || 'audio' });
    view.audioInput.value = '';
  });
  view.recordButton.addEventListener('click', () => {
    if (recording.recorder) stopRecording();
    else startRecording();
  });
  document.addEventListener('paste', (event) => {
    const file = [...(event.clipboardData?.files ?? [])].find((candidate) => /^(image|audio)\//.test(candidate.type));
    if (!file) return;
    event.preventDefault();
    searchFile(file);
  });
  let dragDepth = 0;
  document.addEventListener('dragenter', (event) => {
    if (![...(event.dataTransfer?.types ?? [])].includes('Files')) return;
    dragDepth += 1;
    view.dropOverlay.hidden = false;
  });
  document.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) view.dropOverlay.hidden = true;
  });
  document.addEventListener('dragover', (event) => event.preventDefault());
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    dragDepth = 0;
    view.dropOverlay.hidden = true;
    searchFile(event.dataTransfer?.files?.[0]);
  });
}

// ---- keeping up with the collection ----

function plural(count, word) {
  return `${count.toLocaleString()} ${word}${count === 1 ? '' : 's'}`;
}

// A new generation was swapped in (db.watch: mosaic serve's events, or polling a static host): say
// so, rebuild the filters from the new items, and run the current query again over them.
function onIndexUpdate(update) {
  const difference = update.items - update.itemsBefore;
  const what = difference > 0 ? `${plural(difference, 'new item')}` : difference < 0 ? `${plural(-difference, 'item')} removed` : 'items changed';
  state.updateNote = `updated: ${what} (generation ${update.generation})`;
  view.body.dataset.generation = String(update.generation);
  renderFilters();
  updateStatus();
  if (!state.query) return;
  // A vector embedded for another model or size cannot search the new index: embed it again.
  if (state.queryShape !== indexShape(state.db)) delete state.query.vector;
  state.queryShape = indexShape(state.db);
  runQuery();
}

function indexShape(db) {
  return `${db.manifest.model} ${db.manifest.dimensions}`;
}

// ---- start ----

async function start() {
  wireInput();
  try {
    state.config = await readConfig();
  } catch (error) {
    state.config = {};
    showMessage(describeError(error));
  }
  const indexUrl = state.config.indexUrl ?? new URL('index/', document.baseURI).href;
  const options = { onProgress };
  if (state.config.proxyUrl) options.proxyUrl = state.config.proxyUrl;
  if (state.config.modelBaseUrl) options.modelBaseUrl = state.config.modelBaseUrl;
  view.body.dataset.state = 'loading';
  view.status.textContent = 'Loading the index…';
  // Shown before the first byte arrives: on a slow link the manifest and the first shard take a while.
  view.progress.hidden = false;
  view.progressBar.removeAttribute('value');  // indeterminate until the sizes are known
  let db;
  try {
    db = await Mosaic.open(indexUrl, options);
  } catch (error) {
    view.body.dataset.state = 'failed';
    view.progress.hidden = true;
    view.status.textContent = 'The index could not be opened.';
    showMessage(describeError(error));
    return;
  }
  state.db = db;
  view.query.disabled = false;
  view.searchButton.disabled = false;
  // The mode choice only where there is a keyword index to choose.
  view.searchMode.hidden = !db.manifest.keywords;
  if (db.usesLocalModel) view.imagePick.title = 'This index was built with the local text model, which reads text only';
  configureAudioInput(db);
  view.body.dataset.state = 'ready';
  renderFilters();
  updateStatus();
  view.query.focus();
  const loaded = await db.ready;
  view.progress.hidden = true;
  view.body.dataset.loaded = 'complete';
  view.body.dataset.generation = String(db.manifest.generation);
  state.queryShape = indexShape(db);
  db.watch({
    onUpdate: onIndexUpdate,
    onError: (error) => showMessage(`The index could not be updated (still showing generation ${db.manifest.generation}): ${describeError(error)}`),
  });
  if (loaded.shardsFailed > 0) showMessage(`Some shards could not be loaded: ${loaded.errors.map(describeError).join('; ')}`);
  renderFilters();
  updateStatus();
  // Results shown while shards were still arriving were partial: search again over everything.
  if (state.query) runQuery();
}

start();
