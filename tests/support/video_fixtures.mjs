// Real videos made in the test by FFmpeg's command line from its lavfi sources (never downloaded):
// `black` seconds of black (the fade a poster must not show), then `seconds` of testsrc2's moving
// colour pattern, H.264 with a key frame every 2 s, and a sine tone as AAC audio. The Node twin of
// tests/support/video_fixtures.hpp.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function makeVideo({ black = 2, seconds = 28, width = 320, height = 240, audio = true, video = true, extra = [] } = {}) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-video-fixture-'));
  const output = path.join(folder, 'video.mp4');
  const size = `${width}x${height}`;
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
  const maps = [];
  if (video) {
    args.push('-f', 'lavfi', '-i', `color=c=black:s=${size}:r=24:d=${black}`);
    if (seconds > 0) args.push('-f', 'lavfi', '-i', `testsrc2=s=${size}:r=24:d=${seconds}`);
  }
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${black + seconds}`);
  if (video) {
    if (seconds > 0) {
      args.push('-filter_complex', '[0:v][1:v]concat=n=2:v=1:a=0[v]');
      maps.push('-map', '[v]');
    } else {
      maps.push('-map', '0:v');
    }
    maps.push('-c:v', 'libx264', '-preset', 'ultrafast', '-g', '48', '-keyint_min', '48', '-sc_threshold', '0', '-pix_fmt', 'yuv420p');
  }
  if (audio) maps.push('-map', `${video ? (seconds > 0 ? 2 : 1) : 0}:a`, '-c:a', 'aac', '-b:a', '64k');
  const made = spawnSync('ffmpeg', [...args, ...maps, '-fflags', '+bitexact', ...extra, output], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`ffmpeg failed: ${made.stderr}`);
  const bytes = fs.readFileSync(output);
  fs.rmSync(folder, { recursive: true, force: true });
  return bytes;
}

// A video file's length in seconds as ffprobe (not Mosaic) reads it.
export function probeSeconds(file) {
  const probed = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  if (probed.status !== 0) throw new Error(`ffprobe failed on ${file}: ${probed.stderr}`);
  return Number(probed.stdout.trim());
}
