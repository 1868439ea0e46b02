// The partitioned search benchmark (issue 13): on N unit vectors, random and clustered, how long
// k-means takes, and what recall@10 against exact search and what query time each (nprobe,
// rerank_depth) gives, with an exact int8 scan of the same rows timed in the same run (the flat
// layout's search) for the ratio. Its figures chose the defaults in shared/partition/partitioned_search.hpp.
// Native, single-threaded (the k-means build runs its assignment serially here; the server spreads
// it over cores through the parallel_for hook).
//
//   mosaic_partition_benchmark [--rows N] [--dimensions D] [--queries Q]
//
// Progress goes to stderr; the table goes to stdout.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "index/shard_codec.hpp"
#include "partition/kmeans.hpp"
#include "partition/partition_assignment.hpp"
#include "partition/partition_codec.hpp"
#include "partition/partition_count.hpp"
#include "partition/partitioned_search.hpp"
#include "partition/quantized_rows.hpp"
#include "partition_test_data.hpp"
#include "vector/kernels.hpp"

namespace {

using namespace mosaic;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "partition benchmark: %s\n", message.c_str());
  std::exit(1);
}

template <typename Value>
Value unwrap(result<Value> outcome, const char* what) {
  if (!outcome) fail(std::string(what) + ": " + outcome.failure().message);
  return std::move(outcome).value();
}

struct built_index {
  std::vector<std::uint8_t> centroid_bytes;
  index::shard_view centroids;
  std::vector<std::vector<std::uint8_t>> partition_bytes;
  std::vector<partition::partition_view> partitions;
  double kmeans_seconds = 0.0;
  double assignment_seconds = 0.0;
  std::size_t iterations = 0;
  std::size_t moved_rows = 0;
  std::size_t largest_partition = 0;
};

built_index build(const partition::quantized_rows& rows, std::uint32_t dimensions) {
  built_index built;
  const std::size_t partition_count = partition::partition_count_for_rows(rows.row_count());
  partition::kmeans_options options;
  options.partition_count = partition_count;
  auto start = clock_type::now();
  const auto trained = unwrap(partition::train_kmeans(rows, options), "k-means");
  built.kmeans_seconds = seconds_since(start);
  built.iterations = trained.iterations;
  start = clock_type::now();
  const auto assignment = unwrap(
      partition::assign_partitions(rows, trained.centroids,
                                   partition::default_partition_cap(rows.row_count(), partition_count)),
      "assignment");
  built.assignment_seconds = seconds_since(start);
  built.moved_rows = assignment.moved_rows;
  std::vector<std::uint64_t> centroid_ids(partition_count);
  for (std::size_t p = 0; p < partition_count; ++p) centroid_ids[p] = p;
  built.centroid_bytes = unwrap(index::encode_shard_from_f32(dimensions, index::quantization::i8, trained.centroids,
                                                             centroid_ids),
                                "centroid table");
  built.centroids = unwrap(index::decode_shard(built.centroid_bytes), "centroid table");
  std::vector<std::vector<std::size_t>> members(partition_count);
  for (std::size_t row = 0; row < rows.row_count(); ++row) members[assignment.partition_of_row[row]].push_back(row);
  built.partition_bytes.resize(partition_count);
  for (std::size_t p = 0; p < partition_count; ++p) {
    built.largest_partition = std::max(built.largest_partition, members[p].size());
    std::vector<std::int8_t> codes;
    std::vector<float> scales;
    std::vector<std::uint64_t> ids;
    for (std::size_t row : members[p]) {
      const auto row_codes = rows.row(row);
      codes.insert(codes.end(), row_codes.begin(), row_codes.end());
      scales.push_back(rows.scales[row]);
      ids.push_back(row);
    }
    partition::partition_contents contents{dimensions, static_cast<std::uint32_t>(p),
                                           std::span<const float>(trained.centroids).subspan(p * dimensions, dimensions),
                                           codes, scales, ids};
    built.partition_bytes[p] = unwrap(partition::encode_partition(contents), "partition");
  }
  for (const auto& bytes : built.partition_bytes) built.partitions.push_back(unwrap(partition::decode_partition(bytes), "decode"));
  return built;
}

