// Videos indexed by mosaic index with FFmpeg's libraries (server/extract/video_*), against the test
// double of the Gemini API: a 300 s video becomes segments of at most 120 s cut at key frames (each
// an item with its start time, each MP4 under 120 s by ffprobe's count, as the double received it);
// every video item's thumbnail is a poster frame of its picture, not the black it opens on; hostile
// videos (truncated, no streams, no video stream, an unknown codec, wrong magic) are skipped with
// their reasons while the rest is indexed. Videos are made in the test by ffmpeg's lavfi sources
// (tests/support/video_fixtures.mjs). Run by ctest with MOSAIC_CLI and MOSAIC_GEMINI_DOUBLE.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startProcess } from '../../support/processes.mjs';
import { makeMp4 } from '../../support/container_fixtures.mjs';
import { makeVideo, probeSeconds } from '../../support/video_fixtures.mjs';
import { siteItems, writeCollection } from '../../support/site_reading.mjs';

const cli = process.env.MOSAIC_CLI;
const doubleBinary = process.env.MOSAIC_GEMINI_DOUBLE;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
assert.ok(doubleBinary && fs.existsSync(doubleBinary), 'MOSAIC_GEMINI_DOUBLE must point at the test double');
// Debian's ImageMagick measures the posters (scripts/install-dependencies.sh).
const convert = '/usr/bin/convert';

const apiKey = `AIzaSy${randomBytes(16).toString('hex')}`;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-index-video-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const makeFolder = (name, files) => writeCollection(path.join(scratch, name), files);

const startDouble = (extra = []) =>
  startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text', ...extra], { ready: /listening on 127\.0\.0\.1:(\d+)/ });

function index(root, double) {
  const outcome = spawnSync(cli, ['index', path.join(root, 'collection'), '--out', path.join(root, 'site'), '--provider', 'gemini',
    '--gemini-base-url', `http://127.0.0.1:${double.port}/v1beta`, '--upstream-attempts', '2',
    '--cache-dir', path.join(root, 'cache'), '--json'], { encoding: 'utf8', env: { ...process.env, GEMINI_API_KEY: apiKey } });
  assert.equal(outcome.status, 0, outcome.stderr);
  return JSON.parse(outcome.stdout);
}

// The mean brightness (0 black .. 1 white) of an image file, by ImageMagick.
function meanBrightness(file) {
  const measured = spawnSync(convert, [file, '-colorspace', 'Gray', '-format', '%[fx:mean]', 'info:'], { encoding: 'utf8' });
  assert.equal(measured.status, 0, measured.stderr);
  return Number(measured.stdout);
}

// The first occurrence of `from` after `anchor` replaced by `to` (same length): a box's four letters rewritten.
function replaced(bytes, from, to, anchor = '') {
  const copy = Buffer.from(bytes);
  const at = copy.indexOf(from, anchor ? copy.indexOf(anchor, 0, 'latin1') : 0, 'latin1');
  assert.ok(at >= 0, `${from} not found`);
  copy.write(to, at, 'latin1');
  return copy;
}

test('a 300 s video becomes segments of at most 120 s with start times and posters; hostile videos are skipped with reasons', async () => {
  const received = path.join(scratch, 'received-media');
  const double = await startDouble(['--keep-media', received]);
  try {
    const short = makeVideo({ black: 2, seconds: 28 });
    const root = makeFolder('videos', {
      'clips/long.mp4': makeVideo({ black: 2, seconds: 298, width: 160, height: 120 }),
      'clips/short.mp4': short,
      'broken/truncated.mp4': short.subarray(0, Math.floor(short.length / 2)),
      'broken/no-streams.mp4': makeMp4({ seconds: 10 }),
      'broken/sound-only.mp4': makeVideo({ video: false, seconds: 5 }),
      // The sample description's codec, not the file type's compatible brands (which name avc1 too).
      'broken/unknown-codec.mp4': replaced(short, 'avc1', 'zzz9', 'stsd'),
      'broken/wrong-magic.mp4': replaced(short, 'ftyp', 'xxxx'),
    });
    const report = index(root, double);
    const reasons = Object.fromEntries(report.skipped.map((file) => [file.path, file.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['broken/no-streams.mp4', 'broken/sound-only.mp4', 'broken/truncated.mp4',
      'broken/unknown-codec.mp4', 'broken/wrong-magic.mp4']);
    assert.match(reasons['broken/truncated.mp4'], /^not a usable video: /);
    assert.match(reasons['broken/no-streams.mp4'], /no streams/);
    assert.match(reasons['broken/sound-only.mp4'], /no video stream/);
    assert.match(reasons['broken/unknown-codec.mp4'], /cannot decode/);
    assert.match(reasons['broken/wrong-magic.mp4'], /judged by its bytes/);

    const site = path.join(root, 'site');
    const items = siteItems(site);
    const segments = items.filter((item) => item.source === 'clips/long.mp4').sort((a, b) => a.source_offset - b.source_offset);
    // Key frames every 2 s: each segment as long as fits under 120 s, starting on a key frame.
    assert.deepEqual(segments.map((item) => item.source_offset), [0, 118_000, 236_000]);
    assert.deepEqual(segments.map((item) => item.title), ['long.mp4 (0:00–1:58)', 'long.mp4 (1:58–3:56)', 'long.mp4 (3:56–5:00)']);
    for (const segment of segments) {
      assert.equal(segment.modality, 'video');
      assert.equal(segment.mime_type, 'video/mp4');
      assert.match(segment.media, /^media\/[0-9a-f]{64}\.mp4$/);
      const seconds = probeSeconds(path.join(site, segment.media));
      assert.ok(seconds <= 120 && seconds >= 60, `a segment of ${seconds} s`);
      assert.match(segment.thumbnail, /^thumbnails\/[0-9a-f]{64}\.jpg$/);
      assert.ok(meanBrightness(path.join(site, segment.thumbnail)) > 0.15, 'the poster is a picture, not black');
    }
    const whole = items.filter((item) => item.source === 'clips/short.mp4');
    assert.equal(whole.length, 1);
    assert.equal(whole[0].source_offset, undefined);
    assert.ok(meanBrightness(path.join(site, whole[0].thumbnail)) > 0.15, 'the short video opens on black; its poster does not');

    // What reached the double: four videos (three segments and the short one), each under 120 s by
    // ffprobe, together as long as the originals.
    const videos = fs.readdirSync(received).filter((name) => name.endsWith('.mp4')).map((name) => probeSeconds(path.join(received, name)));
    assert.equal(videos.length, 4);
    assert.ok(videos.every((seconds) => seconds <= 120), videos.join(', '));
    const total = videos.reduce((sum, seconds) => sum + seconds, 0);
    assert.ok(Math.abs(total - 330) < 0.5, `${total} s received`);
  } finally {
    await double.stop();
  }
});

// Real encoders' reordered frames: H.264 with B-frames (x264, 3 between references, pyramid) and HEVC
// (x265, B-frames too, tagged hvc1 as Apple's players want), each 2 s of black and 148 s of picture.
// Their length (the last segment's title ends at 2:30), the cut at key frames, the poster past the
// black and the segments' own length and codec (ffprobe) come out as for the plain H.264 above.
function probeStream(file) {
  const probed = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,has_b_frames',
    '-of', 'json', file], { encoding: 'utf8' });
  assert.equal(probed.status, 0, probed.stderr);
  return JSON.parse(probed.stdout).streams[0];
}

