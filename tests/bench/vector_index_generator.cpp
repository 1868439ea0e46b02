// Writes the data set of the browser and peers benchmarks (tests/bench/browser_benchmark.mjs,
// peers_benchmark.mjs): deterministic, clustered unit vectors written as a Mosaic site by the
// project's own site writer (int8, and float32 for comparison), the same vectors as raw files for the
// peer libraries, held-out queries, and the exact top-k of each query.
//
// Why clusters: in uniformly random 768-d vectors every point is almost equally far from every other,
// so "the 10 nearest" is noise and an approximate index cannot be judged. Here each vector is a
// cluster centre plus noise, and a query is a fresh point of a random cluster, so its true neighbours
// are mostly its cluster's members and recall@10 measures whether a method finds them.
//
// Output folder:
//   site-i8/, site-f32/   Mosaic sites (manifest.json, shards/, items/), model gemini-embedding-2, 768 of 3072
//   vectors.f32           count x dimensions float32, little-endian, unit length, row r = item id r+1
//   vectors.i8            the same rows as the int8 codes the i8 site stores (shared quantize_i8)
//   vector-scales.f32     the per-row scales of vectors.i8
//   queries.f32           query_count x dimensions float32, unit length
//   queries.i8            the queries as int8 codes (shared quantize_i8), for peers' int8 search
//   truth.u32             query_count x k row numbers of the exact top-k by float32 dot product, best first
//   dataset.json          the parameters and file names, written last (its presence means complete)
//
// With --labels L (L > 0) item r carries the label "label-<r mod L>" (L equal shares; with rows
// round-robin over the clusters, a label is a set of whole clusters), for benchmarks of a label filter
// (serve_benchmark.mjs). Without it the items have no label and the vectors and sites are the same bytes.
//
// With --layout partitioned the int8 vectors are written as site-partitioned/ (the partitioned layout:
// k-means on every core, docs/format.md) instead of site-i8/ and site-f32/, and the build's times
// (k-means, assignment, partition files, all of write_site) go into dataset.json's "partitionedBuild"
// and on stdout; --layout both writes all three sites.
//
// Usage: mosaic_bench_vectors --out DIR [--count N] [--dimensions D] [--queries Q] [--clusters C]
//                             [--seed S] [--k K] [--labels L] [--layout flat|partitioned|both]
#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "site/site_writer.hpp"
#include "vector/kernels.hpp"
#include "vector/normalize.hpp"
#include "vector/quantize.hpp"

namespace fs = std::filesystem;
using namespace mosaic;

