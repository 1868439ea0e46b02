// Media built byte by byte for the Node tests (the test double's, the server's, the indexer's): PNGs
// with an optional tEXt "Description" caption (the double embeds an image as its caption) and WAVs
// with an optional LIST/INFO ICMT comment; and a reader of the canonical 44-byte WAV header, to
// check what the code under test wrote. No npm packages: node:zlib only.
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, index) => {
  let value = index;
  for (let bit = 0; bit < 8; bit++) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  return value >>> 0;
});
export function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
export const u32be = (value) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes;
};
export const u32le = (value) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0);
  return bytes;
};

export function pngChunk(type, data, { length = data.length } = {}) {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32be(length), typeAndData, u32be(crc32(typeAndData))]);
}

export const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// A valid grayscale PNG of width x height (1x1 by default); `description` adds a tEXt chunk under
// `keyword`; `gray` sets every pixel.
export function makePng({ description, gray = 128, keyword = 'Description', width = 1, height = 1 } = {}) {
  const header = Buffer.concat([u32be(width), u32be(height), Buffer.from([8, 0, 0, 0, 0])]);
  const chunks = [pngChunk('IHDR', header)];
  if (description !== undefined) {
    chunks.push(pngChunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(description, 'latin1')])));
  }
  const row = Buffer.alloc(width + 1, gray);
  row[0] = 0;  // filter type None
  chunks.push(pngChunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))));
  chunks.push(pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat([pngSignature, ...chunks]);
}

export function riffChunk(identifier, data, { size = data.length } = {}) {
  const padding = data.length % 2 === 1 ? Buffer.from([0]) : Buffer.alloc(0);
  return Buffer.concat([Buffer.from(identifier, 'latin1'), u32le(size), data, padding]);
}

// A valid 16-bit WAV, 8 kHz mono unless told (16 samples, or `seconds` of audio); `comment` adds a
// LIST/INFO chunk with an ICMT sub-chunk.
export function makeWav({ comment, seed = 1, seconds, sampleRate = 8000, channels = 1 } = {}) {
  const format = Buffer.alloc(16);
  format.writeUInt16LE(1, 0); // PCM
  format.writeUInt16LE(channels, 2);
  format.writeUInt32LE(sampleRate, 4);
  format.writeUInt32LE(sampleRate * channels * 2, 8); // byte rate
  format.writeUInt16LE(channels * 2, 12); // block align
  format.writeUInt16LE(16, 14); // bits per sample
  const sampleCount = (seconds === undefined ? 16 : Math.round(seconds * sampleRate)) * channels;
  const samples = Buffer.alloc(sampleCount * 2);
  for (let index = 0; index < sampleCount; index++) samples.writeInt16LE(((index * 977 * seed) % 2000) - 1000, index * 2);
  const chunks = [riffChunk('fmt ', format), riffChunk('data', samples)];
  if (comment !== undefined) {
    const info = Buffer.concat([Buffer.from('INFO'), riffChunk('INAM', Buffer.from('title\0')), riffChunk('ICMT', Buffer.from(`${comment}\0`, 'utf8'))]);
    chunks.push(riffChunk('LIST', info));
  }
  const body = Buffer.concat([Buffer.from('WAVE'), ...chunks]);
  return Buffer.concat([Buffer.from('RIFF'), u32le(body.length), body]);
}

// MPEG 1 Layer III frames at 128 kbit/s, 44.1 kHz, mono, silent payload: 417 bytes and 1152 samples
// (26.1 ms) each, as tests/support/container_fixtures.hpp builds them for the C++ tests.
export const mp3FrameBytes = 417;
export function makeMp3({ frames }) {
  const stream = Buffer.alloc(frames * mp3FrameBytes);
  for (let frame = 0; frame < frames; frame += 1) stream.set([0xFF, 0xFB, 0x90, 0xC0], frame * mp3FrameBytes);
  return stream;
}

// The fields of a canonical WAV (RIFF, a 16-byte fmt chunk, then data at byte 36), read by hand rather
// than by the code under test, with the 16-bit samples.
export function readWavHeader(bytes) {
  const view = Buffer.from(bytes);
  return {
    riff: view.toString('latin1', 0, 4), riffSize: view.readUInt32LE(4), wave: view.toString('latin1', 8, 12),
    fmt: view.toString('latin1', 12, 16), formatTag: view.readUInt16LE(20), channels: view.readUInt16LE(22),
    sampleRate: view.readUInt32LE(24), byteRate: view.readUInt32LE(28), blockAlign: view.readUInt16LE(32),
    bitsPerSample: view.readUInt16LE(34), data: view.toString('latin1', 36, 40), dataSize: view.readUInt32LE(40),
    samples: Array.from({ length: Math.floor((view.length - 44) / 2) }, (_, index) => view.readInt16LE(44 + index * 2)),
  };
}
