// The scan benchmark: how close an exact top-k search over one shard comes to the memory bandwidth
// of the machine it runs on. A scan reads every vector byte once and does a little arithmetic per
// byte, so on a fast kernel its speed is bounded by how fast one core can read memory. To make that
// bound concrete, each scan is compared with a plain read loop over the very same vector bytes, and
// with the serial reference kernels, which show what the SIMD variants buy.
//
// The same source builds natively and with emscripten (run as `node mosaic_scan_benchmark.js`),
// which is why this is a small harness of its own rather than Google Benchmark. Single-threaded.
//
//   mosaic_scan_benchmark [--json] [--quick] [--repetitions N]
//
// Progress goes to stderr; the results (a table, or one JSON object with --json) go to stdout.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if !defined(__EMSCRIPTEN__) && defined(__linux__)
#include <sys/resource.h>
#endif

#include "core/result.hpp"
#include "index/shard_codec.hpp"
#include "search/top_k.hpp"
#include "vector/kernels.hpp"
#include "vector/normalize.hpp"

namespace {

using namespace mosaic;
using clock_type = std::chrono::steady_clock;

#if defined(__EMSCRIPTEN__)
constexpr std::string_view target_name = "wasm";
#else
constexpr std::string_view target_name = "native";
#endif

constexpr std::size_t result_count = 10;  // k of every timed search
constexpr std::size_t default_minimum_repetitions = 5;
// Fast measurements are repeated until they fill this much time, so a 2 ms scan gets a median over
// many samples instead of five noisy ones; slow ones (serial kernels) stop at the minimum.
constexpr double time_budget_seconds = 0.5;
constexpr std::size_t maximum_repetitions = 200;
constexpr double bytes_per_gigabyte = 1e9;

// ---------------------------------------------------------------------------------------------------
// Keeping timed work alive

// Every timed call adds its result in here and the total is printed, so no timed call is dead code.
// (A sum rather than XOR: the warm-up and one repetition of the same work would cancel out.)
volatile std::uint64_t observed_checksum = 0;

void observe(std::uint64_t value) { observed_checksum = observed_checksum + value; }

// A compiler barrier: memory may have changed, so one repetition's result cannot be reused for the
// next even though the bytes a read loop depends on never change between repetitions.
inline void clobber_memory() { __asm__ __volatile__("" : : : "memory"); }

// ---------------------------------------------------------------------------------------------------
// The read-bandwidth reference: XOR every byte of a block into four independent accumulators (so
// the loop is bound by loads, not by a dependency chain) with the widest loads the target has.

using read_function = std::uint64_t (*)(const std::uint8_t* bytes, std::size_t size);

std::uint64_t fold_tail(std::uint64_t sum, const std::uint8_t* bytes, std::size_t first, std::size_t size) {
  for (std::size_t i = first; i < size; ++i) sum ^= bytes[i];
  return sum;
}

// The fallback for CPUs without AVX2 and targets without SIMD (unused in a wasm SIMD build).
[[maybe_unused, gnu::noinline]] std::uint64_t read_bytes_scalar(const std::uint8_t* bytes, std::size_t size) {
  std::uint64_t sums[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 32 <= size; i += 32) {
    for (std::size_t lane = 0; lane < 4; ++lane) {
      std::uint64_t word;
      std::memcpy(&word, bytes + i + lane * 8, sizeof word);
      sums[lane] ^= word;
    }
  }
  return fold_tail(sums[0] ^ sums[1] ^ sums[2] ^ sums[3], bytes, i, size);
}

#if defined(__wasm_simd128__)
[[gnu::noinline]] std::uint64_t read_bytes_wasm128(const std::uint8_t* bytes, std::size_t size) {
  v128_t sum0 = wasm_i64x2_splat(0), sum1 = sum0, sum2 = sum0, sum3 = sum0;
  std::size_t i = 0;
  for (; i + 64 <= size; i += 64) {
    sum0 = wasm_v128_xor(sum0, wasm_v128_load(bytes + i));
    sum1 = wasm_v128_xor(sum1, wasm_v128_load(bytes + i + 16));
    sum2 = wasm_v128_xor(sum2, wasm_v128_load(bytes + i + 32));
    sum3 = wasm_v128_xor(sum3, wasm_v128_load(bytes + i + 48));
  }
  const v128_t folded = wasm_v128_xor(wasm_v128_xor(sum0, sum1), wasm_v128_xor(sum2, sum3));
  const std::uint64_t sum = static_cast<std::uint64_t>(wasm_i64x2_extract_lane(folded, 0)) ^
                            static_cast<std::uint64_t>(wasm_i64x2_extract_lane(folded, 1));
  return fold_tail(sum, bytes, i, size);
}
#elif defined(__x86_64__) || defined(__i386__)
// Compiled for AVX2 at the function level only, and called only after a CPU check, so the binary
// still runs (with the scalar loop) on a CPU without AVX2.
[[gnu::noinline]] __attribute__((target("avx2"))) std::uint64_t read_bytes_avx2(const std::uint8_t* bytes,
                                                                                std::size_t size) {
  __m256i sum0 = _mm256_setzero_si256(), sum1 = sum0, sum2 = sum0, sum3 = sum0;
  std::size_t i = 0;
  for (; i + 128 <= size; i += 128) {
    sum0 = _mm256_xor_si256(sum0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes + i)));
    sum1 = _mm256_xor_si256(sum1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes + i + 32)));
    sum2 = _mm256_xor_si256(sum2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes + i + 64)));
    sum3 = _mm256_xor_si256(sum3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes + i + 96)));
  }
  const __m256i folded = _mm256_xor_si256(_mm256_xor_si256(sum0, sum1), _mm256_xor_si256(sum2, sum3));
  const __m128i halves = _mm_xor_si128(_mm256_castsi256_si128(folded), _mm256_extracti128_si256(folded, 1));
  const std::uint64_t sum = static_cast<std::uint64_t>(_mm_cvtsi128_si64(halves)) ^
                            static_cast<std::uint64_t>(_mm_extract_epi64(halves, 1));
  return fold_tail(sum, bytes, i, size);
}
#endif