namespace {

struct parameters {
  fs::path output;
  std::size_t count = 100000;
  std::size_t dimensions = 768;
  std::size_t queries = 200;
  std::size_t clusters = 1000;
  std::size_t k = 10;
  std::size_t labels = 0;  // 0: no labels
  bool flat_sites = true;         // site-i8/, site-f32/
  bool partitioned_site = false;  // site-partitioned/
  std::uint64_t seed = 20261122;
  // Noise norm relative to the (unit) centre: 1.0 puts a member at cosine ~0.7 from its centre and
  // ~0.5 from another member, far above the ~0 between clusters, yet ranks within a cluster vary.
  double noise = 1.0;
};

// SplitMix64 and Box-Muller written out, so the data are the same bytes with any standard library.
class random_source {
 public:
  explicit random_source(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t value = (state_ += 0x9E3779B97F4A7C15ull);
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
    value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
    return value ^ (value >> 31);
  }
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }  // (0, 1)
  double gaussian() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double radius = std::sqrt(-2.0 * std::log(uniform()));
    const double angle = 2.0 * std::numbers::pi * uniform();
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  std::uint64_t state_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

bool parse_size(std::string_view text, std::size_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value > 0;
}

bool parse_arguments(int argc, char** argv, parameters& result) {
  for (int index = 1; index < argc; ++index) {
    const std::string_view name = argv[index];
    if (index + 1 >= argc) return false;
    const std::string_view value = argv[++index];
    std::size_t number = 0;
    if (name == "--out") {
      result.output = fs::path(std::string(value));
      continue;
    }
    if (name == "--layout") {
      if (value != "flat" && value != "partitioned" && value != "both") return false;
      result.flat_sites = value != "partitioned";
      result.partitioned_site = value != "flat";
      continue;
    }
    if (!parse_size(value, number)) return false;
    if (name == "--count") result.count = number;
    else if (name == "--dimensions") result.dimensions = number;
    else if (name == "--queries") result.queries = number;
    else if (name == "--clusters") result.clusters = number;
    else if (name == "--k") result.k = number;
    else if (name == "--seed") result.seed = number;
    else if (name == "--labels") result.labels = number;
    else return false;
  }
  return !result.output.empty() && result.dimensions <= 3072 && result.k <= result.count &&
         result.clusters <= result.count;
}

// Unit centres, then each point = centre + noise * (unit Gaussian direction), normalized.
std::vector<float> make_points(random_source& random, const std::vector<float>& centres, std::size_t clusters,
                               std::size_t dimensions, std::size_t count, double noise, bool round_robin) {
  std::vector<float> points(count * dimensions);
  std::vector<double> direction(dimensions);
  for (std::size_t row = 0; row < count; ++row) {
    const std::size_t cluster = round_robin ? row % clusters : static_cast<std::size_t>(random.next() % clusters);
    double norm = 0.0;
    for (double& component : direction) {
      component = random.gaussian();
      norm += component * component;
    }
    const double factor = noise / std::sqrt(norm);
    const std::span<float> point(points.data() + row * dimensions, dimensions);
    for (std::size_t dimension = 0; dimension < dimensions; ++dimension) {
      point[dimension] = static_cast<float>(static_cast<double>(centres[cluster * dimensions + dimension]) + factor * direction[dimension]);
    }
    (void)vector::l2_normalize(point);
  }
  return points;
}

bool write_binary(const fs::path& path, const void* data, std::size_t bytes) {
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  stream.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  return static_cast<bool>(stream.flush());
}

int fail(const std::string& message) {
  std::fprintf(stderr, "mosaic_bench_vectors: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  static_assert(std::endian::native == std::endian::little, "the raw files are written little-endian");
  parameters options;
  if (!parse_arguments(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: mosaic_bench_vectors --out DIR [--count N] [--dimensions D] [--queries Q] [--clusters C] "
                 "[--seed S] [--k K] [--labels L] [--layout flat|partitioned|both]\n");
    return 2;
  }
  const std::size_t dimensions = options.dimensions;
  random_source random(options.seed);
  std::vector<float> centres(options.clusters * dimensions);
  for (std::size_t cluster = 0; cluster < options.clusters; ++cluster) {
    const std::span<float> centre(centres.data() + cluster * dimensions, dimensions);
    for (float& component : centre) component = static_cast<float>(random.gaussian());
    (void)vector::l2_normalize(centre);
  }
  // Rows go round-robin over clusters, so a shard (10,000 consecutive rows) holds every cluster and the
  // first shard alone already answers most queries, as a real collection would.
  const std::vector<float> points =
      make_points(random, centres, options.clusters, dimensions, options.count, options.noise, true);
  const std::vector<float> queries =
      make_points(random, centres, options.clusters, dimensions, options.queries, options.noise, false);

  std::error_code error;
  fs::create_directories(options.output, error);
  if (error) return fail("cannot create " + options.output.string() + ": " + error.message());
  fs::remove(options.output / "dataset.json", error);

  // Exact top-k by float32 dot product (the vectors are unit length, so this is cosine).
  const vector::kernel_table& kernels = vector::active_kernels();
  std::vector<std::uint32_t> truth(options.queries * options.k);
  std::vector<float> scores(options.count);
  for (std::size_t query = 0; query < options.queries; ++query) {
    kernels.scores_f32(queries.data() + query * dimensions, points.data(), dimensions, options.count, scores.data());
    std::vector<std::uint32_t> order(options.count);
    std::iota(order.begin(), order.end(), 0u);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(options.k), order.end(),
                      [&scores](std::uint32_t left, std::uint32_t right) {
                        return scores[left] > scores[right] || (scores[left] == scores[right] && left < right);
                      });
    std::copy_n(order.begin(), options.k, truth.begin() + static_cast<std::ptrdiff_t>(query * options.k));
  }

  // The int8 codes as the i8 site stores them, and the queries' codes, for peers that take int8 input.
  std::vector<std::int8_t> codes(points.size());
  std::vector<float> scales(options.count);
  for (std::size_t row = 0; row < options.count; ++row) {
    auto scale = vector::quantize_i8(std::span<const float>(points.data() + row * dimensions, dimensions),
                                     std::span<std::int8_t>(codes.data() + row * dimensions, dimensions));
    if (!scale) return fail("quantize: " + scale.failure().message);
    scales[row] = scale.value();
  }
  std::vector<std::int8_t> query_codes(queries.size());
  for (std::size_t query = 0; query < options.queries; ++query) {
    auto scale = vector::quantize_i8(std::span<const float>(queries.data() + query * dimensions, dimensions),
                                     std::span<std::int8_t>(query_codes.data() + query * dimensions, dimensions));
    if (!scale) return fail("quantize: " + scale.failure().message);
  }
  if (!write_binary(options.output / "vectors.f32", points.data(), points.size() * sizeof(float)) ||
      !write_binary(options.output / "vectors.i8", codes.data(), codes.size()) ||
      !write_binary(options.output / "vector-scales.f32", scales.data(), scales.size() * sizeof(float)) ||
      !write_binary(options.output / "queries.f32", queries.data(), queries.size() * sizeof(float)) ||
      !write_binary(options.output / "queries.i8", query_codes.data(), query_codes.size()) ||
      !write_binary(options.output / "truth.u32", truth.data(), truth.size() * sizeof(std::uint32_t))) {
    return fail("cannot write the raw files in " + options.output.string());
  }

  std::vector<server::indexed_item> items(options.count);
  for (std::size_t row = 0; row < options.count; ++row) {
    server::indexed_item& item = items[row];
    item.metadata.id = row + 1;
    item.metadata.title = "vector " + std::to_string(row);
    item.metadata.source = "synthetic/" + std::to_string(row);
    item.metadata.kind = index::modality::text;
    item.metadata.mime_type = "text/plain";
    if (options.labels > 0) item.metadata.label = "label-" + std::to_string(row % options.labels);
    item.vector.assign(points.begin() + static_cast<std::ptrdiff_t>(row * dimensions),
                       points.begin() + static_cast<std::ptrdiff_t>((row + 1) * dimensions));
  }
  for (const auto& [folder, quantization] :
       {std::pair{"site-i8", index::quantization::i8}, std::pair{"site-f32", index::quantization::f32}}) {
    if (!options.flat_sites) break;
    fs::remove_all(options.output / folder, error);
    server::site_layout layout;
    // A Gemini model's id and size, so `mosaic serve --provider gemini` accepts the site; the
    // benchmarks only search by vector and never call the provider.
    layout.model_id = "gemini-embedding-2";
    layout.dimensions = static_cast<std::uint32_t>(dimensions);
    layout.full_dimensions = 3072;
    layout.vector_quantization = quantization;
    layout.items_per_shard = 10000;
    auto written = server::write_site(options.output / folder, layout, items);
    if (!written) return fail(std::string("write_site ") + folder + ": " + written.failure().message);
  }

  std::string partitioned_build;  // dataset.json's "partitionedBuild" and "sitePartitioned", when written
  if (options.partitioned_site) {
    fs::remove_all(options.output / "site-partitioned", error);
    server::site_layout layout;
    layout.model_id = "gemini-embedding-2";
    layout.dimensions = static_cast<std::uint32_t>(dimensions);
    layout.full_dimensions = 3072;
    layout.vector_layout = index::index_layout::partitioned;
    server::site_write_report report;
    const auto start = std::chrono::steady_clock::now();
    auto written = server::write_site(options.output / "site-partitioned", layout, items, &report);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!written) return fail("write_site site-partitioned: " + written.failure().message);
    const server::partitioning_report& built = *report.partitioning;
    char figures[512];
    std::snprintf(figures, sizeof figures,
                  ",\n  \"sitePartitioned\": \"site-partitioned\",\n  \"partitionedBuild\": {\"partitions\": %zu, "
                  "\"kmeansIterations\": %zu, \"kmeansSeconds\": %.3f, \"assignmentSeconds\": %.3f, "
                  "\"partitionFilesSeconds\": %.3f, \"writeSiteSeconds\": %.3f, \"imbalance\": %.3f, \"threads\": %u}",
                  built.partitions, built.kmeans_iterations, built.kmeans_seconds, built.assignment_seconds,
                  built.writing_seconds, seconds, built.imbalance, std::max(1u, std::thread::hardware_concurrency()));
    partitioned_build = figures;
    std::printf("mosaic_bench_vectors: partitioned site: %zu partitions, k-means %.2f s (%zu iterations), assignment "
                "%.2f s, partition files %.2f s, write_site %.2f s in all, imbalance %.2f, %u threads\n",
                built.partitions, built.kmeans_seconds, built.kmeans_iterations, built.assignment_seconds,
                built.writing_seconds, seconds, built.imbalance, std::max(1u, std::thread::hardware_concurrency()));
  }

