#!/usr/bin/env node
// Runs the libFuzzer targets of build-fuzz/ one after another and reports, per target, executions,
// executions per second, coverage (libFuzzer's cov: edges and ft: features from its last status line)
// and crashes. Each target starts from its checked-in seeds (tests/fuzz/corpus/<target>/), its
// regression inputs (tests/fuzz/regressions/<target>/, every one a crash fixed once: they run first,
// so a regression fails at once) and its dictionary (tests/fuzz/<target>.dict) when there is one.
//
//   --seconds N   run each target N seconds (make fuzz, FUZZ_SECONDS); new corpus inputs are kept in
//                 <scratch>/corpus/<target>/ between runs, so a second run goes on from the first
//   --short       the ctest run: a fresh scratch corpus, --runs random inputs after the seeds (make test)
//   --runs N      with --short, the random inputs (default 2000); with --seconds, stop a target once it
//                 has run N inputs (the issue's 10 million) even before its time is up
//   --cpu-seconds N  with --seconds, stop a target once its process has used N seconds of CPU (the
//                 issue's one CPU-hour is 3600): libFuzzer's own limit counts wall time, which on a
//                 shared machine or at nice 19 is far more than the CPU the target got. Read from
//                 /proc/<pid>/stat every second; the target is stopped by SIGINT, on which libFuzzer
//                 prints its final statistics; that stop is not a failure
// A timed run's timeout is checked by running its input alone: libFuzzer's per-input limit also counts
// wall time, and one that does not reproduce (a starved process, not a slow input) is moved to
// artifacts/<target>/not-reproduced/ and counted, and the target goes on for the rest of its budget.
//   --binaries D  where fuzz_<target> executables are (build-fuzz/bin)
//   --scratch D   where corpora, crash artifacts and logs go (build-fuzz/fuzz-scratch)
//   --jobs N      run N targets at once (default 1; each target is one process on one core)
//   --results F   also write the table as JSON
//   targets...    names without fuzz_ (default: every fuzz_* in --binaries)
// Exits 1 when any target crashed, leaked, timed out or broke an invariant.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fuzzFolder = path.dirname(fileURLToPath(import.meta.url));

function parseArguments(argv) {
  const options = { seconds: 0, short: false, runs: 2000, runsGiven: false, cpuSeconds: 0, jobs: 1, binaries: '', scratch: '', results: '', targets: [] };
  for (let index = 0; index < argv.length; ++index) {
    const argument = argv[index];
    const next = () => {
      if (index + 1 >= argv.length) throw new Error(`${argument} needs a value`);
      return argv[++index];
    };
    if (argument === '--seconds') options.seconds = Number(next());
    else if (argument === '--short') options.short = true;
    else if (argument === '--runs') {
      options.runs = Number(next());
      options.runsGiven = true;
    }
    else if (argument === '--cpu-seconds') options.cpuSeconds = Number(next());
    else if (argument === '--binaries') options.binaries = next();
    else if (argument === '--scratch') options.scratch = next();
    else if (argument === '--results') options.results = next();
    else if (argument === '--jobs') options.jobs = Math.max(1, Number(next()));
    else if (argument.startsWith('--')) throw new Error(`unknown option ${argument}`);
    else options.targets.push(argument);
  }
  if (!options.binaries || !options.scratch) throw new Error('--binaries and --scratch are required');
  if (!options.short && !(options.seconds > 0)) throw new Error('give --seconds N or --short');
  if (!(options.cpuSeconds >= 0)) throw new Error('--cpu-seconds needs a number of seconds');
  if (options.cpuSeconds > 0 && options.short) throw new Error('--cpu-seconds goes with --seconds, not --short');
  return options;
}

function listTargets(binaries) {
  return fs.readdirSync(binaries)
    .filter((name) => name.startsWith('fuzz_'))
    .map((name) => name.slice('fuzz_'.length))
    .sort();
}

function existingFolder(folder) {
  return fs.existsSync(folder) && fs.statSync(folder).isDirectory() ? folder : null;
}

// What libFuzzer printed: the last "#N ... cov: C ft: F corp: K" line and -print_final_stats's lines.
function readStatistics(output) {
  const statistics = { executions: 0, executions_per_second: 0, coverage: 0, features: 0, corpus_inputs: 0, peak_rss_mb: 0 };
  for (const match of output.matchAll(/^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/gm)) {
    statistics.executions = Number(match[1]);
    statistics.coverage = Number(match[2]);
    statistics.features = Number(match[3]);
    statistics.corpus_inputs = Number(match[4]);
  }
  const stat = (name) => {
    const match = output.match(new RegExp(`^stat::${name}:\\s+(\\d+)`, 'm'));
    return match ? Number(match[1]) : null;
  };
  statistics.executions = stat('number_of_executed_units') ?? statistics.executions;
  statistics.executions_per_second = stat('average_exec_per_sec') ?? 0;
  statistics.peak_rss_mb = stat('peak_rss_mb') ?? 0;
  return statistics;
}

