#!/usr/bin/env node
// Runs the scan benchmark natively and as wasm under Node, writes both results with a description of
// the machine to build/bench/results.json, and prints one table that compares them with the targets:
//   - a native scan reaches at least 70% of the native read bandwidth over the same bytes;
//   - a wasm scan reaches at least 40% of the native scan's speed.
// A missed target is reported, not fatal (benchmarks report, they don't fail); the exit status is
// non-zero only when a benchmark process fails or prints something that is not its JSON.
//
//   node tests/bench/run_benchmarks.mjs [native-binary] [wasm-js] [--quick] [--output results.json]
//
// Defaults are relative to the repository: build-release/bin/mosaic_scan_benchmark and
// build-wasm/bin/mosaic_scan_benchmark.js. Node 20, no npm dependencies.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const targets = { nativeFractionOfBandwidth: 0.7, wasmToNativeRatio: 0.4 };

const usage = `usage: node tests/bench/run_benchmarks.mjs [native-binary] [wasm-js] [--quick] [--output file]
  native-binary  default: build-release/bin/mosaic_scan_benchmark
  wasm-js        default: build-wasm/bin/mosaic_scan_benchmark.js (run with this Node)
  --quick        pass --quick to both (small shapes, one repetition: a smoke run)
  --output file  default: build/bench/results.json`;

function parseArguments(argumentList) {
  const options = {
    paths: [],
    quick: false,
    output: path.join(repositoryRoot, 'build', 'bench', 'results.json'),
  };
  for (let position = 0; position < argumentList.length; ++position) {
    const argument = argumentList[position];
    if (argument === '--quick') {
      options.quick = true;
    } else if (argument === '--output' && position + 1 < argumentList.length) {
      options.output = path.resolve(argumentList[++position]);
    } else if (argument === '--help' || argument === '-h') {
      console.log(usage);
      process.exit(0);
    } else if (argument.startsWith('-') || options.paths.length === 2) {
      console.error(`run_benchmarks: unexpected argument '${argument}'\n${usage}`);
      process.exit(2);
    } else {
      options.paths.push(path.resolve(argument));
    }
  }
  options.nativeBinary = options.paths[0] ?? path.join(repositoryRoot, 'build-release', 'bin', 'mosaic_scan_benchmark');
  options.wasmScript = options.paths[1] ?? path.join(repositoryRoot, 'build-wasm', 'bin', 'mosaic_scan_benchmark.js');
  return options;
}

