// The element's style sheet, inside its shadow root: the page's CSS cannot reach in except through the
// custom properties below and the `part`s the markup names (README, "The <mosaic-search> element").
// Phone first: one column, results before filters; the filter sheet and the label panel become a side
// column when the element itself is at least 720 px wide (a container query: the element may sit in a
// narrow column of a wide page). System fonts only; light and dark by prefers-color-scheme.
export const elementStyles = `
:host {
  --ink: var(--mosaic-ink, #1d2125);
  --muted: var(--mosaic-muted, #56606a);
  --line: var(--mosaic-line, #d3d9df);
  --paper: var(--mosaic-paper, #ffffff);
  --wash: var(--mosaic-wash, #f3f5f7);
  --accent: var(--mosaic-accent, #2455c3);
  --accent-ink: var(--mosaic-accent-ink, #ffffff);
  --warn: var(--mosaic-warn, #8a1c1c);
  --warn-wash: var(--mosaic-warn-wash, #fff5f5);
  --mark: var(--mosaic-mark, #fde68a);
  --radius: var(--mosaic-radius, 8px);
  display: block;
  container-type: inline-size;
  font-family: var(--mosaic-font, system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif);
  color: var(--ink);
  background: var(--wash);
}
@media (prefers-color-scheme: dark) {
  :host {
    --ink: var(--mosaic-ink, #e6e9ec);
    --muted: var(--mosaic-muted, #aab4be);
    --line: var(--mosaic-line, #3a424b);
    --paper: var(--mosaic-paper, #1c2025);
    --wash: var(--mosaic-wash, #121518);
    --accent: var(--mosaic-accent, #8fb0ff);
    --accent-ink: var(--mosaic-accent-ink, #0d1626);
    --warn: var(--mosaic-warn, #ffb4b4);
    --warn-wash: var(--mosaic-warn-wash, #2a1414);
    --mark: var(--mosaic-mark, #6b5310);
    color-scheme: dark;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
}
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
/* Whatever gets focus is scrolled clear of the page's own sticky bars, if it has any. */
button, a, input, select, audio, video, [tabindex] { scroll-margin: 4.5rem 0 1rem; }

/* Out of sight until focused (the first Tab stop of the element). */
.skip-link { position: absolute; left: 0.5rem; top: 0.5rem; z-index: 3; transform: translateY(-200%); }
.skip-link:focus { transform: none; }

/* The header scrolls away with the page: nothing is ever hidden under it. */
.top { position: relative; background: var(--paper); border-bottom: 1px solid var(--line); padding: 0.5rem 0.75rem; }
.search { display: flex; gap: 0.4rem; flex-wrap: wrap; align-items: center; }
.search input[type="search"] {
  flex: 1 1 10rem; min-width: 0; font: inherit; font-size: 1rem; padding: 0.5rem 0.65rem;
  border: 1px solid var(--muted); border-radius: 6px; background: var(--paper); color: var(--ink);
}
button, .button {
  font: inherit; font-size: 0.95rem; padding: 0.45rem 0.8rem; min-height: 2.25rem;
  border: 1px solid var(--accent); border-radius: 6px;
  background: var(--accent); color: var(--accent-ink); cursor: pointer;
}
.button, .secondary { background: var(--paper); color: var(--accent); display: inline-block; }
button:disabled { opacity: 0.55; cursor: default; }
.button[aria-disabled="true"] { opacity: 0.55; cursor: default; }
#search-button[aria-busy="true"]::after {
  content: ""; display: inline-block; width: 0.7em; height: 0.7em; margin-left: 0.4em; vertical-align: -0.05em;
  border: 2px solid currentColor; border-right-color: transparent; border-radius: 50%;
  animation: spin 0.8s linear infinite;
}
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { #search-button[aria-busy="true"]::after { animation: none; } }
#record-button[aria-pressed="true"] { background: var(--warn); border-color: var(--warn); color: var(--paper); }
.search select { font: inherit; padding: 0.4rem; background: var(--paper); color: var(--ink); border: 1px solid var(--muted); border-radius: 6px; }
.tools { display: contents; }
/* A phone: the mode and the media buttons share one row under the search box. */
@container (max-width: 479px) {
  .search input[type="search"] { flex-basis: calc(100% - 6.5rem); }
  .search select, .search .button { font-size: 0.85rem; padding: 0.3rem 0.5rem; min-height: 2rem; }
  .audio-note { font-size: 0.75rem; }
}
.audio-note { margin: 0.35rem 0 0; font-size: 0.82rem; color: var(--muted); }

.progress { margin-top: 0.4rem; }
.progress progress { width: 100%; height: 0.5rem; accent-color: var(--accent); }
.progress-label { margin: 0.2rem 0 0; font-size: 0.82rem; color: var(--ink); font-variant-numeric: tabular-nums; }
.status { margin: 0.3rem 0 0; font-size: 0.82rem; color: var(--muted); }

.message {
  margin: 0.6rem 0.75rem 0; padding: 0.55rem 0.75rem;
  border: 1px solid var(--warn); border-radius: 6px; color: var(--warn); background: var(--warn-wash);
}

.layout { display: flex; flex-direction: column; gap: 0.75rem; padding: 0.75rem; }
.results-area { order: 1; min-width: 0; }
.side { order: 2; }
.sheet-toggle { display: inline-block; }
@container (min-width: 720px) {
  .layout { display: grid; grid-template-columns: 15rem 1fr; align-items: start; gap: 1rem; padding: 1rem; }
  .side { order: 0; }
  .sheet-toggle { display: none; }
  .side .sheet[hidden] { display: block !important; }
}

.side h2 { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); margin: 0.9rem 0 0.4rem; }
.side h2:first-child { margin-top: 0; }
.label-panel, .filters { background: var(--paper); border: 1px solid var(--line); border-radius: var(--radius); padding: 0.75rem; }
.label-panel { margin-bottom: 0.75rem; }
.voted { margin: 0; font-size: 1.2rem; font-weight: 600; }
.label-panel[data-known="false"] .voted { color: var(--muted); }
.confidence { font-size: 0.9rem; font-weight: 400; color: var(--muted); }
.detail-line { margin: 0.3rem 0 0; font-size: 0.85rem; color: var(--muted); }

.chips { display: flex; flex-wrap: wrap; gap: 0.35rem; }
.chip {
  background: var(--paper); color: var(--ink); border: 1px solid var(--line);
  border-radius: 999px; padding: 0.25rem 0.65rem; font-size: 0.85rem; min-height: 2rem;
}
.chip[aria-pressed="true"] { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
.chip[data-count="0"]:not([aria-pressed="true"]) { color: var(--muted); }
.chip .count { font-size: 0.78rem; }
.clear-filters { margin-top: 0.75rem; font-size: 0.85rem; }

.results-bar { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; margin: 0 0 0.6rem; }
.query-summary { margin: 0; color: var(--muted); flex: 1 1 12rem; }
.query-summary:focus { outline: none; }
.truncation-notice { margin: 0 0 0.6rem; font-size: 0.85rem; color: var(--ink); border-left: 3px solid var(--warn); padding-left: 0.5rem; }
.query-summary:focus-visible { outline: 3px solid var(--accent); }
.active-filters { display: flex; flex-wrap: wrap; gap: 0.35rem; }
.active-filter { font-size: 0.82rem; padding: 0.2rem 0.6rem; min-height: 2rem; border-radius: 999px; }

.no-match { background: var(--paper); border: 1px dashed var(--muted); border-radius: var(--radius); padding: 0.75rem; margin: 0 0 0.75rem; }
.no-match h2 { font-size: 1rem; margin: 0 0 0.25rem; }
.no-match p { margin: 0; color: var(--muted); font-size: 0.9rem; }

.results {
  list-style: none; margin: 0; padding: 0;
  display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: 0.75rem;
}
.weaker-heading { font-size: 0.9rem; color: var(--muted); margin: 1rem 0 0.5rem; font-weight: 600; }
.more-row { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 0.75rem; }
.result {
  background: var(--paper); border: 1px solid var(--line); border-radius: var(--radius);
  display: flex; flex-direction: column; overflow: hidden;
}
.result[data-close="false"] { border-style: dashed; }
/* The thumbnail lies over its box (absolute), so a tall picture cannot stretch the card; contain shows
   the whole picture, never a crop of it. Phones get a shorter box so the first card fits the screen. */
.preview {
  aspect-ratio: 16 / 9; background: var(--wash); display: flex; align-items: center; justify-content: center;
  font-size: 2rem; color: var(--muted); position: relative; border: 0; padding: 0; width: 100%; border-radius: 0;
}
@container (min-width: 720px) { .preview { aspect-ratio: 4 / 3; } }
.preview img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; }
.preview-player video { position: absolute; inset: 0; width: 100%; height: 100%; max-height: none; object-fit: contain; background: #000; }
.preview[class*="kind-"] { aspect-ratio: auto; height: 2.25rem; font-size: 1.1rem; justify-content: flex-start; padding: 0 0.75rem; }
.result-body { padding: 0.55rem 0.75rem 0.7rem; display: flex; flex-direction: column; gap: 0.35rem; flex: 1; }
.result-title { font-size: 1rem; margin: 0; overflow-wrap: anywhere; }
.result-open {
  all: unset; cursor: pointer; color: var(--ink); font-weight: 600; text-decoration: underline;
  text-decoration-color: var(--line); text-underline-offset: 0.2em; overflow-wrap: anywhere;
}
.result-open:hover { text-decoration-color: var(--accent); }
.result-open:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.result-meta { margin: 0; font-size: 0.8rem; color: var(--muted); }
.result-media { width: 100%; max-height: 12rem; }
.open-media { align-self: flex-start; font-weight: 600; color: var(--accent); }
.score { font-variant-numeric: tabular-nums; font-weight: 600; color: var(--ink); cursor: help; }
.weak-match { font-style: italic; color: var(--muted); }
.start-intro { margin: 0 0 0.5rem; color: var(--muted); }
.examples { display: flex; flex-wrap: wrap; gap: 0.4rem; margin: 0 0 1rem; }
.browse-section h3 { font-size: 0.95rem; margin: 0.75rem 0 0.4rem; text-transform: capitalize; }
.browse-grid { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem; grid-template-columns: repeat(auto-fill, minmax(8rem, 1fr)); }
.browse-open {
  display: flex; flex-direction: column; gap: 0.3rem; width: 100%; padding: 0.4rem; text-align: left;
  border: 1px solid var(--line); border-radius: var(--radius); background: var(--paper); color: var(--ink); font: inherit; cursor: pointer;
}
.browse-open:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.browse-preview { display: grid; place-items: center; aspect-ratio: 4 / 3; background: var(--wash); border-radius: calc(var(--radius) / 2); overflow: hidden; font-size: 1.5rem; color: var(--muted); }
.browse-preview img { width: 100%; height: 100%; object-fit: contain; }
/* Two lines before a title is cut: segments and parts of one file differ only at its end ("(1:58–3:56)"). */
.browse-title {
  font-size: 0.8rem; overflow: hidden; overflow-wrap: anywhere;
  display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical;
}
.snippet {
  margin: 0; font-size: 0.9rem; line-height: 1.35;
  display: -webkit-box; -webkit-line-clamp: 4; -webkit-box-orient: vertical; overflow: hidden;
}
.more-like-this { margin-top: auto; align-self: flex-start; background: var(--paper); color: var(--accent); font-size: 0.85rem; padding: 0.3rem 0.6rem; }
.similar-toggle { align-self: flex-start; background: var(--paper); color: var(--accent); font-size: 0.85rem; padding: 0.3rem 0.6rem; }
.similar-results { list-style: none; margin: 0.25rem 0 0; padding: 0; display: flex; flex-direction: column; gap: 0.5rem; }
.similar-results .preview:not([class*="kind-"]) { aspect-ratio: auto; height: 5rem; }
.empty { color: var(--muted); }
mark { background: var(--mark); color: inherit; border-radius: 2px; padding: 0 1px; }
/* Text read out of a medium (OCR, a PDF's text, speech): labelled by where it came from; a heard
   segment's play control is a full-size button (a thumb's target on a phone). */
.extracted-text { display: flex; flex-direction: column; gap: 0.25rem; }
.text-source { margin: 0; font-size: 0.75rem; color: var(--muted); font-style: italic; }
.heard-segments { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.35rem; }
.heard-segment { font-size: 0.9rem; line-height: 1.35; overflow-wrap: anywhere; }
.play-from {
  background: var(--paper); color: var(--accent); font-size: 0.85rem; padding: 0.3rem 0.6rem;
  font-variant-numeric: tabular-nums; margin-right: 0.25rem;
}
.heard-at { font-variant-numeric: tabular-nums; color: var(--muted); }
.whole-transcript summary { cursor: pointer; color: var(--accent); font-weight: 600; min-height: 2.25rem; display: flex; align-items: center; }
.whole-transcript .heard-segments { margin-top: 0.4rem; }

.detail {
  border: 1px solid var(--line); border-radius: var(--radius); padding: 0; width: min(48rem, calc(100vw - 1rem));
  max-height: calc(100vh - 1rem); background: var(--paper); color: var(--ink);
}
.detail::backdrop { background: rgba(0, 0, 0, 0.55); }
.detail-header { display: flex; gap: 0.5rem; align-items: flex-start; padding: 0.75rem; border-bottom: 1px solid var(--line); }
.detail-header h2 { margin: 0; font-size: 1.1rem; flex: 1; overflow-wrap: anywhere; }
.detail-body { padding: 0.75rem; display: flex; flex-direction: column; gap: 0.75rem; }
.detail-image { width: 100%; max-height: 60vh; object-fit: contain; background: var(--wash); border-radius: 6px; }
.detail-media { width: 100%; }
.detail-text { margin: 0; white-space: pre-wrap; line-height: 1.45; }
.detail-meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 0.75rem; margin: 0; font-size: 0.9rem; }
.detail-meta dt { color: var(--muted); }
.detail-meta dd { margin: 0; overflow-wrap: anywhere; }
.detail-actions { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.detail-actions a { color: var(--accent); font-weight: 600; align-self: center; }

.drop-overlay {
  position: fixed; inset: 0; display: flex; align-items: center; justify-content: center; text-align: center;
  background: rgba(36, 85, 195, 0.15); border: 4px dashed var(--accent);
  font-size: 1.4rem; color: var(--accent); pointer-events: none; z-index: 4;
}
`;
