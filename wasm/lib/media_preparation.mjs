// Images and audio as the embedding proxy takes them, prepared in the page: decoding, resizing,
// cutting and re-encoding happen in the wasm core (stb, the WAV and MP3 readers); Web Audio only
// decodes what the core does not read.
import { loadCore } from './core_loader.mjs';
import { MosaicError, unwrap } from './errors.mjs';

export const defaultImageMaxSide = 1024;  // as `mosaic serve --image-max-side`
export const mediaSniffBytes = 65536;     // magic numbers sit at the start; text is never sniffed here
// Gemini embeds at most 80 s of audio (../../shared/docs/gemini-api.md), and the proxy refuses longer WAVs.
export const maximumAudioSeconds = 80;
// Decoded audio is sent as mono 16-bit PCM at this rate: speech and most sounds keep their meaning,
// and 80 s stay 2.5 MB.
const defaultAudioSampleRate = 16000;
// A WAV or MP3 larger than this even after cutting (80 s of 48 kHz stereo 24-bit PCM is 23 MB) is
// re-encoded as above where Web Audio can decode it: a Gemini request holds at most 20 MB, base64
// included, and a query should not upload megabytes it does not need.
const maximumPassThroughAudioBytes = 8 * 1024 * 1024;

/** @typedef {Blob | Uint8Array | ArrayBuffer | ArrayBufferView} MediaBytes */

/**
 * The bytes of a Blob (or File), a typed array or an ArrayBuffer.
 * @param {MediaBytes} media
 * @param {string} what  the argument's name, for the message
 * @returns {Promise<Uint8Array>}
 */
export async function bytesOf(media, what) {
  if (media instanceof Uint8Array) return media;
  if (media instanceof ArrayBuffer) return new Uint8Array(media);
  if (ArrayBuffer.isView(media)) return new Uint8Array(media.buffer, media.byteOffset, media.byteLength);
  if (media && typeof media.arrayBuffer === 'function') return new Uint8Array(await media.arrayBuffer());  // Blob, File
  throw new MosaicError('invalid_argument', `${what} must be a Blob, a Uint8Array or an ArrayBuffer`);
}

/** @param {Uint8Array} bytes */
export function toBase64(bytes) {
  let binary = '';
  const chunk = 0x8000;
  for (let start = 0; start < bytes.length; start += chunk) {
    binary += String.fromCharCode.apply(null, /** @type {number[]} */ (/** @type {unknown} */ (bytes.subarray(start, start + chunk))));
  }
  return btoa(binary);
}

/**
 * Decodes, resizes (longest side at most maxSide, never up) and re-encodes an image as JPEG, in wasm.
 * @param {MediaBytes} bytes
 * @param {{ maxSide?: number, quality?: number, coreUrl?: string }} [options]
 * @returns {Promise<import('../mosaic').PreparedImage>}
 */
export async function prepareImage(bytes, { maxSide = defaultImageMaxSide, quality = 85, coreUrl } = {}) {
  const core = await loadCore({ coreUrl });
  return unwrap(core.prepareImage(await bytesOf(bytes, 'the image'), maxSide, quality));
}

/**
 * Audio as the embedding proxy takes it. WAV and MP3 go as they are when they fit: a longer one is
 * cut to its first `maxSeconds` at a frame boundary by the wasm core (no decoding, same format). Anything
 * else the browser can decode (a MediaRecorder's WebM/Opus or MP4/AAC, Ogg, FLAC, a WAV encoding the
 * core does not read, ...) and a WAV too large to send even when cut (hours of hi-res PCM) is decoded
 * with Web Audio to mono at `sampleRate`, cut to `maxSeconds`, and written as 16-bit PCM WAV by the core.
 * @param {MediaBytes} audio
 * @param {{ maxSeconds?: number, sampleRate?: number, coreUrl?: string }} [options]
 * @returns {Promise<import('../mosaic').PreparedAudio>}
 */