struct read_loop {
  std::string_view name;
  read_function function;
};

read_loop best_read_loop() {
#if defined(__wasm_simd128__)
  return {"wasm128", &read_bytes_wasm128};
#elif defined(__x86_64__) || defined(__i386__)
  if (__builtin_cpu_supports("avx2")) return {"avx2", &read_bytes_avx2};
  return {"scalar", &read_bytes_scalar};
#else
  return {"scalar", &read_bytes_scalar};
#endif
}

// ---------------------------------------------------------------------------------------------------
// Test data

// splitmix64: a few integer operations per 64 random bits, so a billion components take a second,
// and the same seed gives the same vectors natively and in wasm.
class random_stream {
 public:
  explicit random_stream(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() noexcept {
    state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t mixed = state_;
    mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ULL;
    mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBULL;
    return mixed ^ (mixed >> 31);
  }

 private:
  std::uint64_t state_;
};

// 32 random bits as a float in [-1, 1].
float to_signed_unit(std::uint32_t bits) noexcept {
  return static_cast<float>(static_cast<std::int32_t>(bits)) * 0x1p-31f;
}

// Row-major unit vectors with components drawn uniformly from [-1, 1] before normalizing. They are not
// uniform on the sphere (that needs Gaussian samples, several times slower to draw), which does not
// matter here: a scan costs the same whatever the values are.
status fill_unit_vectors(std::span<float> values, std::size_t dimensions, std::uint64_t seed) {
  random_stream random(seed);
  std::size_t i = 0;
  for (; i + 2 <= values.size(); i += 2) {
    const std::uint64_t bits = random.next();
    values[i] = to_signed_unit(static_cast<std::uint32_t>(bits));
    values[i + 1] = to_signed_unit(static_cast<std::uint32_t>(bits >> 32));
  }
  if (i < values.size()) values[i] = to_signed_unit(static_cast<std::uint32_t>(random.next()));
  for (std::size_t first = 0; first < values.size(); first += dimensions) {
    if (auto normalized = vector::l2_normalize(values.subspan(first, dimensions)); !normalized) {
      return std::move(normalized).failure();
    }
  }
  return success{};
}

// ---------------------------------------------------------------------------------------------------
// Timing

struct measurement {
  double median_seconds = 0.0;
  double best_seconds = 0.0;
  std::size_t repetitions = 0;
};

double seconds_between(clock_type::time_point start, clock_type::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

template <typename Work>
double time_once(Work& work) {
  const clock_type::time_point start = clock_type::now();
  work();
  clobber_memory();
  return seconds_between(start, clock_type::now());
}

measurement summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const std::size_t middle = samples.size() / 2;
  const double median =
      samples.size() % 2 == 1 ? samples[middle] : 0.5 * (samples[middle - 1] + samples[middle]);
  return measurement{median, samples.front(), samples.size()};
}

// Times each of `works` the same number of times, alternating between them, so that a scan and the
// read loop it is compared with see the same conditions (this machine's two cores and its memory are
// shared with whatever else runs, and a burst of that would otherwise land on one side only).
// Warm-up first (page faults, caches, branch predictors, and under V8 the tier-up from the baseline
// compiler to the optimizing one, which takes a number of calls): whole rounds, at least one and for
// a quarter of the time budget. Then `minimum_repetitions` rounds, or more when they fit the budget.
template <typename... Works>
std::array<measurement, sizeof...(Works)> time_interleaved(std::size_t minimum_repetitions, double budget_seconds,
                                                          Works&... works) {
  const clock_type::time_point warm_up_start = clock_type::now();
  std::size_t warm_up_rounds = 0;
  double warm_up_elapsed = 0.0;
  do {
    (time_once(works), ...);
    ++warm_up_rounds;
    warm_up_elapsed = seconds_between(warm_up_start, clock_type::now());
  } while (warm_up_elapsed < 0.25 * budget_seconds && warm_up_rounds < maximum_repetitions);
  const double round_seconds = warm_up_elapsed / static_cast<double>(warm_up_rounds);

  std::size_t repetitions = minimum_repetitions;
  if (budget_seconds > 0.0 && round_seconds > 0.0) {
    const double affordable = budget_seconds / round_seconds;
    if (affordable > static_cast<double>(repetitions)) {
      repetitions = std::min(maximum_repetitions, static_cast<std::size_t>(affordable));
    }
  }
  std::array<std::vector<double>, sizeof...(Works)> samples;
  for (std::vector<double>& series : samples) series.reserve(repetitions);
  for (std::size_t repetition = 0; repetition < repetitions; ++repetition) {
    std::size_t index = 0;
    (samples[index++].push_back(time_once(works)), ...);
  }
  std::array<measurement, sizeof...(Works)> summaries;
  for (std::size_t index = 0; index < samples.size(); ++index) summaries[index] = summarize(std::move(samples[index]));
  return summaries;
}

double gigabytes_per_second(std::uint64_t bytes, double seconds) {
  return seconds > 0.0 ? static_cast<double>(bytes) / seconds / bytes_per_gigabyte : 0.0;
}

// ---------------------------------------------------------------------------------------------------
// One shape and quantization

struct shape {
  std::size_t item_count;
  std::uint32_t dimensions;
};

struct scan_result {
  shape size{};
  index::quantization kind = index::quantization::f32;
  std::uint64_t vector_bytes = 0;
  measurement scan;
  measurement read;
  measurement serial_scan;
};

struct run_options {
  bool json = false;
  bool quick = false;
  std::size_t minimum_repetitions = default_minimum_repetitions;
  double budget_seconds = time_budget_seconds;
};

result<scan_result> measure_scans(const index::shard_view& view, std::span<const float> query,
                                  const run_options& options, vector::kernel_implementation best,
                                  const read_loop& reader) {
  const search::searchable_shard shard{view, nullptr};
  const std::span<const search::searchable_shard> shards(&shard, 1);
  search::search_options search;  // unrestricted filter; quantized_query mode for int8
  search.k = result_count;

  std::optional<error> failure;
  auto scan = [&] {
    auto hits = search::top_k(query, shards, search);
    if (!hits) {
      failure = std::move(hits).failure();
      return;
    }
    observe(hits->empty() ? 0 : hits->front().item_id);
  };

  // Only the vector block counts: it is what a scan streams and what the read loop reads.
  const std::uint8_t* vector_block = view.kind == index::quantization::f32
                                         ? reinterpret_cast<const std::uint8_t*>(view.vectors_f32.data())
                                         : reinterpret_cast<const std::uint8_t*>(view.vectors_i8.data());
  const std::size_t vector_bytes =
      view.kind == index::quantization::f32 ? view.vectors_f32.size_bytes() : view.vectors_i8.size_bytes();
  auto read = [&] { observe(reader.function(vector_block, vector_bytes)); };

  scan_result measured;
  measured.size = shape{view.item_count, view.dimensions};
  measured.kind = view.kind;
  measured.vector_bytes = vector_bytes;
  const auto [scan_timing, read_timing] =
      time_interleaved(options.minimum_repetitions, options.budget_seconds, scan, read);
  measured.scan = scan_timing;
  measured.read = read_timing;

  if (auto forced = vector::use_kernels(vector::kernel_implementation::serial); !forced) {
    return std::move(forced).failure();
  }
  measured.serial_scan = time_interleaved(options.minimum_repetitions, options.budget_seconds, scan)[0];
  if (auto restored = vector::use_kernels(best); !restored) return std::move(restored).failure();

  if (failure) return std::move(*failure);
  return measured;
}

std::string describe_shape(const shape& size) {
  return std::to_string(size.item_count) + "x" + std::to_string(size.dimensions);
}

// ---------------------------------------------------------------------------------------------------
// Reporting

std::uint64_t peak_memory_bytes() {
#if defined(__EMSCRIPTEN__)
  // A wasm memory never shrinks, so its current size is the high-water mark.
  return static_cast<std::uint64_t>(__builtin_wasm_memory_size(0)) * 65536u;
#elif defined(__linux__)
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024u;  // Linux reports kilobytes
#else
  return 0;
#endif
}

// Rounds to `scale` steps per unit (1e3: three decimals). Dividing by the exact power of ten, rather
// than multiplying by 1e-3, gives the double that prints as the short decimal.
double rounded(double value, double scale) { return std::round(value * scale) / scale; }

// Scan speed over read speed; from the medians, or from the best runs (the least disturbed ones on a
// busy machine) with `best`.
double fraction_of_bandwidth(const scan_result& measured, bool best = false) {
  const double scan_seconds = best ? measured.scan.best_seconds : measured.scan.median_seconds;
  const double read_seconds = best ? measured.read.best_seconds : measured.read.median_seconds;
  return scan_seconds > 0.0 ? read_seconds / scan_seconds : 0.0;
}

nlohmann::ordered_json to_json(const scan_result& measured) {
  const double scan_rate = gigabytes_per_second(measured.vector_bytes, measured.scan.median_seconds);
  const double serial_rate = gigabytes_per_second(measured.vector_bytes, measured.serial_scan.median_seconds);
  return nlohmann::ordered_json{
      {"shape", describe_shape(measured.size)},
      {"item_count", measured.size.item_count},
      {"dimensions", measured.size.dimensions},
      {"quantization", index::quantization_name(measured.kind)},
      {"vector_bytes", measured.vector_bytes},
      {"repetitions", measured.scan.repetitions},
      {"gb_per_second", rounded(scan_rate, 1e3)},
      {"best_gb_per_second", rounded(gigabytes_per_second(measured.vector_bytes, measured.scan.best_seconds), 1e3)},
      {"milliseconds_per_query", rounded(measured.scan.median_seconds * 1e3, 1e4)},
      {"best_milliseconds_per_query", rounded(measured.scan.best_seconds * 1e3, 1e4)},
      {"read_bandwidth_gb_per_second",
       rounded(gigabytes_per_second(measured.vector_bytes, measured.read.median_seconds), 1e3)},
      {"best_read_bandwidth_gb_per_second",
       rounded(gigabytes_per_second(measured.vector_bytes, measured.read.best_seconds), 1e3)},
      {"fraction_of_bandwidth", rounded(fraction_of_bandwidth(measured), 1e4)},
      {"best_fraction_of_bandwidth", rounded(fraction_of_bandwidth(measured, true), 1e4)},
      {"serial_repetitions", measured.serial_scan.repetitions},
      {"serial_gb_per_second", rounded(serial_rate, 1e3)},
      {"serial_milliseconds_per_query", rounded(measured.serial_scan.median_seconds * 1e3, 1e4)},
      {"simd_speedup", serial_rate > 0.0 ? rounded(scan_rate / serial_rate, 1e3) : 0.0},
  };
}

void print_table(const std::vector<scan_result>& results, std::string_view best_name, std::string_view reader_name) {
  std::printf("scan benchmark (%.*s, kernels %.*s, read loop %.*s, k = %zu, GB = 1e9 bytes, medians)\n",
              static_cast<int>(target_name.size()), target_name.data(), static_cast<int>(best_name.size()),
              best_name.data(), static_cast<int>(reader_name.size()), reader_name.data(), result_count);
  std::printf("%-14s %-5s %10s %10s %10s %9s %10s %9s\n", "shape", "quant", "ms/query", "scan GB/s", "read GB/s",
              "fraction", "serial GB/s", "speedup");
  for (const scan_result& measured : results) {
    const double scan_rate = gigabytes_per_second(measured.vector_bytes, measured.scan.median_seconds);
    const double serial_rate = gigabytes_per_second(measured.vector_bytes, measured.serial_scan.median_seconds);
    const std::string size = describe_shape(measured.size);
    const std::string_view kind = index::quantization_name(measured.kind);
    std::printf("%-14s %-5.*s %10.3f %10.2f %10.2f %9.2f %11.2f %9.1f\n", size.c_str(), static_cast<int>(kind.size()),
                kind.data(), measured.scan.median_seconds * 1e3, scan_rate,
                gigabytes_per_second(measured.vector_bytes, measured.read.median_seconds),
                fraction_of_bandwidth(measured), serial_rate, serial_rate > 0.0 ? scan_rate / serial_rate : 0.0);
  }
}

// ---------------------------------------------------------------------------------------------------
// Command line

constexpr std::string_view usage =
    "usage: mosaic_scan_benchmark [--json] [--quick] [--repetitions N]\n"
    "  --json           print one JSON object to stdout instead of a table\n"
    "  --quick          small shapes and one repetition: a smoke run, not a measurement\n"
    "  --repetitions N  at least N timed repetitions per measurement (default 5)\n";

std::optional<run_options> parse_arguments(std::span<char*> arguments) {
  run_options options;
  std::optional<std::size_t> repetitions;
  for (std::size_t position = 0; position < arguments.size(); ++position) {
    const std::string_view argument = arguments[position];
    if (argument == "--json") {
      options.json = true;
    } else if (argument == "--quick") {
      options.quick = true;
    } else if (argument == "--repetitions" && position + 1 < arguments.size()) {
      const std::string_view count = arguments[++position];
      std::size_t parsed = 0;
      const auto [end, failure] = std::from_chars(count.data(), count.data() + count.size(), parsed);
      if (failure != std::errc{} || end != count.data() + count.size() || parsed == 0) return std::nullopt;
      repetitions = parsed;
    } else {
      return std::nullopt;
    }
  }
  if (options.quick) {
    options.minimum_repetitions = 1;
    options.budget_seconds = 0.0;
  }
  if (repetitions) options.minimum_repetitions = *repetitions;
  return options;
}

int report_failure(std::string_view what, const error& failure) {
  std::cerr << "mosaic_scan_benchmark: " << what << ": " << error_code_name(failure.code) << ": " << failure.message
            << '\n';
  return 1;
}

}  // namespace

