// Debian's redis-server and HAProxy as child processes on free loopback ports, for the several-proxies
// test (tests/server/shared_state.test.mjs) and benchmark (tests/bench/proxies_benchmark.mjs): the
// topology of README's "Several proxies: shared state in Redis". Both are stopped by process id.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startProcess } from './processes.mjs';

export const redisBinary = ['/usr/bin/redis-server', '/usr/sbin/redis-server'].find((file) => fs.existsSync(file));
export const haproxyBinary = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((file) => fs.existsSync(file));

// A port nobody listens on now (redis-server and haproxy cannot report a port they chose themselves).
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Polls until `check` holds. The limit only turns a hang into a failure with a message.
export async function until(check, what, limit = 60000) {
  const deadline = Date.now() + limit;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// redis-server with nothing saved to disk, a password, and the memory policy README recommends.
export async function startRedis(port, password) {
  return startProcess(redisBinary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--requirepass', password, '--maxmemory', '64mb', '--maxmemory-policy', 'volatile-lru'],
  { ready: /()Ready to accept connections/ });
}

// HAProxy in front of the proxies (each with a `port`): round robin, health checks on /api/health (a
// degraded proxy still answers 200: it serves from local state), and a connection refused retried on
// another proxy. Its configuration is written into `scratch`.
export async function startBalancer(proxies, scratch) {
  const port = await freePort();
  const configuration = path.join(scratch, `haproxy-${port}.cfg`);
  fs.writeFileSync(configuration, [
    'global', '  maxconn 2000',
    'defaults', '  mode http', '  timeout connect 2s', '  timeout client 60s', '  timeout server 60s',
    '  retries 3', '  option redispatch',
    'frontend web', `  bind 127.0.0.1:${port}`, '  default_backend proxies',
    'backend proxies', '  balance roundrobin', '  option httpchk GET /api/health',
    ...proxies.map((proxy, index) => `  server proxy${index} 127.0.0.1:${proxy.port} check inter 200ms fall 1 rise 1`),
    '',
  ].join('\n'));
  const child = spawn(haproxyBinary, ['-f', configuration, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (chunk) => { log += chunk; });
  child.stderr.on('data', (chunk) => { log += chunk; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  process.on('exit', () => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } });
  const base = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${base}/api/health`).catch(() => undefined))?.ok, `haproxy to answer: ${log}`);
  return { base, port, log: () => log, stop: async () => { child.kill('SIGTERM'); return exited; } };
}
