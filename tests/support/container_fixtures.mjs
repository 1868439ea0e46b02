// MP3, MP4 and PDF files built byte by byte for the Node tests (the indexer's limits, the web app's
// players): only the structure the indexer reads is real. MP3: valid MPEG-1 Layer III frame headers
// (128 kbit/s, 44.1 kHz, 417 bytes, 1152 samples each) with zeroed side information, which decodes as
// silence. MP4: ftyp and moov/mvhd with the duration. PDF: a page tree with N pages.

export const mp3FrameBytes = 417;
export const mp3FrameSamples = 1152;
export const mp3SampleRate = 44100;

// `seconds` of silent MP3 (rounded up to whole frames), after an ID3v2 tag when `id3` is set.
export function makeMp3({ seconds = 1, id3 = true } = {}) {
  const frames = Math.ceil((seconds * mp3SampleRate) / mp3FrameSamples);
  const frame = Buffer.alloc(mp3FrameBytes);
  frame.writeUInt32BE(0xfffb9044);  // sync, MPEG 1, Layer III, no CRC, 128 kbit/s, 44.1 kHz, joint stereo
  const parts = [];
  if (id3) {
    const body = Buffer.alloc(32);
    parts.push(Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, body.length]), body);
  }
  for (let index = 0; index < frames; index++) parts.push(frame);
  return Buffer.concat(parts);
}

function box(type, body) {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

// An MP4 whose movie header says `seconds` long (timescale 1000); its media data is filler.
export function makeMp4({ seconds = 10 } = {}) {
  const fileType = box('ftyp', Buffer.concat([Buffer.from('isom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isommp41')]));
  const header = Buffer.alloc(100);
  header.writeUInt32BE(1000, 12);                      // version 0: flags, times, then the timescale
  header.writeUInt32BE(Math.round(seconds * 1000), 16);  // and the duration
  return Buffer.concat([fileType, box('mdat', Buffer.alloc(256, 7)), box('moov', box('mvhd', header))]);
}

// A PDF of `pages` empty pages under one page tree.
export function makePdf({ pages = 1 } = {}) {
  let text = '%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n';
  const kids = Array.from({ length: pages }, (_, index) => `${3 + index} 0 R`).join(' ');
  text += `2 0 obj\n<< /Type /Pages /Kids [${kids}] /Count ${pages} >>\nendobj\n`;
  for (let index = 0; index < pages; index++) {
    text += `${3 + index} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n`;
  }
  return Buffer.from(`${text}trailer\n<< /Root 1 0 R >>\n%%EOF\n`, 'latin1');
}