// User plus system CPU seconds of a running process (fields 14 and 15 of /proc/<pid>/stat, in clock
// ticks; the name in field 2 may hold spaces, so count from its closing parenthesis). Null once it is gone.
const clockTicksPerSecond = 100;  // USER_HZ, fixed at 100 for /proc on Linux
function cpuSecondsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return null;
  }
}

// One libFuzzer run of `target` for at most `seconds` of wall time and `cpuSeconds` of CPU (0: no limit).
function runOnce(options, target, { seconds, cpuSeconds }) {
  const binary = path.join(options.binaries, `fuzz_${target}`);
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: build build-fuzz first`);
  const workingCorpus = path.join(options.scratch, options.short ? 'short-corpus' : 'corpus', target);
  if (options.short) fs.rmSync(workingCorpus, { recursive: true, force: true });
  fs.mkdirSync(workingCorpus, { recursive: true });
  const artifacts = path.join(options.scratch, 'artifacts', target);
  fs.mkdirSync(artifacts, { recursive: true });
  const logs = path.join(options.scratch, 'logs');
  fs.mkdirSync(logs, { recursive: true });

  const args = [
    '-print_final_stats=1',
    `-artifact_prefix=${artifacts}/`,
    '-timeout=25',         // seconds per input: a hang is a finding
    '-rss_limit_mb=3072',  // the image budget allows a 64-megapixel decode (about 1.5 GB) under ASan
    '-seed=' + (options.short ? '1' : '0'),
  ];
  if (options.short) args.push(`-runs=${options.runs}`, '-max_total_time=30');
  else {
    args.push(`-max_total_time=${Math.max(1, Math.round(seconds))}`);
    if (options.runsGiven) args.push(`-runs=${options.runs}`);
  }
  const dictionary = path.join(fuzzFolder, `${target}.dict`);
  if (fs.existsSync(dictionary)) args.push(`-dict=${dictionary}`);
  // The first folder receives new inputs; the checked-in ones are only read.
  args.push(workingCorpus);
  for (const folder of [path.join(fuzzFolder, 'regressions', target), path.join(fuzzFolder, 'corpus', target)]) {
    if (existingFolder(folder)) args.push(folder);
  }

  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    let cpuSpent = 0;
    let stoppedForCpu = false;
    const sampler = setInterval(() => {
      cpuSpent = cpuSecondsOf(child.pid) ?? cpuSpent;
      if (cpuSeconds > 0 && cpuSpent >= cpuSeconds && !stoppedForCpu) {
        stoppedForCpu = true;
        child.kill('SIGINT');
      }
    }, 1000);
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      fs.writeFileSync(path.join(logs, `${target}.log`), output);
      const statistics = readStatistics(output);
      // The last one: slow inputs are written too (slow-unit-…) before the one that failed.
      const artifact = [...output.matchAll(/Test unit written to (\S+)/g)].at(-1)?.[1] ?? null;
      // libFuzzer answers SIGINT with "run interrupted" and exit code 72 (-interrupted_exitcode).
      const interruptedByUs = stoppedForCpu && code === 72 && /libFuzzer: run interrupted/.test(output);
      const failed = !interruptedByUs && (code !== 0 || signal !== null);
      const failure = failed
        ? (output.match(/^==\d+==\s*ERROR: .*$/m)?.[0] ?? output.match(/fuzz invariant broken: .*$/m)?.[0] ??
           output.match(/^SUMMARY: .*$/m)?.[0] ?? `exit ${code ?? signal}`)
        : null;
      resolve({
        target,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        cpu_seconds: Math.round(cpuSpent),
        stopped_at_cpu_limit: interruptedByUs,
        ...statistics,
        crashes: failed ? 1 : 0,
        failure,
        artifact,
        log: path.join(logs, `${target}.log`),
      });
    });
  });
}

// Whether libFuzzer's timeout on `artifact` holds when the input runs alone: its limit counts wall
// time, so a target at nice 19 beside builds (or stopped for a while) can pass it on an input that
// takes a second of CPU. The input runs again with no wall-time limit; true when it uses the limit's
// 25 s of CPU or fails.
function timeoutReproduces(options, target, artifact) {
  const binary = path.join(options.binaries, `fuzz_${target}`);
  return new Promise((resolve) => {
    const child = spawn(binary, ['-timeout=0', '-rss_limit_mb=3072', artifact], { stdio: 'ignore' });
    let overLimit = false;
    const sampler = setInterval(() => {
      if ((cpuSecondsOf(child.pid) ?? 0) >= 25 && !overLimit) {
        overLimit = true;
        child.kill('SIGKILL');
      }
    }, 200);
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      resolve(overLimit || code !== 0 || signal !== null);
    });
  });
}

// A target for its whole budget. In a timed run, a timeout that does not reproduce when its input runs
// alone is not a finding: the input is moved to artifacts/<target>/not-reproduced/, counted, and the
// target goes on from its corpus for what is left of its time and CPU. Figures are summed over the runs.
async function runTarget(options, target) {
  const budget = { seconds: options.seconds, cpuSeconds: options.cpuSeconds };
  let total = null;
  let notReproduced = 0;
  for (;;) {
    const result = await runOnce(options, target, budget);
    if (total) {
      for (const field of ['seconds', 'cpu_seconds', 'executions']) result[field] += total[field];
      result.seconds = Math.round(result.seconds * 10) / 10;
      result.executions_per_second = Math.round(result.executions / Math.max(1, result.seconds));
    }
    total = result;
    const timedOut = result.crashes > 0 && result.artifact && /libFuzzer: timeout after/.test(result.failure ?? '');
    if (options.short || !timedOut || await timeoutReproduces(options, target, result.artifact)) break;
    const kept = path.join(path.dirname(result.artifact), 'not-reproduced');
    fs.mkdirSync(kept, { recursive: true });
    fs.renameSync(result.artifact, path.join(kept, path.basename(result.artifact)));
    notReproduced += 1;
    total = { ...result, crashes: 0, failure: null, artifact: null };
    budget.seconds = options.seconds - total.seconds;
    budget.cpuSeconds = options.cpuSeconds > 0 ? options.cpuSeconds - total.cpu_seconds : 0;
    if (budget.seconds < 1 || (options.cpuSeconds > 0 && budget.cpuSeconds < 1)) break;
  }
  return { ...total, timeouts_not_reproduced: notReproduced };
}

const options = parseArguments(process.argv.slice(2));
const targets = options.targets.length > 0 ? options.targets : listTargets(options.binaries);
function report(result) {
  const line = `${result.target.padEnd(24)} ${String(result.executions).padStart(10)} execs ` +
    `${String(result.executions_per_second).padStart(7)}/s  cov ${String(result.coverage).padStart(5)}  ` +
    `ft ${String(result.features).padStart(6)}  corpus ${String(result.corpus_inputs).padStart(5)}  ` +
    `${result.seconds}s (cpu ${result.cpu_seconds}s${result.stopped_at_cpu_limit ? ', cpu limit' : ''})  ` +
    `${result.timeouts_not_reproduced ? `${result.timeouts_not_reproduced} timeouts not reproduced alone  ` : ''}${result.crashes ? 'CRASH: ' + result.failure : 'ok'}`;
  console.log(line);
  if (result.crashes) {
    console.log(`  input: ${result.artifact ?? '(none written)'}\n  log: ${result.log}`);
    if (options.short) console.log(fs.readFileSync(result.log, 'utf8').split('\n').slice(-60).join('\n'));
  }
}

// A pool of --jobs workers taking targets in order; the table keeps the targets' order.
const results = new Array(targets.length);
let nextTarget = 0;
async function worker() {
  while (nextTarget < targets.length) {
    const index = nextTarget++;
    results[index] = await runTarget(options, targets[index]);
    report(results[index]);
  }
}
await Promise.all(Array.from({ length: Math.min(options.jobs, targets.length) }, worker));
if (options.results) {
  fs.mkdirSync(path.dirname(options.results), { recursive: true });
  fs.writeFileSync(options.results, JSON.stringify({
    date: new Date().toISOString(),
    mode: options.short ? 'short' : 'timed',
    seconds_per_target: options.short ? null : options.seconds,
    cpu_seconds_per_target: options.cpuSeconds || null,
    runs_per_target: options.short ? options.runs : null,
    targets: results,
  }, null, 2) + '\n');
  console.log(`results: ${options.results}`);
}
const crashed = results.filter((result) => result.crashes > 0);
if (crashed.length > 0) {
  console.log(`fuzz: ${crashed.length} of ${results.length} targets failed: ${crashed.map((result) => result.target).join(', ')}`);
  process.exit(1);
}
