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
//   site-partitioned/     with --sites …partitioned: the same items, int8, in the partitioned layout
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
// Usage: mosaic_bench_vectors --out DIR [--count N] [--dimensions D] [--queries Q] [--clusters C]
//                             [--seed S] [--k K] [--labels L] [--sites i8,f32,partitioned]
// --sites names the sites written (default i8,f32; a large partitioned site alone: --sites partitioned).
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
  bool site_i8 = true;
  bool site_f32 = true;
  bool site_partitioned = false;
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
    if (name == "--sites") {
      result.site_i8 = result.site_f32 = result.site_partitioned = false;
      std::string_view rest = value;
      while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view site = rest.substr(0, comma);
        if (site == "i8") result.site_i8 = true;
        else if (site == "f32") result.site_f32 = true;
        else if (site == "partitioned") result.site_partitioned = true;
        else return false;
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
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

// The --sites value that names what was written, in a fixed order ("i8,f32" by default).
std::string sites_list(const parameters& options) {
  std::string list;
  for (const auto& [wanted, name] : {std::pair{options.site_i8, "i8"}, std::pair{options.site_f32, "f32"},
                                     std::pair{options.site_partitioned, "partitioned"}}) {
    if (!wanted) continue;
    if (!list.empty()) list += ',';
    list += name;
  }
  return list;
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
                 "[--seed S] [--k K] [--labels L] [--sites i8,f32,partitioned]\n");
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
  // Each site's write time (for the partitioned site: k-means training, assignment and the files), in
  // dataset.json's "siteWriteSeconds", so the peers benchmark can state our index build time.
  std::string write_seconds;
  struct site_to_write {
    const char* folder;
    index::quantization quantization;
    index::index_layout layout;
    bool wanted;
  };
  for (const site_to_write& site : {site_to_write{"site-i8", index::quantization::i8, index::index_layout::flat, options.site_i8},
                                    site_to_write{"site-f32", index::quantization::f32, index::index_layout::flat, options.site_f32},
                                    site_to_write{"site-partitioned", index::quantization::i8, index::index_layout::partitioned,
                                                  options.site_partitioned}}) {
    const char* folder = site.folder;
    fs::remove_all(options.output / folder, error);
    if (!site.wanted) continue;
    const index::quantization quantization = site.quantization;
    server::site_layout layout;
    layout.vector_layout = site.layout;
    // A Gemini model's id and size, so `mosaic serve --provider gemini` accepts the site; the
    // benchmarks only search by vector and never call the provider.
    layout.model_id = "gemini-embedding-2";
    layout.dimensions = static_cast<std::uint32_t>(dimensions);
    layout.full_dimensions = 3072;
    layout.vector_quantization = quantization;
    layout.items_per_shard = 10000;
    const auto write_started = std::chrono::steady_clock::now();
    auto written = server::write_site(options.output / folder, layout, items);
    if (!written) return fail(std::string("write_site ") + folder + ": " + written.failure().message);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - write_started).count();
    char entry[96];
    std::snprintf(entry, sizeof entry, "%s\"%s\": %.3f", write_seconds.empty() ? "" : ", ", folder, seconds);
    write_seconds += entry;
    std::printf("mosaic_bench_vectors: %s written in %.2f s\n", folder, seconds);
  }

  char description[2048];
  std::snprintf(description, sizeof description,
                "{\n  \"count\": %zu,\n  \"dimensions\": %zu,\n  \"queries\": %zu,\n  \"clusters\": %zu,\n"
                "  \"k\": %zu,\n  \"labels\": %zu,\n  \"seed\": %llu,\n  \"noise\": %.3f,\n  \"firstItemId\": 1,\n"
                "  \"files\": {\"vectors\": \"vectors.f32\", \"codes\": \"vectors.i8\", \"scales\": \"vector-scales.f32\", "
                "\"queries\": \"queries.f32\", \"queryCodes\": \"queries.i8\", \"truth\": \"truth.u32\"%s%s%s},\n"
                "  \"sites\": \"%s\",\n  \"siteWriteSeconds\": {%s}\n}\n",
                options.count, dimensions, options.queries, options.clusters, options.k, options.labels,
                static_cast<unsigned long long>(options.seed), options.noise,
                options.site_i8 ? ", \"siteI8\": \"site-i8\"" : "", options.site_f32 ? ", \"siteF32\": \"site-f32\"" : "",
                options.site_partitioned ? ", \"sitePartitioned\": \"site-partitioned\"" : "", sites_list(options).c_str(),
                write_seconds.c_str());
  if (!write_binary(options.output / "dataset.json", description, std::string_view(description).size())) {
    return fail("cannot write dataset.json");
  }
  std::printf("mosaic_bench_vectors: %zu x %zu vectors, %zu queries in %s\n", options.count, dimensions,
              options.queries, options.output.string().c_str());
  return 0;
}