// Runs one benchmark process. Its progress (stderr) goes straight to our stderr so a long run shows
// signs of life; its stdout must be exactly one JSON object. Returns {json} or {failure}.
function runBenchmark(label, command, commandArguments, expectedTarget) {
  const program = commandArguments.length > 0 && command === process.execPath ? commandArguments[0] : command;
  if (!fs.existsSync(program)) return { failure: `${label}: ${program} does not exist (build it first)` };
  console.error(`\n== ${label}: ${[command, ...commandArguments].join(' ')}`);
  const started = Date.now();
  const run = spawnSync(command, commandArguments, {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) return { failure: `${label}: could not run: ${run.error.message}` };
  if (run.signal) return { failure: `${label}: killed by ${run.signal}` };
  if (run.status !== 0) return { failure: `${label}: exited with status ${run.status}` };
  let json;
  try {
    json = JSON.parse(run.stdout);
  } catch (error) {
    return { failure: `${label}: output is not JSON (${error.message}): ${run.stdout.slice(0, 200)}` };
  }
  if (json.target !== expectedTarget || !Array.isArray(json.results)) {
    return { failure: `${label}: expected a '${expectedTarget}' result with a results array, got target '${json.target}'` };
  }
  console.error(`== ${label}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { json };
}

function describeMachine() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  let cpuFlags = [];
  try {
    const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name) => cpuinfo.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
    cpuModel = field('model name') ?? cpuModel;
    // The SIMD extensions that matter for the kernels, not the whole flag list.
    const flags = new Set((field('flags') ?? '').split(/\s+/));
    cpuFlags = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni'].filter((flag) => flags.has(flag));
  } catch {
    // Not Linux: os.cpus() is the best we have.
  }
  return {
    cpu_model: cpuModel,
    cpu_simd_flags: cpuFlags,
    logical_cores: os.cpus().length,
    total_memory_bytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node_version: process.version,
    v8_version: process.versions.v8,
    date: new Date().toISOString(),
  };
}

const resultKey = (entry) => `${entry.shape} ${entry.quantization}`;

// One row per shape x quantization that either run produced, with the derived comparisons.
function compare(nativeJson, wasmJson) {
  const nativeEntries = new Map((nativeJson?.results ?? []).map((entry) => [resultKey(entry), entry]));
  const wasmEntries = new Map((wasmJson?.results ?? []).map((entry) => [resultKey(entry), entry]));
  const keys = [...new Set([...nativeEntries.keys(), ...wasmEntries.keys()])];
  return keys.map((key) => {
    const native = nativeEntries.get(key);
    const wasm = wasmEntries.get(key);
    const entry = native ?? wasm;
    const ratio =
      native && wasm && native.gb_per_second > 0 ? Math.round((wasm.gb_per_second / native.gb_per_second) * 1e4) / 1e4 : null;
    return {
      shape: entry.shape,
      quantization: entry.quantization,
      vector_bytes: entry.vector_bytes,
      native_gb_per_second: native?.gb_per_second ?? null,
      native_read_bandwidth_gb_per_second: native?.read_bandwidth_gb_per_second ?? null,
      native_fraction_of_bandwidth: native?.fraction_of_bandwidth ?? null,
      native_fraction_target_met: native ? native.fraction_of_bandwidth >= targets.nativeFractionOfBandwidth : null,
      native_milliseconds_per_query: native?.milliseconds_per_query ?? null,
      native_serial_gb_per_second: native?.serial_gb_per_second ?? null,
      native_simd_speedup: native?.simd_speedup ?? null,
      wasm_gb_per_second: wasm?.gb_per_second ?? null,
      wasm_read_bandwidth_gb_per_second: wasm?.read_bandwidth_gb_per_second ?? null,
      wasm_fraction_of_bandwidth: wasm?.fraction_of_bandwidth ?? null,
      wasm_milliseconds_per_query: wasm?.milliseconds_per_query ?? null,
      wasm_serial_gb_per_second: wasm?.serial_gb_per_second ?? null,
      wasm_simd_speedup: wasm?.simd_speedup ?? null,
      wasm_to_native_ratio: ratio,
      wasm_to_native_target_met: ratio === null ? null : ratio >= targets.wasmToNativeRatio,
    };
  });
}

const number = (value, digits = 2) => (value === null || value === undefined ? '-' : value.toFixed(digits));
const verdict = (met) => (met === null ? '' : met ? ' met' : ' MISSED');
const pair = (left, right, digits) => `${number(left, digits)} / ${number(right, digits)}`;

function printTable(rows, nativeJson, wasmJson) {
  const header = [
    'shape', 'quant',
    'native GB/s', 'read GB/s', `fraction (>=${targets.nativeFractionOfBandwidth.toFixed(2)})`,
    'wasm GB/s', 'wasm read', 'wasm fraction', `wasm/native (>=${targets.wasmToNativeRatio.toFixed(2)})`,
    'ms/query n / w', 'serial GB/s n / w', 'SIMD speedup n / w',
  ];
  const body = rows.map((row) => [
    row.shape, row.quantization,
    number(row.native_gb_per_second), number(row.native_read_bandwidth_gb_per_second),
    number(row.native_fraction_of_bandwidth, 3) + verdict(row.native_fraction_target_met),
    number(row.wasm_gb_per_second), number(row.wasm_read_bandwidth_gb_per_second),
    number(row.wasm_fraction_of_bandwidth, 3),
    number(row.wasm_to_native_ratio, 3) + verdict(row.wasm_to_native_target_met),
    pair(row.native_milliseconds_per_query, row.wasm_milliseconds_per_query, 2),
    pair(row.native_serial_gb_per_second, row.wasm_serial_gb_per_second, 2),
    pair(row.native_simd_speedup, row.wasm_simd_speedup, 1),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column].length)));
  const render = (cells) => cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  const kernels = (json) => (json ? `${json.kernels.best}, read loop ${json.read_loop}` : 'not run');
  console.log(`\nscan benchmark: exact top-${nativeJson?.k ?? wasmJson?.k ?? 10}, one thread, medians, GB = 1e9 bytes of the vector block`);
  console.log(`native kernels: ${kernels(nativeJson)}; wasm kernels: ${kernels(wasmJson)}`);
  console.log(render(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const cells of body) console.log(render(cells));
  const verdicts = rows.flatMap((row) => [row.native_fraction_target_met, row.wasm_to_native_target_met]).filter((met) => met !== null);
  console.log(`targets met: ${verdicts.filter(Boolean).length} of ${verdicts.length}`);
}

function main() {
  const options = parseArguments(process.argv.slice(2));
  const extraArguments = ['--json', ...(options.quick ? ['--quick'] : [])];
  const native = runBenchmark('native', options.nativeBinary, extraArguments, 'native');
  const wasm = runBenchmark('wasm', process.execPath, [options.wasmScript, ...extraArguments], 'wasm');
  const failures = [native.failure, wasm.failure].filter(Boolean);

  const rows = compare(native.json, wasm.json);
  const document = {
    benchmark: 'scan',
    machine: describeMachine(),
    targets: {
      native_fraction_of_bandwidth: targets.nativeFractionOfBandwidth,
      wasm_to_native_ratio: targets.wasmToNativeRatio,
    },
    binaries: { native: options.nativeBinary, wasm: options.wasmScript },
    comparison: rows,
    native: native.json ?? null,
    wasm: wasm.json ?? null,
    failures,
  };
  fs.mkdirSync(path.dirname(options.output), { recursive: true });
  fs.writeFileSync(options.output, `${JSON.stringify(document, null, 2)}\n`);

  if (rows.length > 0) printTable(rows, native.json, wasm.json);
  const shownOutput = path.relative(process.cwd(), options.output);
  console.log(`results written to ${shownOutput.startsWith('..') ? options.output : shownOutput}`);
  for (const failure of failures) console.error(`run_benchmarks: ${failure}`);
  process.exit(failures.length > 0 ? 1 : 0);
}

main();
