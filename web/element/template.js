// The element's markup (its shadow root). Results come first in reading order; the filter sheet and
// the label panel follow them (a side column on a wide element, a collapsible sheet on a phone). Ids
// are the element's own (the shadow root scopes them); `part` names are its public styling surface.
export const elementMarkup = `
<button id="skip-link" class="skip-link" type="button" part="skip-link">Skip to results</button>
<header class="top" part="header">
  <form id="search-form" class="search" role="search" part="search-form">
    <label class="visually-hidden" for="query">Search by meaning</label>
    <input id="query" name="query" type="search" autocomplete="off" enterkeyhint="search"
           placeholder="Search by meaning" aria-describedby="status" disabled part="input">
    <button id="search-button" type="submit" disabled part="button">Search</button>
    <label class="visually-hidden" for="search-mode">How text queries are matched</label>
    <select id="search-mode" name="mode" hidden part="mode"
            title="Hybrid: meaning and words together; Meaning: the embedding alone; Words: the keyword index alone (exact terms, codes, &quot;quoted phrases&quot;)">
      <option value="hybrid">Hybrid</option>
      <option value="vector">Meaning</option>
      <option value="keyword">Words</option>
    </select>
    <span class="tools">
      <button id="image-pick" class="button" type="button" part="tool"
              title="Search with an image: pick one, drop one on the page, or paste a screenshot">Image…</button>
      <input id="image-input" class="visually-hidden" type="file" accept="image/*" tabindex="-1" aria-label="Image to search with">
      <button id="audio-pick" class="button" type="button" part="tool"
              title="Search with a sound: pick an audio file or drop one on the page">Audio…</button>
      <input id="audio-input" class="visually-hidden" type="file" accept="audio/*,.wav,.mp3" tabindex="-1" aria-label="Sound to search with">
      <button id="record-button" class="button" type="button" aria-pressed="false" disabled part="tool"
              title="Record a sound with the microphone and search with it (at most 80 s)">Record</button>
    </span>
  </form>
  <p id="audio-note" class="audio-note" aria-live="polite" hidden></p>
  <div id="load-progress" class="progress" part="progress" hidden>
    <progress id="progress-bar" max="1" value="0" aria-labelledby="progress-label"></progress>
    <p id="progress-label" class="progress-label">Loading the index…</p>
  </div>
  <div id="model-progress" class="progress" part="progress model-progress" hidden>
    <progress id="model-bar" max="1" aria-labelledby="model-label"></progress>
    <p id="model-label" class="progress-label">Loading the text model…</p>
  </div>
  <p id="status" class="status" role="status" aria-live="polite" part="status">Starting…</p>
</header>

<p id="message" class="message" role="alert" part="message" hidden></p>

<div class="layout">
  <section class="results-area" aria-labelledby="results-heading" part="results-area">
    <h2 id="results-heading" class="visually-hidden" tabindex="-1">Results</h2>
    <div class="results-bar">
      <p id="query-summary" class="query-summary" tabindex="-1" hidden></p>
      <button id="sheet-toggle" class="sheet-toggle secondary" type="button" aria-expanded="false" aria-controls="sheet" part="sheet-toggle">Filters</button>
    </div>
    <p id="truncation-notice" class="truncation-notice" part="truncation-notice" hidden></p>
    <div id="active-filters" class="active-filters" role="group" aria-label="Active filters" part="active-filters" hidden></div>
    <div id="no-match" class="no-match" part="no-match" hidden>
      <h2>No close match</h2>
      <p id="no-match-detail"></p>
    </div>
    <section id="start-page" class="start-page" aria-label="The collection" part="start-page" hidden></section>
    <ol id="results" class="results" part="results"></ol>
    <h3 id="weaker-heading" class="weaker-heading" hidden>Weaker matches</h3>
    <ol id="weaker-results" class="results" aria-labelledby="weaker-heading" part="results weaker-results" hidden></ol>
    <div class="more-row">
      <button id="show-weaker" class="secondary" type="button" aria-expanded="false" aria-controls="weaker-results" part="show-weaker" hidden>Show weaker matches</button>
      <button id="load-more" class="secondary" type="button" part="load-more" hidden>Load more</button>
    </div>
  </section>
  <aside class="side" aria-label="Filters and label" part="side">
    <div id="sheet" class="sheet" part="sheet" hidden>
      <section id="label-panel" class="label-panel" aria-live="polite" part="label-panel" hidden>
        <h2>Label</h2>
        <p class="voted"><span id="voted-label"></span> <span id="voted-confidence" class="confidence"></span></p>
        <p id="voted-detail" class="detail-line"></p>
      </section>
      <section class="filters" part="filters" aria-label="Filters">
        <h2 id="kind-heading">Kind</h2>
        <div id="kind-chips" class="chips" role="group" aria-labelledby="kind-heading"></div>
        <h2 id="label-heading">Label</h2>
        <div id="label-chips" class="chips" role="group" aria-labelledby="label-heading"></div>
        <button id="clear-filters" class="clear-filters secondary" type="button" part="clear-filters" disabled>Clear all filters</button>
      </section>
    </div>
  </aside>
</div>

<dialog id="detail" class="detail" part="detail" aria-labelledby="detail-title">
  <div class="detail-header">
    <h2 id="detail-title"></h2>
    <button id="detail-close" class="secondary" type="button" aria-label="Close details">Close</button>
  </div>
  <div id="detail-body" class="detail-body"></div>
</dialog>

<div id="drop-overlay" class="drop-overlay" hidden>Drop an image or a sound to search with it</div>
`;
