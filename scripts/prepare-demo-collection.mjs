#!/usr/bin/env node
// Prepares the demo collection from Debian's openclipart-svg clip art: picks a fixed, deterministic
// selection spread over the categories, renders each SVG to PNG with rsvg-convert (a small parallel
// pool, a timeout per file; failures are skipped and counted), crops it to the drawing with
// ImageMagick's convert (many SVG pages hold a small drawing on a large white page), and writes a
// caption for each from its metadata (dc:title, dc:description, dc:subject keywords) and its category
// path, with a clean title and description to show.
//
//   node scripts/prepare-demo-collection.mjs --out build/demo [--source /usr/share/openclipart/svg]
//        [--count 3000] [--jobs N] [--timeout-seconds 30] [--size 512] [--rsvg-convert PATH] [--convert PATH]
//
// Writes, under --out:
//   collection/LABEL/NAME.png  one folder per top-level category, so `mosaic index` records it as the
//                              label (files at the top of --source go to collection/, without label)
//   captions.jsonl             {"path": "LABEL/NAME.png", "caption": "...", "title": "...", "description": "..."}
//                              per image, for `mosaic index collection --captions captions.jsonl`: the
//                              caption is embedded (title, description, keywords, file name, category),
//                              the title and description are what a result shows
//   rendering.json             how the PNGs were rendered; another setting renders them all again
//   preparation.json           counts and every skipped file with its reason
// A PNG newer than its SVG is kept, so a re-run renders nothing new; PNGs of an earlier, different
// selection are removed. Every SVG is hostile input: it is size-checked before it is read, its XML is
// tokenized (never expanded: entities other than XML's own are dropped) and checked for balance, and a
// broken file is skipped with its reason; a file without metadata is captioned from its name and
// category instead.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const usage = `usage: node scripts/prepare-demo-collection.mjs --out DIR [--source DIR] [--count N] [--jobs N]
         [--timeout-seconds S] [--size PIXELS] [--max-svg-bytes N] [--rsvg-convert PATH] [--convert PATH]`;

function parseArguments(argv) {
  const settings = {
    source: '/usr/share/openclipart/svg', out: undefined, count: 3000, jobs: Math.max(1, os.cpus().length),
    timeoutSeconds: 30, size: 512, maxSvgBytes: 4 * 1024 * 1024, rsvgConvert: 'rsvg-convert', convert: 'convert',
  };
  const numbers = { '--count': 'count', '--jobs': 'jobs', '--timeout-seconds': 'timeoutSeconds', '--size': 'size',
    '--max-svg-bytes': 'maxSvgBytes' };
  const strings = { '--source': 'source', '--out': 'out', '--rsvg-convert': 'rsvgConvert', '--convert': 'convert' };
  for (let position = 0; position < argv.length; position += 2) {
    const [name, value] = [argv[position], argv[position + 1]];
    if (name === '--help') return { help: true };
    if (value === undefined || !(name in numbers || name in strings)) throw new Error(`unknown option or missing value: ${name}`);
    if (name in strings) {
      settings[strings[name]] = value;
    } else {
      const number = Number(value);
      if (!Number.isInteger(number) || number < 1) throw new Error(`${name} must be a whole number of at least 1, not '${value}'`);
      settings[numbers[name]] = number;
    }
  }
  if (!settings.out) throw new Error('--out DIR is required');
  return settings;
}

// ---- choosing the files ----

// Every regular .svg file under the source, with its category path. Symbolic links are not followed:
// in openclipart they point at files listed elsewhere (and a link to a folder could loop).
function listSvgFiles(source) {
  const found = [];
  let links = 0;
  const visit = (folder, categories) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(folder, entry.name);
      if (entry.isSymbolicLink()) {
        links++;
      } else if (entry.isDirectory()) {
        visit(full, [...categories, entry.name]);
      } else if (entry.isFile() && entry.name.toLowerCase().endsWith('.svg')) {
        found.push({ full, relative: path.relative(source, full).split(path.sep).join('/'), categories, name: entry.name });
      }
    }
  };
  visit(source, []);
  return { found, links };
}

const stableHash = (text) => createHash('sha256').update(text).digest('hex');

// One file per name (openclipart repeats a drawing in a category and its subcategory: the more specific
// copy wins), then a round robin over the top-level categories, each in a fixed pseudo-random order, so
// small categories come whole and large ones are sampled evenly.
function chooseFiles(files, count) {
  const byName = new Map();
  for (const file of files) {
    const held = byName.get(file.name);
    if (!held || file.categories.length > held.categories.length ||
        (file.categories.length === held.categories.length && file.relative < held.relative)) {
      byName.set(file.name, file);
    }
  }
  const groups = new Map();
  for (const file of byName.values()) {
    const label = file.categories[0] ?? '';
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push({ ...file, order: stableHash(file.relative) });
  }
  const queues = [...groups.keys()].sort().map((label) => groups.get(label).sort((a, b) => (a.order < b.order ? -1 : 1)));
  const chosen = [];
  for (let round = 0; chosen.length < count && queues.some((queue) => round < queue.length); round++) {
    for (const queue of queues) if (round < queue.length && chosen.length < count) chosen.push(queue[round]);
  }
  return { chosen, duplicates: files.length - byName.size };
}

// ---- reading the metadata (hostile input) ----

const namedEntities = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z_][\w.-]*);/g, (whole, name) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '';
    }
    return namedEntities[name] ?? '';  // declared entities are never expanded (no entity bombs)
  });
}

const localName = (name) => name.slice(name.indexOf(':') + 1);
const lineAt = (text, offset) => text.slice(0, offset).split('\n').length;
const startTag = /<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;

// The document's text, strictly UTF-8 unless its declaration names Latin-1; else throws.
function decodeSvg(bytes) {
  const head = bytes.subarray(0, 200).toString('latin1');
  const declared = /^<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/i.exec(head)?.[1]?.toLowerCase();
  if (declared === 'iso-8859-1' || declared === 'latin1') return bytes.toString('latin1');
  if (declared && declared !== 'utf-8' && declared !== 'utf8') throw new Error(`an unsupported encoding (${declared})`);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
}

// {title, description, keywords[], hasMetadata} from the whole document, whose XML is checked as it
// is read: balanced tags, quoted attributes, closed comments; throws Error with the line on a fault.
function readSvgMetadata(text) {
  const stack = [];
  const found = { title: '', description: '', keywords: [], svgTitle: '', creator: '', hasMetadata: false };
  let rootSeen = false;
  let position = 0;
  let collecting;  // {field, depth, text}: the element whose text is being read
  const fail = (what, at = position) => { throw new Error(`malformed XML, line ${lineAt(text, at)}: ${what}`); };
  while (position < text.length) {
    const open = text.indexOf('<', position);
    if (open === -1) {
      if (text.slice(position).trim()) fail('text after the root element');
      break;
    }
    if (collecting) collecting.text += text.slice(position, open);
    position = open;
    const closeOf = (marker, what) => {
      const end = text.indexOf(marker, position);
      if (end === -1) fail(`an unclosed ${what}`);
      position = end + marker.length;
      return end;
    };
    if (text.startsWith('<!--', position)) {
      closeOf('-->', 'comment');
    } else if (text.startsWith('<![CDATA[', position)) {
      const start = position + 9;
      const end = closeOf(']]>', 'CDATA section');
      if (!stack.length) fail('CDATA outside the root element', start);
      if (collecting) collecting.text += text.slice(start, end).replaceAll('&', '&amp;');
    } else if (text.startsWith('<?', position)) {
      closeOf('?>', 'processing instruction');
    } else if (text.startsWith('<!DOCTYPE', position)) {
      if (rootSeen) fail('a DOCTYPE after the root element');
      const subset = text.indexOf('[', position);
      const end = text.indexOf('>', position);
      if (subset !== -1 && (end === -1 || subset < end)) closeOf(']', 'DOCTYPE internal subset');
      closeOf('>', 'DOCTYPE');
    } else if (text.startsWith('</', position)) {
      const match = /<\/([^\s>]+)\s*>/y;
      match.lastIndex = position;
      const closing = match.exec(text);
      if (!closing) fail('a broken end tag');
      const expected = stack.pop();
      if (closing[1] !== expected) fail(expected ? `</${closing[1]}> closes <${expected}>` : `</${closing[1]}> closes nothing`);
      position = match.lastIndex;
      if (collecting && stack.length < collecting.depth) {
        finishField(found, collecting);
        collecting = undefined;
      }
    } else {
      startTag.lastIndex = position;
      const tag = startTag.exec(text);
      if (!tag) fail('a broken start tag (unquoted attribute, stray "<" or a cut file)');
      position = startTag.lastIndex;
      if (!stack.length && rootSeen) fail('a second root element');
      rootSeen = true;
      const [name, selfClosing] = [tag[1], tag[3] === '/'];
      const parent = stack.length ? localName(stack[stack.length - 1]) : '';
      const local = localName(name);
      if (local === 'metadata') found.hasMetadata = true;
      if (!collecting && !selfClosing) {
        const grandparent = stack.length > 1 ? localName(stack[stack.length - 2]) : '';
        const field = (local === 'title' && parent === 'Work' && 'title') ||
          (local === 'title' && parent === 'Agent' && grandparent === 'creator' && 'creator') ||
          (local === 'description' && parent === 'Work' && 'description') ||
          (local === 'subject' && parent === 'Work' && 'subject') ||
          (local === 'title' && stack.length === 1 && 'svgTitle');
        if (field) collecting = { field, depth: stack.length + 1, text: '', items: [] };
      } else if (collecting?.field === 'subject' && local === 'li') {
        collecting.items.push(collecting.text.length);  // where each keyword starts
      }
      if (!selfClosing) stack.push(name);
    }
  }
  if (!rootSeen) fail('no root element');
  if (stack.length) fail(`<${stack[stack.length - 1]}> is never closed`);
  return found;
}

const words = (text) => decodeEntities(text).replace(/\s+/g, ' ').trim();

function finishField(found, collecting) {
  if (collecting.field !== 'subject') {
    if (!found[collecting.field]) found[collecting.field] = words(collecting.text);
    return;
  }
  const starts = collecting.items.length ? [...collecting.items, collecting.text.length] : [0, collecting.text.length];
  const pieces = [];
  for (let index = 0; index + 1 < starts.length; index++) pieces.push(collecting.text.slice(starts[index], starts[index + 1]));
  for (const piece of pieces.length ? pieces : [collecting.text]) {
    for (const keyword of words(piece).split(/\s*,\s*/)) if (keyword) found.keywords.push(keyword);
  }
}

// "red_bicycle_nicu_01.svg" -> "red bicycle nicu": the last resort title.
const fileNameWords = (name) => name.replace(/\.svg$/i, '').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
const shortened = (text, limit) => (text.length <= limit ? text : `${text.slice(0, limit - 1).trimEnd()}…`);

// ---- titles and descriptions to show ----

// Titles that name a collection or an author, not the drawing: "Clipart by Nicu Buculei - book_01"
// (on a crayon), "Part of the Flat Icon Collection (Wed Aug 25 23:23:49 2004)", "Various Cliparts".
const collectionTitle = /^(clip ?art by\b|part of the\b.*\bcollection\b|various clip ?arts?$)/i;
// A title or description given to this many files of the selection names their collection, not the
// drawing ("Lemon SVG theme" on a battery and on a text file icon).
const sharedByFiles = 3;

// "rss_button" -> "Rss button": underscores are spaces, spaces folded; an all-lower-case text gets a
// capital (one with capitals of its own, "iPod", is left as written).
function readable(text) {
  const spaced = text.replace(/_+/g, ' ').replace(/\s+/g, ' ').trim();
  return spaced === spaced.toLowerCase() ? spaced.charAt(0).toUpperCase() + spaced.slice(1) : spaced;
}

// The file name as a title: "lightbulb_jon_phillips_03.svg" by Jon Phillips -> "lightbulb",
// "home14.svg" -> "home". openclipart names end with the author's name (often cut short: "nicu_buc")
// and a number; those trailing words are dropped (never the first word), as is a number glued to the
// last word when three letters or more are left ("man02", not "mp3").
function fileNameTitle(name, creator) {
  const words = fileNameWords(name).split(' ').filter(Boolean);
  const authorWords = creator.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word.length >= 2);
  const byAuthor = (word) => word.length >= 2 && authorWords.some((author) => author.startsWith(word.toLowerCase()));
  while (words.length > 1 && (/^\d+$/.test(words[words.length - 1]) || byAuthor(words[words.length - 1]))) words.pop();
  const last = words.length ? words[words.length - 1].replace(/(\p{L}{3,})\d+$/u, '$1') : '';
  if (last) words[words.length - 1] = last;
  return words.join(' ');
}

// Counts of each title and description over the selection (lower case), for `sharedByFiles`.
function sharedTexts(prepared) {
  const counts = new Map();
  const count = (text) => { if (text) counts.set(text.toLowerCase(), (counts.get(text.toLowerCase()) ?? 0) + 1); };
  for (const { metadata } of prepared) {
    count(metadata.title);
    if (metadata.svgTitle !== metadata.title) count(metadata.svgTitle);
    count(metadata.description);
  }
  return counts;
}

// Some descriptions are filler ("OOO OOO OOO OOO"): a text whose every word is one letter repeated, or
// that has no letter at all, says nothing.
const saysSomething = (text) => /\p{L}/u.test(text) && !text.split(/\s+/).every((word) => /^(.)\1*$/u.test(word));
const namesTheDrawing = (text, shared) => Boolean(text) && saysSomething(text) && !collectionTitle.test(text) &&
  (shared.get(text.toLowerCase()) ?? 0) < sharedByFiles;

// The title a result shows: the metadata's title when it names the drawing, else the SVG's <title>,
// else the file name's words.
function cleanTitle(metadata, file, shared) {
  const given = [metadata.title, metadata.svgTitle].find((text) => namesTheDrawing(text, shared));
  return shortened(readable(given ?? (fileNameTitle(file.name, metadata.creator) || fileNameWords(file.name))), 200);
}

// The description a result shows: the metadata's description when it says more than the title and
// is not a collection's, else the keywords ("Mammal, animal"), else the category path; never the
// caption written for the index ("Keywords: … File: … Category: …").
function cleanDescription(metadata, file, title, shared) {
  const description = metadata.description;
  if (namesTheDrawing(description, shared) && description.toLowerCase() !== title.toLowerCase()) {
    return shortened(readable(description), 300);
  }
  const seen = new Set([title.toLowerCase()]);
  const keywords = [];
  for (const keyword of metadata.keywords) {
    const key = keyword.toLowerCase();
    // openclipart's tools left "hash" and bare numbers among many files' keywords.
    if (!seen.has(key) && key !== 'hash' && !/^\d+$/.test(key) && keywords.length < 8) keywords.push(shortened(keyword.replace(/_+/g, ' '), 40));
    seen.add(key);
  }
  if (keywords.length) return readable(keywords.join(', '));
  if (file.categories.length) return readable(file.categories.join(' / ').replaceAll('_', ' '));
  return title;
}

// The caption: title, description, keywords (each once), the file name's words when they add some
// (openclipart titles are often generic: "Clipart by Nicu Buculei - smiley111" for smiley113.svg) and
// the category path, in that order, since the local model reads only the first 128 tokens. It is what
// is embedded and keyword-indexed; `title` and `description` are what a result shows.
function makeCaption(metadata, file, shared) {
  const nameWords = fileNameWords(file.name);
  const title = cleanTitle(metadata, file, shared);
  const parts = [title];
  if (metadata.description && metadata.description.toLowerCase() !== title.toLowerCase()) {
    parts.push(shortened(metadata.description, 600));
  }
  const seen = new Set([title.toLowerCase()]);
  const keywords = [];
  for (const keyword of metadata.keywords) {
    const key = keyword.toLowerCase();
    if (!seen.has(key) && keywords.length < 30) keywords.push(shortened(keyword, 60));
    seen.add(key);
  }
  if (keywords.length) parts.push(`Keywords: ${keywords.join(', ')}`);
  const said = parts.join(' ').toLowerCase();
  if (nameWords.split(' ').some((word) => !/^\d+$/.test(word) && !said.includes(word.toLowerCase()))) parts.push(`File: ${nameWords}`);
  if (file.categories.length) parts.push(`Category: ${file.categories.join(' / ').replaceAll('_', ' ')}`);
  // "A sentence." then the next part; a part that already ends a sentence gets no second full stop.
  const sentences = parts.map((part) => (/[.!?…]$/.test(part) ? part : `${part}.`));
  return { title, description: cleanDescription(metadata, file, title, shared), caption: sentences.join(' ') };
}

// ---- rendering ----

// How a PNG is made from its SVG: rendered at twice the size (so that a small drawing on a large page
// is still sharp once cropped) on a white page with a margin of an eighth of that on every side (a
// drawing that reaches past its SVG page is not cut at the edge: librsvg does not clip the outermost
// <svg>), cropped to the drawing (ImageMagick's -trim: every border row and column the colour of the
// corners, within 2%, goes) and fitted into --size with a white padding of 1/32 of it.
function renderingOf(settings) {
  const page = settings.size * 2;
  const margin = Math.ceil(page / 8);
  const padding = Math.max(1, Math.round(settings.size / 32));
  return { version: 2, size: settings.size, page, margin, padding, fuzz: '2%' };
}

// Runs one tool with the per-file timeout: undefined when it succeeded, else the problem.
function runTool(settings, command, name, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk) => { if (errors.length < 4096) errors += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), settings.timeoutSeconds * 1000);
    const finish = (problem) => {
      clearTimeout(timer);
      resolve(problem);
    };
    child.on('error', (cause) => finish(`${name} could not run: ${cause.message}`));
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') return finish(`${name} took over ${settings.timeoutSeconds} s (stopped)`);
      if (code !== 0) return finish(`${name} failed: ${errors.trim().split('\n')[0] || `exit code ${code}`}`);
      return finish(undefined);
    });
  });
}

function isPng(file) {
  const head = Buffer.alloc(8);
  const descriptor = fs.openSync(file, 'r');
  try {
    fs.readSync(descriptor, head, 0, 8, 0);
  } finally {
    fs.closeSync(descriptor);
  }
  return head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}

async function render(settings, svgPath, pngPath) {
  const rendering = renderingOf(settings);
  const page = `${pngPath}.page.partial`;
  const partial = `${pngPath}.partial`;
  const side = String(rendering.page + 2 * rendering.margin);
  const inner = settings.size - 2 * rendering.padding;
  try {
    const drawn = await runTool(settings, settings.rsvgConvert, 'rsvg-convert', ['--width', String(rendering.page),
      '--height', String(rendering.page), '--keep-aspect-ratio', '--page-width', side, '--page-height', side,
      '--left', String(rendering.margin), '--top', String(rendering.margin), '--background-color', 'white',
      '--output', page, svgPath]);
    if (drawn) return drawn;
    try {
      if (!isPng(page)) return 'rsvg-convert wrote no PNG';
    } catch (cause) {
      return `rsvg-convert wrote no PNG: ${cause.message}`;
    }
    const cropped = await runTool(settings, settings.convert, 'convert', [page, '-fuzz', rendering.fuzz, '-trim', '+repage',
      '-resize', `${inner}x${inner}`, '-bordercolor', 'white', '-border', String(rendering.padding), '-strip', `PNG24:${partial}`]);
    if (cropped) return cropped;
    try {
      if (!isPng(partial)) return 'convert wrote no PNG';
    } catch (cause) {
      return `convert wrote no PNG: ${cause.message}`;
    }
    fs.renameSync(partial, pngPath);
    return undefined;
  } finally {
    fs.rmSync(page, { force: true });
    fs.rmSync(partial, { force: true });
  }
}

// ---- one file, then all of them ----

// {metadata, rendered, degraded} or {skip: reason}; the caption is made once every file's metadata
// is read (makeCaption needs the titles the selection shares).
async function prepareFile(settings, file, pngPath) {
  const size = fs.statSync(file.full).size;
  if (size > settings.maxSvgBytes) return { skip: `${size} bytes, over the ${settings.maxSvgBytes} an SVG may have here` };
  let text;
  try {
    text = decodeSvg(fs.readFileSync(file.full));
  } catch (cause) {
    return { skip: cause instanceof TypeError ? 'not UTF-8 text' : cause.message };
  }
  let metadata;
  try {
    metadata = readSvgMetadata(text);
  } catch (cause) {
    return { skip: cause.message };
  }
  const degraded = metadata.title || metadata.svgTitle ? undefined : 'no title in its metadata: captioned from its file name and category';
  const fresh = !settings.renderAll && fs.existsSync(pngPath) &&
    fs.statSync(pngPath).mtimeMs >= fs.statSync(file.full).mtimeMs && fs.statSync(pngPath).size > 0;
  if (!fresh) {
    const problem = await render(settings, file.full, pngPath);
    if (problem) return { skip: problem };
  }
  return { metadata, rendered: !fresh, degraded };
}

const safeName = (name) => name.replace(/\.svg$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.]+/, '_');

async function main() {
  let settings;
  try {
    settings = parseArguments(process.argv.slice(2));
  } catch (cause) {
    console.error(`prepare-demo-collection: ${cause.message}\n${usage}`);
    process.exit(2);
  }
  if (settings.help) {
    console.log(usage);
    return;
  }
  if (!fs.existsSync(settings.source)) {
    console.error(`prepare-demo-collection: ${settings.source} does not exist (install openclipart-svg: make demo does)`);
    process.exit(1);
  }
  const started = Date.now();
  const collection = path.join(settings.out, 'collection');
  fs.mkdirSync(collection, { recursive: true });
  const { found, links } = listSvgFiles(settings.source);
  const { chosen, duplicates } = chooseFiles(found, settings.count);

  const outputs = chosen.map((file) => {
    const label = file.categories[0] ?? '';
    const relative = (label ? `${label}/` : '') + `${safeName(file.name)}.png`;
    return { file, relative, pngPath: path.join(collection, relative) };
  });
  // PNGs of an earlier selection (another --count, another package version) would be indexed too.
  const wanted = new Set(outputs.map((output) => output.relative));
  let removed = 0;
  for (const entry of fs.readdirSync(collection, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath ?? entry.path, entry.name);
    const relative = path.relative(collection, full).split(path.sep).join('/');
    if (entry.isFile() && (relative.endsWith('.png') || relative.endsWith('.partial')) && !wanted.has(relative)) {
      fs.rmSync(full);
      removed++;
    }
  }
  for (const label of new Set(outputs.map((output) => path.dirname(output.pngPath)))) fs.mkdirSync(label, { recursive: true });

  // PNGs rendered another way (another --size, before cropping) are rendered again.
  const renderingPath = path.join(settings.out, 'rendering.json');
  const rendering = JSON.stringify(renderingOf(settings));
  settings.renderAll = !fs.existsSync(renderingPath) || fs.readFileSync(renderingPath, 'utf8').trim() !== rendering;
  fs.rmSync(renderingPath, { force: true });  // written again once every PNG is rendered this way

  const results = new Array(outputs.length);
  let next = 0;
  let done = 0;
  const isTerminal = process.stderr.isTTY;
  let lastReport = 0;
  const worker = async () => {
    while (next < outputs.length) {
      const index = next++;
      const { file, pngPath } = outputs[index];
      try {
        results[index] = await prepareFile(settings, file, pngPath);
      } catch (cause) {
        results[index] = { skip: `cannot read: ${cause.message}` };
      }
      done++;
      if (Date.now() - lastReport > (isTerminal ? 200 : 5000) || done === outputs.length) {
        lastReport = Date.now();
        process.stderr.write(`${isTerminal ? '\r' : ''}prepare-demo-collection: ${done}/${outputs.length} files${isTerminal ? '' : '\n'}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.jobs, outputs.length || 1) }, worker));
  if (isTerminal) process.stderr.write('\n');

  const shared = sharedTexts(results.filter((outcome) => !outcome.skip));
  const lines = [];
  const skipped = [];
  const degraded = [];
  let rendered = 0;
  outputs.forEach(({ file, relative }, index) => {
    const outcome = results[index];
    if (outcome.skip) {
      skipped.push({ path: file.relative, reason: outcome.skip });
      return;
    }
    if (outcome.rendered) rendered++;
    if (outcome.degraded) degraded.push({ path: file.relative, reason: outcome.degraded });
    const { caption, title, description } = makeCaption(outcome.metadata, file, shared);
    lines.push(JSON.stringify({ path: relative, caption, title, description }));
  });
  const captionsPath = path.join(settings.out, 'captions.jsonl');
  fs.writeFileSync(`${captionsPath}.partial`, lines.length ? `${lines.join('\n')}\n` : '');
  fs.renameSync(`${captionsPath}.partial`, captionsPath);
  fs.writeFileSync(renderingPath, `${rendering}\n`);

  const report = {
    source: settings.source, svg_files: found.length, symbolic_links_skipped: links, duplicate_names_skipped: duplicates,
    selected: outputs.length,
    selected_by_label: Object.fromEntries([...new Set(outputs.map(({ file }) => file.categories[0] ?? ''))].sort()
      .map((label) => [label, outputs.filter(({ file }) => (file.categories[0] ?? '') === label).length])),
    images: lines.length, rendered, reused: lines.length - rendered, removed_from_earlier_runs: removed,
    skipped, degraded, seconds: Math.round((Date.now() - started) / 100) / 10,
  };
  fs.writeFileSync(path.join(settings.out, 'preparation.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`prepare-demo-collection: ${lines.length} images in ${collection} (${rendered} rendered, ` +
    `${lines.length - rendered} kept from an earlier run), ${skipped.length} skipped, ${degraded.length} captioned ` +
    `from their file name, in ${report.seconds} s; details in ${path.join(settings.out, 'preparation.json')}`);
  for (const { path: where, reason } of skipped) console.log(`  skipped ${where}: ${reason}`);
}

await main();