int main(int argument_count, char** arguments) {
  const std::optional<run_options> options =
      parse_arguments(std::span<char*>(arguments, static_cast<std::size_t>(argument_count)).subspan(1));
  if (!options) {
    std::cerr << usage;
    return 2;
  }

  const vector::kernel_implementation best = vector::best_available_implementation();
  const std::string_view best_name = vector::kernel_implementation_name(best);
  const read_loop reader = best_read_loop();
  const std::vector<shape> shapes = options->quick ? std::vector<shape>{{2'000, 768}, {20'000, 256}}
                                                   : std::vector<shape>{{100'000, 768}, {1'000'000, 256}};
  std::cerr << "scan benchmark: " << target_name << ", kernels " << best_name << ", read loop " << reader.name
            << '\n';

  std::vector<scan_result> results;
  for (const shape& size : shapes) {
    const clock_type::time_point setup_start = clock_type::now();
    std::vector<float> vectors(size.item_count * size.dimensions);
    std::vector<float> query(size.dimensions);
    if (auto filled = fill_unit_vectors(vectors, size.dimensions, 0x5EED0000ULL + size.dimensions); !filled) {
      return report_failure("generating vectors", filled.failure());
    }
    if (auto filled = fill_unit_vectors(query, size.dimensions, 0x0C0FFEEULL); !filled) {
      return report_failure("generating the query", filled.failure());
    }
    std::vector<std::uint64_t> item_ids(size.item_count);
    std::iota(item_ids.begin(), item_ids.end(), std::uint64_t{0});
    std::cerr << "  " << describe_shape(size) << ": generated in " << seconds_between(setup_start, clock_type::now())
              << " s\n";

    // One quantization at a time, so only one encoded shard lives next to the float input: the
    // 1 GB float32 shard plus its 1 GB input are the peak.
    for (const index::quantization kind : {index::quantization::f32, index::quantization::i8}) {
      const clock_type::time_point encode_start = clock_type::now();
      auto encoded = index::encode_shard_from_f32(size.dimensions, kind, vectors, item_ids);
      if (!encoded) return report_failure("encoding a shard", encoded.failure());
      auto view = index::decode_shard(encoded.value());
      if (!view) return report_failure("decoding a shard", view.failure());
      std::cerr << "  " << describe_shape(size) << " " << index::quantization_name(kind) << ": encoded and decoded in "
                << seconds_between(encode_start, clock_type::now()) << " s\n";

      auto measured = measure_scans(view.value(), query, *options, best, reader);
      if (!measured) return report_failure("searching", measured.failure());
      const scan_result& done = measured.value();
      std::cerr << "  " << describe_shape(size) << " " << index::quantization_name(kind) << ": scan "
                << gigabytes_per_second(done.vector_bytes, done.scan.median_seconds) << " GB/s, read "
                << gigabytes_per_second(done.vector_bytes, done.read.median_seconds) << " GB/s, serial "
                << gigabytes_per_second(done.vector_bytes, done.serial_scan.median_seconds) << " GB/s\n";
      results.push_back(done);
    }
  }

  if (options->json) {
    nlohmann::ordered_json entries = nlohmann::ordered_json::array();
    for (const scan_result& measured : results) entries.push_back(to_json(measured));
    const nlohmann::ordered_json document = {
        {"benchmark", "scan"},
        {"target", target_name},
        {"kernels", {{"best", best_name}, {"serial", vector::kernel_implementation_name(vector::kernel_implementation::serial)}}},
        {"read_loop", reader.name},
        {"k", result_count},
        {"quick", options->quick},
        {"minimum_repetitions", options->minimum_repetitions},
        {"gigabyte_bytes", bytes_per_gigabyte},
        {"results", entries},
        {"peak_memory_bytes", peak_memory_bytes()},
        {"checksum", static_cast<std::uint64_t>(observed_checksum)},
    };
    std::cout << document.dump(2) << '\n';
  } else {
    print_table(results, best_name, reader.name);
    std::printf("peak memory %.2f GB, checksum %llx\n", static_cast<double>(peak_memory_bytes()) / bytes_per_gigabyte,
                static_cast<unsigned long long>(observed_checksum));
  }
  std::cout.flush();
  return 0;
}