  char description[2048];
  std::snprintf(description, sizeof description,
                "{\n  \"count\": %zu,\n  \"dimensions\": %zu,\n  \"queries\": %zu,\n  \"clusters\": %zu,\n"
                "  \"k\": %zu,\n  \"labels\": %zu,\n  \"seed\": %llu,\n  \"noise\": %.3f,\n  \"firstItemId\": 1,\n"
                "  \"files\": {\"vectors\": \"vectors.f32\", \"codes\": \"vectors.i8\", \"scales\": \"vector-scales.f32\", "
                "\"queries\": \"queries.f32\", \"queryCodes\": \"queries.i8\", \"truth\": \"truth.u32\"%s}%s\n}\n",
                options.count, dimensions, options.queries, options.clusters, options.k, options.labels,
                static_cast<unsigned long long>(options.seed), options.noise,
                options.flat_sites ? ", \"siteI8\": \"site-i8\", \"siteF32\": \"site-f32\"" : "",
                partitioned_build.c_str());
  if (!write_binary(options.output / "dataset.json", description, std::string_view(description).size())) {
    return fail("cannot write dataset.json");
  }
  std::printf("mosaic_bench_vectors: %zu x %zu vectors, %zu queries in %s\n", options.count, dimensions,
              options.queries, options.output.string().c_str());
  return 0;
}
