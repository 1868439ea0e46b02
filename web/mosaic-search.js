// <mosaic-search index="…" proxy="…">: Mosaic's search page as one custom element, usable in any page
// of any static site with one script tag (<script type="module" src="…/mosaic-search.js">); the web
// app (index.html) is this element on a page, so there is one UI. It only shows things and passes the
// user's input on: embedding, search, filters, "more like this", the label vote and the close-match
// similarity all come from mosaic.mjs and its wasm core, never from here.
//
// Attributes (README, "The <mosaic-search> element"): index, proxy, model-base, config,
// label-threshold, page-size, page-wide (paste, drop and the / key work anywhere on the page),
// url-state (the query, mode and filters live in the address), autofocus. Events (bubbling,
// composed): mosaic-ready, mosaic-results, mosaic-open, mosaic-error. One concern per file under element/.
import { Mosaic } from './mosaic.mjs';
import { Recorder, describeAudioQuery, localModelAudioNote, prepareAudioQuery } from './element/audio_input.js';
import { DetailView } from './element/detail_view.js';
import { FilterPanel } from './element/filters.js';
import { clockTime, describeError, megabytes, plural, scoreExplanation } from './element/formatting.js';
import { countingFetch } from './element/model_progress.js';
import { watchConnectivity } from './element/offline_state.js';
import { resultCard } from './element/result_card.js';
import { readSettings } from './element/settings.js';
import { elementStyles } from './element/styles.js';
import { elementMarkup } from './element/template.js';
import { renderStartPage } from './element/start_page.js';
import { searchToState, stateToSearch } from './element/url_state.js';

const defaultPageSize = 24; // results shown at first, and added by each "Load more" (the page-size attribute)
const facetDepth = 100;     // results the filter counts are taken from
const voteNeighbours = 5;
const fallbackLabelThreshold = 0.3;  // only for a model without a measured close-match similarity
const typingPause = 300;    // milliseconds after the last key before a search starts by itself
const modeNames = { hybrid: 'hybrid search', vector: 'meaning search', keyword: 'word search' };
const defaultModelBaseUrl = new URL('model/', import.meta.url).href;