const hasEncoder = (name) => spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' }).stdout.includes(` ${name} `);

for (const [name, codec, extra] of [
  ['H.264 with B-frames', 'h264', ['-x264-params', 'bframes=3:b-pyramid=normal:b-adapt=0']],
  ['HEVC', 'hevc', ['-c:v', 'libx265', '-tag:v', 'hvc1', '-x265-params', 'keyint=48:min-keyint=48:scenecut=0:bframes=3:log-level=error']],
]) {
  test(`${name}: length, segments at key frames and a poster past the black`, async (t) => {
    if (codec === 'hevc' && !hasEncoder('libx265')) {
      t.skip('this ffmpeg has no libx265');
      return;
    }
    const received = path.join(scratch, `received-${codec}`);
    const double = await startDouble(['--keep-media', received]);
    try {
      const bytes = makeVideo({ black: 2, seconds: 148, width: 160, height: 120, extra });
      const original = path.join(scratch, `original-${codec}.mp4`);
      fs.writeFileSync(original, bytes);
      const stream = probeStream(original);
      assert.equal(stream.codec_name, codec);
      assert.ok(stream.has_b_frames > 0, `the fixture has B-frames: ${JSON.stringify(stream)}`);
      const root = makeFolder(`reordered-${codec}`, { 'clips/talk.mp4': bytes });
      const report = index(root, double);
      assert.deepEqual(report.skipped, []);
      assert.equal(report.extraction.videos, 1);
      const site = path.join(root, 'site');
      const segments = siteItems(site).sort((a, b) => a.source_offset - b.source_offset);
      assert.deepEqual(segments.map((item) => item.source_offset), [0, 118_000]);
      assert.deepEqual(segments.map((item) => item.title), ['talk.mp4 (0:00–1:58)', 'talk.mp4 (1:58–2:30)']);
      for (const segment of segments) {
        const file = path.join(site, segment.media);
        assert.equal(probeStream(file).codec_name, codec, 'cut by stream copy, not re-encoded');
        assert.ok(meanBrightness(path.join(site, segment.thumbnail)) > 0.15, 'the poster is a picture, not black');
      }
      // By ffprobe, each segment is under 120 s and together they are about as long as the original.
      // x265's segments read longer than their cut (measured: 118.088 + 32.209 s of 150 s; not yet
      // explained, see the README's Videos part), hence the wider margin for HEVC.
      const lengths = segments.map((segment) => probeSeconds(path.join(site, segment.media)));
      const whole = probeSeconds(original);
      const margin = codec === 'hevc' ? 0.5 : 0.25;
      const message = `segments ${lengths.join(' + ')} s of ${whole} s`;
      assert.ok(lengths.every((seconds) => seconds <= 120), message);
      assert.ok(Math.abs(lengths[0] - 118) < margin && Math.abs(lengths[1] - 32) < margin, message);
      assert.ok(Math.abs(lengths[0] + lengths[1] - whole) < margin, message);
      const videos = fs.readdirSync(received).filter((file) => file.endsWith('.mp4'));
      assert.equal(videos.length, 2);
    } finally {
      await double.stop();
    }
  });
}