export async function prepareAudio(audio, { maxSeconds = maximumAudioSeconds, sampleRate = defaultAudioSampleRate, coreUrl } = {}) {
  const core = await loadCore({ coreUrl });
  const bytes = await bytesOf(audio, 'the audio');
  /** @type {Detected} */
  const detected = core.detectMedia(bytes.subarray(0, mediaSniffBytes));
  if (detected.kind === 'audio' && detected.acceptedByGemini) {
    const cut = core.audioExcerpt(bytes, maxSeconds);
    const decodable = typeof offlineAudioContext() === 'function';
    if (cut.ok && !(cut.value.bytes.length > maximumPassThroughAudioBytes && decodable)) {
      const { bytes: kept, mimeType, seconds, sourceSeconds, truncated } = cut.value;
      return { bytes: truncated ? kept : bytes, mimeType, converted: false, seconds, sourceSeconds, truncated };
    }
    // A damaged file is reported as such; an encoding the core does not read may still decode below.
    if (!cut.ok && (cut.error.code !== 'unsupported_media' || !decodable)) unwrap(cut);
  } else if (detected.kind !== 'unknown' && detected.kind !== 'audio') {
    throw new MosaicError('unsupported_media', `this is ${detected.format || detected.kind}, not audio`);
  }
  const decoded = await decodeAudio(bytes, sampleRate, detected);
  const keptFrames = Math.min(decoded.length, Math.floor(maxSeconds * sampleRate));
  const samples = keptFrames < decoded.length ? decoded.subarray(0, keptFrames) : decoded;
  return {
    bytes: unwrap(core.encodeWav(samples, 1, sampleRate)),
    mimeType: 'audio/wav',
    converted: true,
    seconds: keptFrames / sampleRate,
    sourceSeconds: decoded.length / sampleRate,
    truncated: keptFrames < decoded.length,
  };
}

/**
 * A 16-bit PCM WAV of float samples in [-1, 1] (interleaved when channels > 1), written by the wasm core.
 * @param {Float32Array | number[]} samples
 * @param {{ sampleRate: number, channels?: number, coreUrl?: string }} options
 * @returns {Promise<Uint8Array>}
 */
export async function encodeWav(samples, { sampleRate, channels = 1, coreUrl } = /** @type {any} */ ({})) {
  if (typeof sampleRate !== 'number' || typeof channels !== 'number') {
    throw new MosaicError('invalid_argument', 'encodeWav needs { sampleRate } (and channels, when given) as numbers');
  }
  const core = await loadCore({ coreUrl });
  const floats = samples instanceof Float32Array ? samples : Float32Array.from(samples ?? []);
  return unwrap(core.encodeWav(floats, channels, sampleRate));
}

/** @typedef {{ kind: string, format: string, mimeType: string, acceptedByGemini: boolean }} Detected  the core's detectMedia */

/** @returns {typeof OfflineAudioContext | undefined} */
function offlineAudioContext() {
  const scope = /** @type {{ OfflineAudioContext?: typeof OfflineAudioContext, webkitOfflineAudioContext?: typeof OfflineAudioContext }} */ (globalThis);
  return scope.OfflineAudioContext ?? scope.webkitOfflineAudioContext;
}

/**
 * Decodes audio with Web Audio, resampled to `sampleRate` (decodeAudioData resamples to its context's
 * rate) and mixed down to mono by rendering through a one-channel context. Browsers only: Node has no
 * Web Audio, so there only WAV and MP3 can be queried.
 * @param {Uint8Array} bytes
 * @param {number} sampleRate
 * @param {Detected} detected
 * @returns {Promise<Float32Array>}
 */
async function decodeAudio(bytes, sampleRate, detected) {
  const OfflineContext = offlineAudioContext();
  const found = detected.kind === 'audio' ? detected.format : 'an unrecognized format';
  if (typeof OfflineContext !== 'function') {
    throw new MosaicError('unsupported_media', `audio in ${found} must be decoded first, which needs Web Audio (a browser); WAV and MP3 are taken as they are`);
  }
  let decoded;
  try {
    // decodeAudioData detaches the buffer it is given: hand it a copy.
    decoded = await new OfflineContext(1, 1, sampleRate).decodeAudioData(bytes.slice().buffer);
  } catch (cause) {
    throw new MosaicError('unsupported_media', `this browser cannot decode the audio (${found}): ${/** @type {any} */ (cause)?.message ?? cause}`);
  }
  if (decoded.length === 0) throw new MosaicError('invalid_media', 'the audio holds no samples');
  if (decoded.numberOfChannels === 1 && decoded.sampleRate === sampleRate) return decoded.getChannelData(0);
  const mono = new OfflineContext(1, Math.ceil(decoded.length * sampleRate / decoded.sampleRate), sampleRate);
  const source = mono.createBufferSource();
  source.buffer = decoded;
  source.connect(mono.destination);
  source.start();
  return (await mono.startRendering()).getChannelData(0);
}