export class MosaicSearchElement extends HTMLElement {
  #root;
  #view = {};
  #db;
  #settings;
  #filters;
  #detail;
  #recorder;
  #started = false;
  #opening = 0;  // each start counts one; a start outrun by a disconnection (or a later start) stops
  #typingTimer;
  #connectivity;  // element/offline_state.js: whether the page is offline, while connected
  #state = {
    // {text}, {image, name}, {audio, name, ...} or {similarTo, title}; undefined before the first query.
    query: undefined,
    chosen: { modality: new Set(), label: new Set() },
    limit: defaultPageSize,
    showWeaker: false,
    searchNumber: 0,          // answers of an older search are dropped when a newer one started
    lastSearchMilliseconds: undefined,
    lastMode: undefined,
    updateNote: undefined,
    queryShape: undefined,
    lastAnswer: undefined,
    model: 'none',            // the local text model: none, loading, ready
  };

  // Results shown at first and added by each "Load more": the page-size attribute, else 24.
  get #pageSize() {
    const size = Number.parseInt(this.getAttribute('page-size') ?? '', 10);
    return Number.isInteger(size) && size > 0 ? size : defaultPageSize;
  }

  /** The open index (a Mosaic), once the element has opened it. */
  get db() { return this.#db; }

  connectedCallback() {
    if (this.#started) return;
    this.#started = true;
    this.#connectivity = watchConnectivity(() => this.#updateStatus());
    // Connected again after it let its index go (disconnectedCallback): the same markup opens it anew.
    if (this.#root) {
      setTimeout(() => this.#start());
      return;
    }
    this.#root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = elementStyles;
    const template = document.createElement('template');
    template.innerHTML = elementMarkup;
    this.#root.append(style, template.content.cloneNode(true));
    for (const element of this.#root.querySelectorAll('[id]')) this.#view[element.id.replace(/-(\w)/g, (_, letter) => letter.toUpperCase())] = element;
    this.#filters = new FilterPanel(this.#root, this.#state.chosen, ({ focus }) => this.#filtersChanged(focus));
    this.#detail = new DetailView(this.#root, { onSimilar: (result) => this.#searchSimilar(result) });
    this.#recorder = new Recorder(this.#view.recordButton, this.#view.audioNote, {
      onMessage: (text) => this.#showMessage(text),
      onRecorded: (blob) => this.#searchAudio(blob, { name: 'recording', recorded: true }),
    });
    this.#wireInput();
    // Attributes set by a script right after the element is made are read on the next task.
    setTimeout(() => this.#start());
  }

  disconnectedCallback() {
    // An element moved in the page is connected again at once; one that stays out lets its index go.
    queueMicrotask(() => {
      if (this.isConnected || !this.#started) return;
      this.#started = false;
      this.#connectivity?.stop();
      ++this.#opening;
      ++this.#state.searchNumber;  // an answer still under way is dropped
      this.#db?.close();
      this.#db = undefined;
      delete this.dataset.loaded;
    });
  }

  // ---- messages, status, progress ----

  #setState(name) { this.dataset.state = name; }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  #showMessage(text) {
    this.#view.message.textContent = text;
    this.#view.message.hidden = !text;
  }

  #fail(error) {
    this.#showMessage(describeError(error));
    this.#emit('mosaic-error', { error });
  }

  #updateStatus() {
    const db = this.#db;
    if (!db) return;
    const stats = db.stats;
    const parts = [`${stats.items.toLocaleString()} items`, `${megabytes(stats.bytesTotal)} MB`];
    if (stats.partitioned) {
      // A partitioned site is searchable with a few partitions in memory: say what was fetched, not "loading".
      parts[0] = `${stats.itemsTotal.toLocaleString()} items`;
      parts[1] = `${megabytes(stats.bytesFromNetwork + stats.bytesFromStore)} of ${megabytes(stats.bytesTotal)} MB fetched`;
      parts.push(`${stats.shardsLoaded} of ${stats.shardsTotal} partitions in memory`);
    } else if (stats.items < stats.itemsTotal) {
      parts[0] = `${stats.items.toLocaleString()} of ${stats.itemsTotal.toLocaleString()} items`;
    }
    const settled = stats.shardsLoaded + stats.shardsFailed;
    if (!stats.partitioned && settled < stats.shardsTotal) parts.push(`loading ${stats.shardsLoaded} of ${stats.shardsTotal} shards`);
    if (stats.shardsFailed > 0) parts.push(`${stats.shardsFailed} shard${stats.shardsFailed === 1 ? '' : 's'} failed`);
    if (this.#state.lastSearchMilliseconds !== undefined) {
      parts.push(`last ${modeNames[this.#state.lastMode] ?? 'search'} ${this.#state.lastSearchMilliseconds.toFixed(1)} ms`);
    }
    if (this.#state.updateNote) parts.push(this.#state.updateNote);
    const offline = Boolean(this.#connectivity?.offline);
    if (offline) parts.unshift(`offline, showing generation ${db.manifest.generation}`);
    this.dataset.offline = String(offline);
    this.#view.status.textContent = parts.join(' · ');
  }

  #onIndexProgress({ loadedBytes, totalBytes, shardsLoaded, shardsTotal }) {
    const view = this.#view;
    view.loadProgress.hidden = false;
    view.progressBar.max = Math.max(totalBytes, 1);
    view.progressBar.value = loadedBytes;
    view.progressLabel.textContent = `Loading the index: ${shardsLoaded} of ${shardsTotal} shards, ${megabytes(loadedBytes)} of ${megabytes(totalBytes)} MB`;
    if (this.#db) this.#updateStatus();
    else view.status.textContent = view.progressLabel.textContent;
  }

  // The local model's bytes as they arrive (element/model_progress.js), then its warm-up.
  #onModelBytes({ loadedBytes, totalBytes }) {
    if (this.#state.model === 'ready') return;
    const view = this.#view;
    view.modelProgress.hidden = false;
    this.dataset.model = 'loading';
    view.modelBar.max = Math.max(totalBytes, 1);
    view.modelBar.value = loadedBytes;
    view.modelLabel.textContent = loadedBytes < totalBytes
      ? `Loading the text model: ${megabytes(loadedBytes)} of ${megabytes(totalBytes)} MB`
      : `Preparing the text model (${megabytes(totalBytes)} MB loaded)…`;
  }

  // The local model is loaded (downloaded, compiled, run once) when the user starts typing, so the
  // first search does not wait for it; a word search never needs it.
  #warmUpModel() {
    const db = this.#db;
    if (!db?.usesLocalModel || this.#state.model !== 'none' || this.#view.searchMode.value === 'keyword') return;
    this.#state.model = 'loading';
    this.dataset.model = 'loading';
    this.#view.modelProgress.hidden = false;
    this.#view.modelBar.removeAttribute('value');
    this.#view.modelLabel.textContent = 'Loading the text model…';
    db.embed({ text: 'warm up' }).then(() => {
      this.#state.model = 'ready';
      this.dataset.model = 'ready';
      this.#view.modelProgress.hidden = true;
    }, (error) => {
      this.#state.model = 'none';
      this.#view.modelProgress.hidden = true;
      this.#fail(error);
    });
  }

  // ---- starting ----

  async #start() {
    const view = this.#view;
    const opening = ++this.#opening;
    const { settings, error: settingsError } = await readSettings(this, defaultModelBaseUrl);
    this.#settings = settings;
    if (settingsError) this.#fail(settingsError);
    const options = {
      onProgress: (progress) => this.#onIndexProgress(progress),
      modelBaseUrl: settings.modelBaseUrl,
      fetch: countingFetch(settings.modelBaseUrl, (progress) => this.#onModelBytes(progress)),
    };
    if (settings.proxyUrl) options.proxyUrl = settings.proxyUrl;
    this.#setState('loading');
    view.status.textContent = 'Loading the index…';
    // Shown before the first byte arrives: on a slow link the manifest and the first shard take a while.
    view.loadProgress.hidden = false;
    view.progressBar.removeAttribute('value');
    let db;
    try {
      db = await Mosaic.open(settings.indexUrl, options);
      if (opening !== this.#opening) {
        db.close();
        return;
      }
    } catch (error) {
      if (opening !== this.#opening) return;
      this.#setState('failed');
      view.loadProgress.hidden = true;
      view.status.textContent = 'The index could not be opened.';
      this.#fail(error);
      return;
    }
    this.#db = db;
    view.query.disabled = false;
    view.searchButton.disabled = false;
    view.searchMode.hidden = !db.manifest.keywords;
    this.#configureMediaInput(db);
    this.#setState('ready');
    this.#renderFilters();
    this.#updateStatus();
    if (this.hasAttribute('url-state')) this.#restoreFromAddress();
    if (!this.#state.query) this.#renderStartPage();
    if (!this.#state.query && this.hasAttribute('autofocus')) view.query.focus();
    this.#emit('mosaic-ready', { db });
    const loaded = await db.ready;
    if (opening !== this.#opening) return;
    view.loadProgress.hidden = true;
    this.dataset.loaded = 'complete';
    this.dataset.generation = String(db.manifest.generation);
    this.#state.queryShape = indexShape(db);
    db.watch({
      onUpdate: (update) => this.#onIndexUpdate(update),
      onError: (error) => this.#showMessage(`The index could not be updated (still showing generation ${db.manifest.generation}): ${describeError(error)}`),
    });
    if (loaded.shardsFailed > 0) this.#showMessage(`Some shards could not be loaded: ${loaded.errors.map(describeError).join('; ')}`);
    this.#renderFilters();
    this.#updateStatus();
    // Results shown while shards were still arriving were partial: search again over everything.
    if (this.#state.query) this.#runQuery({ history: 'none', keepLimit: true });
    else this.#renderStartPage();  // now with every shard's items
  }

  // Image and audio input only where the index's model embeds them; the pickers stay focusable and
  // say why instead of opening a file dialog.
  #configureMediaInput(db) {
    const view = this.#view;
    if (db.usesLocalModel) {
      const why = 'This index was built with the local text model, which reads text only';
      for (const pick of [view.imagePick, view.audioPick]) {
        pick.setAttribute('aria-disabled', 'true');
        pick.title = why;
      }
      view.audioInput.disabled = true;
      view.recordButton.disabled = true;
      view.recordButton.title = why;
      this.#recorder.showNote(localModelAudioNote(db.model));
      return;
    }
    const canRecord = typeof globalThis.MediaRecorder === 'function' && typeof navigator.mediaDevices?.getUserMedia === 'function';
    view.recordButton.disabled = !canRecord;
    if (!canRecord) view.recordButton.title = 'Recording needs MediaRecorder and a secure page (https:// or localhost)';
  }

  // ---- the address ----

  #restoreFromAddress() {
    const restored = searchToState(location.search);
    const chosen = this.#state.chosen;
    chosen.modality.clear();
    chosen.label.clear();
    for (const kind of restored.kinds) chosen.modality.add(kind);
    for (const label of restored.labels) chosen.label.add(label);
    this.#view.searchMode.value = restored.mode;
    this.#view.query.value = restored.query?.text ?? '';
    this.#state.query = restored.query;
    this.#state.limit = this.#pageSize;
    this.#state.showWeaker = false;
    if (restored.query) this.#runQuery({ history: 'none' });
    else this.#clearResults();
  }

  #recordInAddress(how) {
    if (!this.hasAttribute('url-state') || how === 'none') return;
    const query = this.#state.query;
    if (query && query.text === undefined && !query.similarTo) return;  // an image or a sound has no address
    const search = stateToSearch({ query, mode: this.#view.searchMode.value, kinds: this.#state.chosen.modality, labels: this.#state.chosen.label });
    if (search === location.search) return;
    const url = `${location.pathname}${search}${location.hash}`;
    if (how === 'replace') history.replaceState(null, '', url);
    else history.pushState(null, '', url);
  }

  // ---- searching ----

  #queryForApi(query) {
    if (query.image) return { image: query.image };
    if (query.audio) return { audio: query.audio };
    return { text: query.text };
  }

  // One search: the ranked results (filtered), the counts for the filter chips (the same query
  // unfiltered), and, when there is a query vector, the label vote over the whole index. Each result
  // carries the core's close-match decision (result.close). `history`: push, replace or none.
  async #runQuery({ history = 'push', keepLimit = false, focus } = {}) {
    const db = this.#db;
    const query = this.#state.query;
    if (!db || !query) return;
    const state = this.#state;
    const number = ++state.searchNumber;
    if (!keepLimit) {
      state.limit = this.#pageSize;
      state.showWeaker = false;
    }
    this.#recordInAddress(history);
    this.#setState('searching');
    this.#view.startPage.hidden = true;
    this.#view.searchButton.setAttribute('aria-busy', 'true');
    this.#showMessage('');
    const started = performance.now();
    const filter = this.#filters.filter();
    const filtered = Object.keys(filter).length > 0;
    const k = Math.max(state.limit + 1, facetDepth);
    try {
      let ranked;
      let facets;
      let classification;
      if (query.similarTo) {
        ranked = await db.similar(query.similarTo, { k, filter });
        facets = filtered ? await db.similar(query.similarTo, { k: facetDepth }) : ranked;
      } else {
        const mode = query.text !== undefined && db.manifest.keywords ? this.#view.searchMode.value : undefined;
        if (mode === 'keyword') {
          // Words alone: nothing to embed (no model to load), no label vote (it needs a vector).
          ranked = await db.search({ text: query.text }, { k, filter, mode });
          facets = filtered ? await db.search({ text: query.text }, { k: facetDepth, mode }) : ranked;
        } else {
          if (query.text !== undefined) this.#warmUpModel();
          // Embedded once (in the page or by the proxy); a filter change or "load more" searches the same vector again.
          if (!query.vector) {
            // The core's tokenizer says when the model read only the query's first words (truncation).
            const embedded = await db.embedQuery(this.#queryForApi(query));
            query.vector = embedded.vector;
            query.truncation = embedded.truncation;
          }
          const vector = query.vector;
          const threshold = this.#settings.labelThreshold ?? db.closeMatchSimilarity ?? fallbackLabelThreshold;
          // Over the whole index, not the filtered view: "what is this query?".
          classification = await db.classify({ vector }, { k: voteNeighbours, threshold });
          const textQuery = query.text !== undefined ? { text: query.text, vector } : vector;
          ranked = await db.search(textQuery, { k, filter, mode });
          facets = filtered ? await db.search(textQuery, { k: facetDepth, mode }) : ranked;
        }
      }
      if (number !== state.searchNumber) return;
      state.lastSearchMilliseconds = performance.now() - started;
      state.lastMode = ranked.mode;
      // Each result's close-match decision and meaning similarity come from the core (result.close).
      const results = ranked.results;
      // The chips count the close matches (all results when there are none): how many of the answers
      // worth reading each filter would keep.
      const facetResults = facets.results;
      const counted = facetResults.some((result) => result.close) ? facetResults.filter((result) => result.close) : facetResults;
      state.lastAnswer = { ranked, results, classification };
      this.#renderSummary(ranked);
      this.#renderResults();
      this.#renderLabel(classification);
      this.#renderFilters(counted.map((result) => result.item));
      this.#updateStatus();
      if (focus) focus.focus();
      this.#emit('mosaic-results', {
        query: this.#publicQuery(query), mode: ranked.mode, results, partial: ranked.partial, classification,
        closeMatches: results.filter((result) => result.close).length, closeMatchSimilarity: db.closeMatchSimilarity,
        truncation: ranked.mode === 'keyword' ? undefined : query.truncation,
      });
    } catch (error) {
      if (number !== state.searchNumber) return;
      this.#fail(error);
    } finally {
      if (number === state.searchNumber) {
        this.#setState('ready');
        this.#view.searchButton.removeAttribute('aria-busy');
      }
    }
  }

  #publicQuery(query) {
    if (query.similarTo) return { similarTo: query.similarTo };
    if (query.image) return { image: query.image, name: query.name };
    if (query.audio) return { audio: query.audio, name: query.name };
    return { text: query.text };
  }

  // Before any query: example queries and the collection by label (element/start_page.js).
  #renderStartPage() {
    const db = this.#db;
    if (!db || this.#state.query) return;
    const indexBase = new URL(this.#settings.indexUrl, document.baseURI);
    renderStartPage(this.#view.startPage, db.items(), {
      resolve: (relative) => new URL(relative, indexBase).href,
      onExample: (text) => {
        this.#view.query.value = text;
        this.#state.query = { text };
        this.#runQuery({ history: 'push', focus: this.#view.querySummary });
      },
      onOpen: (result, opener) => this.#openDetail(result, opener, ''),
    });
    this.#view.startPage.hidden = false;
  }

  #clearResults() {
    const view = this.#view;
    this.#state.lastAnswer = undefined;
    view.results.replaceChildren();
    view.weakerResults.replaceChildren();
    for (const element of [view.querySummary, view.truncationNotice, view.noMatch, view.weakerHeading, view.weakerResults, view.showWeaker, view.loadMore, view.labelPanel]) element.hidden = true;
    this.#renderFilters();
    this.#renderStartPage();
  }

  #renderSummary(answer) {
    const query = this.#state.query;
    let text;
    if (query.similarTo) text = `More like “${query.title}”`;
    else if (query.image) text = `Image: ${query.name}`;
    else if (query.audio) text = describeAudioQuery(query, clockTime);
    else text = `“${query.text}”`;
    if (answer.partial) text += ` — partial: ${answer.shardsSearched} of ${answer.shardsTotal} shards searched so far`;
    if (answer.approximate) text += ` — approximate: the ${answer.partitionsRead} nearest of ${answer.shardsTotal} partitions searched`;
    this.#view.querySummary.textContent = text;
    this.#view.querySummary.hidden = false;
    this.#renderTruncation(answer.mode === 'keyword' ? undefined : query.truncation, answer.mode);
  }

  // A query longer than the model's window was cut by it: say so, or the user trusts words it never read.
  // In a hybrid search the keyword side reads every word.
  #renderTruncation(truncation, mode) {
    const notice = this.#view.truncationNotice;
    notice.hidden = !truncation;
    notice.textContent = truncation
      ? `Only the first ${plural(truncation.wordsRead, 'word')} of ${truncation.wordCount.toLocaleString()} were used for the meaning: ` +
        `the text model reads ${truncation.tokensRead} tokens.${mode === 'hybrid' ? ' The word match used them all.' : ''}`
      : '';
  }

  #renderResults() {
    const view = this.#view;
    const state = this.#state;
    const { results, ranked } = state.lastAnswer;
    const shown = results.slice(0, state.limit);
    const close = shown.filter((result) => result.close);
    const weaker = shown.filter((result) => !result.close);
    const scoreTitle = scoreExplanation(ranked.mode, this.#db.closeMatchSimilarity);
    const actions = {
      scoreTitle,
      onOpen: (result, opener) => this.#openDetail(result, opener, scoreTitle),
      onSimilar: (result) => this.#searchSimilar(result),
    };
    view.results.replaceChildren(...close.map((result, position) => resultCard(result, position, actions)));
    view.weakerResults.replaceChildren(...weaker.map((result, position) => resultCard(result, close.length + position, actions)));
    if (shown.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'empty';
      const what = state.query.text !== undefined ? `“${state.query.text}”` : 'this query';
      empty.textContent = this.#filters.active > 0 ? 'Nothing matches these filters.' : `Nothing matches ${what}.`;
      view.results.append(empty);
    }
    const noMatch = shown.length > 0 && close.length === 0;
    view.noMatch.hidden = !noMatch;
    this.dataset.match = shown.length === 0 ? 'none' : noMatch ? 'weak' : 'close';
    if (noMatch) {
      const what = state.query.text !== undefined ? `“${state.query.text}”` : 'this query';
      view.noMatchDetail.textContent = `Nothing in the collection is close to ${what}. ${plural(weaker.length, 'weaker match', 'weaker matches')} ${state.showWeaker ? 'below' : weaker.length === 1 ? 'is hidden' : 'are hidden'}.`;
    }
    view.weakerResults.hidden = !state.showWeaker || weaker.length === 0;
    view.weakerHeading.hidden = view.weakerResults.hidden;
    view.showWeaker.hidden = weaker.length === 0;
    view.showWeaker.setAttribute('aria-expanded', String(state.showWeaker));
    view.showWeaker.textContent = state.showWeaker ? 'Hide weaker matches' : `Show ${plural(weaker.length, 'weaker match', 'weaker matches')}`;
    view.loadMore.hidden = results.length <= state.limit;
  }

  #renderLabel(classification) {
    const view = this.#view;
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

  #renderFilters(resultItems) {
    if (!this.#db) return;
    this.#filters.render(this.#db.items(), resultItems);
  }

  #filtersChanged(focus) {
    if (this.#state.query) this.#runQuery({ focus });
    else {
      this.#renderFilters();
      this.#recordInAddress('push');
      focus?.focus();
    }
  }

  #openDetail(result, opener, scoreTitle) {
    this.#detail.show(result, opener, { scoreTitle, similarity: result.similarity });
    this.#emit('mosaic-open', { result });
  }

  #searchSimilar(result) {
    const title = result.item?.title || result.item?.source || result.id;
    this.#state.query = { similarTo: result.id, title };
    // Focus goes to the new results' summary, so the keyboard carries on from the top of them.
    this.#runQuery({ focus: this.#view.querySummary });
  }

  #searchText(history) {
    const text = this.#view.query.value.trim();
    if (!text) return;
    if (this.#state.query?.text === text && history !== 'push') return;  // the same words: no new search while typing
    this.#state.query = { text };
    this.#runQuery({ history });
  }

  #searchImage(file) {
    if (!file) return;
    if (!file.type.startsWith('image/')) {
      this.#showMessage(`${file.name || 'That file'} is not an image.`);
      return;
    }
    if (this.#db?.usesLocalModel) {
      this.#showMessage(`This index was built with the local text model (${this.#db.model}), which reads text only: ` +
        'search it by text or with “More like this”. Image search needs an index built with a Gemini model.');
      return;
    }
    this.#state.query = { image: file, name: file.name || 'pasted image' };
    this.#runQuery({ history: 'none' });
  }

  async #searchAudio(audio, { name, recorded = false } = {}) {
    if (!audio) return;
    if (this.#db?.usesLocalModel) {
      this.#showMessage(localModelAudioNote(this.#db.model));
      return;
    }
    const number = ++this.#state.searchNumber;
    this.#setState('searching');
    this.#showMessage('');
    let query;
    try {
      query = await prepareAudioQuery(audio, { name, recorded });
    } catch (error) {
      if (number !== this.#state.searchNumber) return;
      this.#setState('ready');
      this.#showMessage(`${name ?? 'The audio'} cannot be searched: ${describeError(error)}`);
      return;
    }
    if (number !== this.#state.searchNumber) return;
    this.#state.query = query;
    this.#runQuery({ history: 'none' });
  }

  // A picked, dropped or pasted file: an image or a sound.
  #searchFile(file) {
    if (!file) return;
    if (file.type.startsWith('audio/')) this.#searchAudio(file, { name: file.name || 'audio' });
    else if (file.type.startsWith('image/')) this.#searchImage(file);
    else this.#showMessage(`${file.name || 'That file'} is neither an image nor a sound.`);
  }

  // ---- index updates ----

  // A new generation was swapped in (db.watch): say so, rebuild the filters, and search again.
  #onIndexUpdate(update) {
    const difference = update.items - update.itemsBefore;
    const what = difference > 0 ? plural(difference, 'new item') : difference < 0 ? `${plural(-difference, 'item')} removed` : 'items changed';
    this.#state.updateNote = `updated: ${what} (generation ${update.generation})`;
    this.dataset.generation = String(update.generation);
    this.#renderFilters();
    this.#updateStatus();
    if (!this.#state.query) {
      this.#renderStartPage();
      return;
    }
    // A vector embedded for another model or size cannot search the new index: embed it again.
    if (this.#state.queryShape !== indexShape(this.#db)) delete this.#state.query.vector;
    this.#state.queryShape = indexShape(this.#db);
    this.#runQuery({ history: 'none', keepLimit: true });
  }

  // ---- input ----

  #wireInput() {
    const view = this.#view;
    view.searchForm.addEventListener('submit', (event) => {
      event.preventDefault();
      clearTimeout(this.#typingTimer);
      const text = view.query.value.trim();
      if (!text) return;
      this.#state.query = { text };
      this.#runQuery({ history: 'push' });
    });
    view.searchMode.addEventListener('change', () => {
      if (view.searchMode.value !== 'keyword' && this.#state.query?.text !== undefined) this.#warmUpModel();
      if (this.#state.query?.text !== undefined) this.#runQuery({ history: 'push' });
    });
    view.query.addEventListener('input', () => {
      this.#warmUpModel();
      clearTimeout(this.#typingTimer);
      // While typing, one entry in the history: the first search of a query pushes, later ones replace it.
      const history = this.#state.query?.text !== undefined ? 'replace' : 'push';
      this.#typingTimer = setTimeout(() => this.#searchText(history), typingPause);
    });
    view.skipLink.addEventListener('click', (event) => {
      event.preventDefault();
      (view.querySummary.hidden ? view.resultsHeading : view.querySummary).focus();
    });
    view.sheetToggle.addEventListener('click', () => {
      const open = view.sheet.hidden;
      view.sheet.hidden = !open;
      view.sheetToggle.setAttribute('aria-expanded', String(open));
    });
    view.showWeaker.addEventListener('click', () => {
      this.#state.showWeaker = !this.#state.showWeaker;
      this.#renderResults();
      if (this.#state.showWeaker) view.weakerResults.querySelector('.result-open')?.focus();
    });
    view.loadMore.addEventListener('click', () => {
      const before = new Set([...this.#root.querySelectorAll('.result')].map((card) => card.dataset.itemId));
      this.#state.limit += this.#pageSize;
      // The first new card gets focus, so the keyboard carries on where it was; when the new ones are
      // all weaker matches still folded away, the button that unfolds them does.
      const focusNext = () => {
        const added = [...this.#root.querySelectorAll('.result')].filter((card) => !before.has(card.dataset.itemId));
        const shown = added.find((card) => !card.closest('[hidden]'));
        if (shown) shown.querySelector('.result-open').focus();
        else if (added.length > 0) view.showWeaker.focus();
        else view.querySummary.focus();
      };
      this.#runQuery({ history: 'none', keepLimit: true }).then(focusNext);
    });
    const explainLocalModel = (pick, event) => {
      if (pick.getAttribute('aria-disabled') !== 'true') return false;
      event.preventDefault();
      this.#showMessage(pick === view.audioPick ? localModelAudioNote(this.#db.model)
        : `This index was built with the local text model (${this.#db.model}), which reads text only: search it by text or with “More like this”. Image search needs an index built with a Gemini model.`);
      return true;
    };
    // The pickers are buttons that open their (hidden) file inputs; on a text-only index they stay
    // focusable (aria-disabled) and say why instead.
    for (const [pick, input] of [[view.imagePick, view.imageInput], [view.audioPick, view.audioInput]]) {
      pick.addEventListener('click', (event) => {
        if (!explainLocalModel(pick, event)) input.click();
      });
    }
    view.imageInput.addEventListener('change', () => {
      this.#searchImage(view.imageInput.files?.[0]);
      view.imageInput.value = '';
    });
    view.audioInput.addEventListener('change', () => {
      const file = view.audioInput.files?.[0];
      if (file) this.#searchAudio(file, { name: file.name || 'audio' });
      view.audioInput.value = '';
    });
    view.recordButton.addEventListener('click', () => {
      if (this.#recorder.recording) this.#recorder.stop();
      else if (this.#db?.usesLocalModel) this.#showMessage(localModelAudioNote(this.#db.model));
      else this.#recorder.start();
    });
    // Paste, drop and "/" work on the element, or on the whole page with `page-wide`.
    const scope = this.hasAttribute('page-wide') ? document : this;
    scope.addEventListener('keydown', (event) => {
      if (event.key !== '/' || event.defaultPrevented) return;
      const focused = deepActiveElement();
      if (['INPUT', 'TEXTAREA', 'SELECT'].includes(focused?.tagName) || focused?.isContentEditable) return;
      event.preventDefault();
      view.query.focus();
    });
    scope.addEventListener('paste', (event) => {
      const file = [...(event.clipboardData?.files ?? [])].find((candidate) => /^(image|audio)\//.test(candidate.type));
      if (!file) return;
      event.preventDefault();
      this.#searchFile(file);
    });
    let dragDepth = 0;
    scope.addEventListener('dragenter', (event) => {
      if (![...(event.dataTransfer?.types ?? [])].includes('Files')) return;
      dragDepth += 1;
      view.dropOverlay.hidden = false;
    });
    scope.addEventListener('dragleave', () => {
      dragDepth = Math.max(0, dragDepth - 1);
      if (dragDepth === 0) view.dropOverlay.hidden = true;
    });
    scope.addEventListener('dragover', (event) => event.preventDefault());
    scope.addEventListener('drop', (event) => {
      event.preventDefault();
      dragDepth = 0;
      view.dropOverlay.hidden = true;
      this.#searchFile(event.dataTransfer?.files?.[0]);
    });
    if (this.hasAttribute('url-state')) {
      window.addEventListener('popstate', () => {
        if (!this.#db) return;
        this.#detail.close();
        this.#restoreFromAddress();
      });
    }
  }
}

function indexShape(db) {
  return `${db.manifest.model} ${db.manifest.dimensions}`;
}

// The focused element, through open shadow roots.
function deepActiveElement() {
  let focused = document.activeElement;
  while (focused?.shadowRoot?.activeElement) focused = focused.shadowRoot.activeElement;
  return focused;
}

if (!customElements.get('mosaic-search')) customElements.define('mosaic-search', MosaicSearchElement);