void run(const char* name, const std::vector<float>& all_vectors, std::size_t row_count, std::uint32_t dimensions,
         std::size_t query_count) {
  const std::span<const float> vectors(all_vectors.data(), row_count * dimensions);
  const std::span<const float> queries(all_vectors.data() + row_count * dimensions, query_count * dimensions);
  const auto rows = unwrap(partition::quantize_rows(vectors, dimensions), "quantize");
  std::fprintf(stderr, "%s: building the partitioned index...\n", name);
  const built_index built = build(rows, dimensions);
  std::printf("\n## %s: %zu x %u, %zu partitions (largest %zu rows, %zu rows moved by the cap)\n", name, row_count,
              dimensions, built.partitions.size(), built.largest_partition, built.moved_rows);
  std::printf("k-means: %.2f s (%zu iterations, sample %zu rows), assignment of all rows: %.2f s\n",
              built.kmeans_seconds, built.iterations,
              std::min(row_count, built.partitions.size() * partition::default_sample_rows_per_centroid),
              built.assignment_seconds);

  // Ground truth: exact float search. The flat int8 search (what a flat index does) is timed and its
  // recall reported too: the ceiling for re-ranking with int8 rows.
  std::vector<std::vector<std::uint32_t>> truth(query_count);
  for (std::size_t q = 0; q < query_count; ++q) {
    truth[q] = test::exact_top_k(queries.subspan(q * dimensions, dimensions), vectors, 10);
  }
  std::vector<std::int32_t> dots(row_count);
  std::size_t flat_found = 0;
  auto start = clock_type::now();
  for (std::size_t q = 0; q < query_count; ++q) {
    const auto query = unwrap(partition::quantize_query(queries.subspan(q * dimensions, dimensions)), "query");
    vector::active_kernels().scores_i8(query.codes.data(), rows.codes.data(), dimensions, row_count, dots.data());
    std::vector<std::pair<float, std::uint32_t>> scored(row_count);
    for (std::size_t row = 0; row < row_count; ++row) {
      scored[row] = {-static_cast<float>(dots[row]) * query.scale * rows.scales[row], static_cast<std::uint32_t>(row)};
    }
    std::partial_sort(scored.begin(), scored.begin() + 10, scored.end());
    for (std::size_t i = 0; i < 10; ++i) {
      flat_found += static_cast<std::size_t>(std::count(truth[q].begin(), truth[q].end(), scored[i].second));
    }
  }
  const double flat_ms = seconds_since(start) * 1000.0 / static_cast<double>(query_count);
  std::printf("exact flat int8 scan: %.3f ms/query, recall@10 %.3f\n\n", flat_ms,
              static_cast<double>(flat_found) / static_cast<double>(10 * query_count));
  // Candidates ranked by raw Hamming distance, and by the score estimated from it with each row's
  // residual statistics (partitioned_search.hpp), computed once per partition as a client does on load.
  std::vector<partition::residual_statistics> statistics;
  for (const auto& view : built.partitions) statistics.push_back(unwrap(partition::compute_residual_statistics(view), "statistics"));
  std::printf("| ranking | nprobe | rerank_depth | recall@10 | ms/query | x faster than flat | rows scanned |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  for (const bool estimated : {false, true}) {
  for (const unsigned nprobe : {4U, 8U, 16U, 32U, 64U}) {
    for (const unsigned depth : {64U, 128U, 256U, 512U, 1024U}) {
      partition::partitioned_search_options options;
      options.nprobe = nprobe;
      options.rerank_depth = depth;
      std::size_t found = 0, scanned = 0;
      start = clock_type::now();
      for (std::size_t q = 0; q < query_count; ++q) {
        const auto outcome = unwrap(partition::search_partitions(built.centroids, queries.subspan(q * dimensions, dimensions),
                                                                 built.partitions, options,
                                                                 estimated ? std::span<const partition::residual_statistics>(statistics)
                                                                           : std::span<const partition::residual_statistics>()),
                                    "search");
        scanned += outcome.rows_scanned;
        for (const auto& hit : outcome.hits) {
          found += static_cast<std::size_t>(std::count(truth[q].begin(), truth[q].end(), static_cast<std::uint32_t>(hit.item_id)));
        }
      }
      const double ms = seconds_since(start) * 1000.0 / static_cast<double>(query_count);
      std::printf("| %s | %u | %u | %.3f | %.3f | %.1f | %zu |\n", estimated ? "estimate" : "hamming", nprobe, depth,
                  static_cast<double>(found) / static_cast<double>(10 * query_count), ms, flat_ms / ms,
                  scanned / query_count);
    }
  }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t row_count = 100000, query_count = 200;
  std::uint32_t dimensions = 768;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    const auto value = std::strtoull(argv[i + 1], nullptr, 10);
    if (option == "--rows") row_count = value;
    else if (option == "--dimensions") dimensions = static_cast<std::uint32_t>(value);
    else if (option == "--queries") query_count = value;
    else fail("unknown option " + option);
  }
  std::printf("# partitioned search, %s kernels, single thread\n",
              std::string(vector::kernel_implementation_name(vector::active_kernels().implementation)).c_str());
  {
    const auto random = test::random_unit_vectors(row_count + query_count, dimensions, 1);
    run("random unit vectors", random, row_count, dimensions, query_count);
  }
  {
    // Noise of about the centre's norm per vector (uniform per component, amplitude sqrt(3 / d)):
    // clusters that overlap, as embeddings of related topics do.
    const float spread = static_cast<float>(std::sqrt(3.0 / dimensions));
    const auto clustered = test::clustered_unit_vectors(row_count + query_count, dimensions, 1000, spread, 2);
    run("clustered unit vectors (1000 clusters)", clustered.vectors, row_count, dimensions, query_count);
  }
  return 0;
}
