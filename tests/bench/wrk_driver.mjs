// The load driver of the server benchmarks (serve_benchmark.mjs, proxies_benchmark.mjs): wrk, with a
// Lua script per scenario, run for a fixed time; its requests per second, p50 and p99 read from its
// --latency report. wrk comes from Debian (scripts/install-dependencies.sh bench).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function luaString(text) {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function toMilliseconds(text) {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!match) return NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

// Scripts are written into `scratch`; each run lasts `seconds` with `connections` unless told otherwise;
// `name` starts the progress lines on stderr.
export function wrkDriver({ scratch, seconds, connections, name }) {
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is missing: scripts/install-dependencies.sh bench installs it');

  // A wrk script: a fixed request, or (unique) a new text per request from a per-thread counter.
  function writeScript(scriptName, { method = 'GET', body, unique, cycle, bodies, headers = {} }) {
    const headerLines = Object.entries({ 'Content-Type': 'application/json', ...headers })
      .map(([key, value]) => `wrk.headers[${luaString(key)}] = ${luaString(value)}`).join('\n');
    let script = `wrk.method = ${luaString(method)}\n${headerLines}\n`;
    if (body !== undefined) script += `wrk.body = ${luaString(body)}\n`;
    if (unique) {
      script += `local counter = 0
local prefix = ""
function setup(thread)
  thread:set("thread_name", tostring(math.random(1, 1000000000)))
end
function init(args)
  prefix = thread_name or tostring(math.random(1, 1000000000))
end
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, string.format(${luaString(unique)}, prefix .. "-" .. counter))
end
`;
    }
    if (cycle) {
      // The same `cycle.count` texts over and over, each thread starting at its own place.
      script += `local counter = math.random(0, ${cycle.count - 1})
function request()
  counter = (counter + 1) % ${cycle.count}
  return wrk.format(nil, nil, nil, string.format(${luaString(cycle.format)}, counter))
end
`;
    }
    if (bodies) {
      // These whole bodies in turn, over and over.
      script += `local bodies = {\n${bodies.map((text) => `  ${luaString(text)},`).join('\n')}\n}
local counter = math.random(0, #bodies - 1)
function request()
  counter = (counter + 1) % #bodies
  return wrk.format(nil, nil, nil, bodies[counter + 1])
end
`;
    }
    const file = path.join(scratch, `${scriptName}.lua`);
    fs.writeFileSync(file, script);
    return file;
  }

  function runWrk(label, url, script, clients = connections) {
    console.error(`${name}: ${label} (${seconds} s, ${clients} connections)…`);
    const outcome = spawnSync('wrk', ['-t', clients > 1 ? '2' : '1', '-c', String(clients), '-d', `${seconds}s`, '--latency', '-s', script, url],
      { encoding: 'utf8' });
    if (outcome.status !== 0) throw new Error(`wrk failed for ${label}: ${outcome.stderr}`);
    const text = outcome.stdout;
    const percentile = (p) => toMilliseconds((new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(text) || [])[1] || '');
    const errors = /Non-2xx or 3xx responses: (\d+)/.exec(text);
    const socketErrors = /Socket errors: (.*)/.exec(text);
    return {
      label,
      connections: clients,
      requests_per_second: Number((/Requests\/sec:\s+([\d.]+)/.exec(text) || [])[1]),
      p50_ms: percentile(50),
      p99_ms: percentile(99),
      non_2xx: errors ? Number(errors[1]) : 0,
      socket_errors: socketErrors ? socketErrors[1] : '',
    };
  }

  return { writeScript, runWrk };
}
