// Searching by sound: an audio file, or a recording from the microphone (stopped by itself at the
// longest audio the embedding model takes). Audio is prepared in wasm by the API
// (Mosaic.prepareAudio) before the search; an index built with the local text model refuses audio,
// and its controls say so before anything is picked.
import { Mosaic, maximumAudioSeconds } from '../mosaic.mjs';

export const localModelAudioNote = (model) => `Audio search is not available here: this index was built with the local text model (${model}), ` +
  'which reads text only. Search it by text or with “More like this”; audio search needs an index built with a Gemini model.';

export function describeAudioQuery(query, clockTime) {
  // A longer recording is searched by its beginning: say so, with its length.
  let length = '';
  if (query.truncated) length = ` (its first ${maximumAudioSeconds} s of ${clockTime(query.sourceSeconds * 1000)}; Gemini embeds at most ${maximumAudioSeconds} s)`;
  else if (query.seconds !== undefined) length = ` (${query.seconds.toFixed(1)} s)`;
  return `${query.recorded ? 'Recording' : `Audio: ${query.name}`}${length}`;
}

export async function prepareAudioQuery(audio, { name, recorded }) {
  const prepared = await Mosaic.prepareAudio(audio);
  return {
    audio: new Blob([prepared.bytes], { type: prepared.mimeType }),
    name: name ?? 'audio',
    recorded,
    seconds: prepared.seconds,
    sourceSeconds: prepared.sourceSeconds,
    truncated: prepared.truncated,
  };
}

// The Record button: start, tick, stop (by the user or at the limit), then hand the recording on.
export class Recorder {
  #button;
  #note;
  #onMessage;
  #onRecorded;
  #state = { recorder: undefined, started: 0, ticker: undefined, limitTimer: undefined, stoppedAtLimit: false };

  constructor(button, note, { onMessage, onRecorded }) {
    this.#button = button;
    this.#note = note;
    this.#onMessage = onMessage;
    this.#onRecorded = onRecorded;
  }

  get recording() { return Boolean(this.#state.recorder); }

  showNote(text) {
    this.#note.textContent = text;
    this.#note.hidden = !text;
  }

  async start() {
    // The microphone permission prompt can take a while: a second press meanwhile starts nothing.
    this.#button.disabled = true;
    let stream;
    let recorder;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      recorder = new MediaRecorder(stream);
    } catch (error) {
      for (const track of stream?.getTracks() ?? []) track.stop();
      this.#onMessage(`The microphone could not be opened: ${error.message}`);
      return;
    } finally {
      this.#button.disabled = false;
    }
    const state = this.#state;
    const chunks = [];
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    recorder.addEventListener('stop', () => {
      for (const track of stream.getTracks()) track.stop();
      clearInterval(state.ticker);
      clearTimeout(state.limitTimer);
      const seconds = (performance.now() - state.started) / 1000;
      const atLimit = state.stoppedAtLimit;
      state.recorder = undefined;
      this.#button.setAttribute('aria-pressed', 'false');
      this.#button.textContent = 'Record';
      this.showNote(atLimit ? `Recording stopped at the ${maximumAudioSeconds} s limit.` : `Recorded ${seconds.toFixed(1)} s.`);
      // The recorder's own type (audio/webm;codecs=opus in Chromium); prepareAudio decodes it either way.
      this.#onRecorded(new Blob(chunks, { type: recorder.mimeType }));
    });
    Object.assign(state, { recorder, started: performance.now(), stoppedAtLimit: false });
    recorder.start();
    this.#button.setAttribute('aria-pressed', 'true');
    this.#button.textContent = 'Stop';
    const tick = () => this.showNote(`Recording… ${Math.floor((performance.now() - state.started) / 1000)} s ` +
      `(stops by itself at ${maximumAudioSeconds} s). Press Stop to search with it.`);
    tick();
    state.ticker = setInterval(tick, 250);
    // Gemini embeds at most 80 s of audio: the recording ends there rather than being refused later.
    state.limitTimer = setTimeout(() => {
      state.stoppedAtLimit = true;
      this.stop();
    }, maximumAudioSeconds * 1000);
  }

  stop() {
    if (this.#state.recorder?.state === 'recording') this.#state.recorder.stop();
  }
}
