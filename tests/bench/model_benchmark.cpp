// The local model's benchmark (native, single thread): embeds the 5,000 passages and 50 queries of
// beir-msmarco-5k, searches them with the core's exact top-k, and reports speed (texts per second),
// peak memory, and retrieval quality (nDCG@10 with graded gains, Recall@100) against the judgments.
// Given the reference's vectors (model_reference_benchmark.mjs writes them), it scores those with the
// same search and the same metric code, so the two nDCG@10 figures are comparable.
// Given rankings made elsewhere (--rankings FILE, from retrieval_benchmark.mjs), it scores them with the
// same metric code too; --rankings-only skips the model (no embedding, no speed, no model figures).
// Usage: mosaic_model_benchmark DATA_DIR [--model-dir DIR] [--reference-vectors FILE] [--rankings FILE
//        [--rankings-only]] [--json]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "embed/local_model_loader.hpp"
#include "embed/unicode_normalization.hpp"
#include "index/shard_codec.hpp"
#include "search/top_k.hpp"

namespace {

struct document {
  std::string id;
  std::string text;
};

std::vector<document> read_documents(const std::string& path) {
  std::vector<document> documents;
  std::ifstream stream(path);
  std::string line;
  while (std::getline(stream, line)) {
    if (line.empty()) continue;
    const nlohmann::json record = nlohmann::json::parse(line);
    documents.push_back({record.at("_id").get<std::string>(), record.at("text").get<std::string>()});
  }
  return documents;
}

// query id -> passage id -> grade
std::map<std::string, std::map<std::string, int>> read_judgments(const std::string& path) {
  std::map<std::string, std::map<std::string, int>> judgments;
  std::ifstream stream(path);
  std::string query, passage;
  int grade = 0;
  while (stream >> query >> passage >> grade) {
    if (query == "query-id") continue;  // header line, if any
    judgments[query][passage] = grade;
  }
  return judgments;
}

struct quality {
  double ndcg_at_10 = 0.0;
  double recall_at_100 = 0.0;
};

// nDCG@10 with linear graded gains (trec_eval's ndcg_cut_10, as BEIR reports) and Recall@100, averaged
// over the queries that have judgments. `rankings` maps a query id to its passage ids, best first;
// a judged query with no ranking scores 0.
quality score_rankings(const std::map<std::string, std::vector<std::string>>& rankings,
                       const std::map<std::string, std::map<std::string, int>>& judgments) {
  quality total;
  std::size_t judged = 0;
  for (const auto& [query, grades] : judgments) {
    std::vector<int> ideal;
    for (const auto& [passage, grade] : grades) {
      if (grade > 0) ideal.push_back(grade);
    }
    if (ideal.empty()) continue;
    std::sort(ideal.rbegin(), ideal.rend());
    double ideal_dcg = 0.0;
    for (std::size_t rank = 0; rank < std::min<std::size_t>(10, ideal.size()); ++rank) {
      ideal_dcg += ideal[rank] / std::log2(static_cast<double>(rank) + 2.0);
    }
    ++judged;
    const auto ranking = rankings.find(query);
    if (ranking == rankings.end()) continue;
    double dcg = 0.0;
    std::size_t relevant_found = 0;
    for (std::size_t rank = 0; rank < std::min<std::size_t>(ranking->second.size(), 100); ++rank) {
      const auto grade = grades.find(ranking->second[rank]);
      if (grade == grades.end() || grade->second <= 0) continue;
      if (rank < 10) dcg += grade->second / std::log2(static_cast<double>(rank) + 2.0);
      ++relevant_found;
    }
    total.ndcg_at_10 += dcg / ideal_dcg;
    total.recall_at_100 += static_cast<double>(relevant_found) / static_cast<double>(ideal.size());
  }
  total.ndcg_at_10 /= static_cast<double>(std::max<std::size_t>(judged, 1));
  total.recall_at_100 /= static_cast<double>(std::max<std::size_t>(judged, 1));
  return total;
}

// The passages' vectors searched with the core's exact top-k (float32, as the model gives them) for
// each query's vector, then scored.
quality evaluate(const std::vector<document>& passages, const std::vector<float>& passage_vectors,
                 const std::vector<document>& queries, const std::vector<float>& query_vectors, std::size_t dimensions,
                 const std::map<std::string, std::map<std::string, int>>& judgments) {
  std::vector<std::uint64_t> ids(passages.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  const auto bytes = mosaic::index::encode_shard_from_f32(static_cast<std::uint32_t>(dimensions),
                                                          mosaic::index::quantization::f32, passage_vectors, ids)
                         .value();
  const auto shard = mosaic::index::decode_shard(bytes).value();
  const std::vector<mosaic::search::searchable_shard> shards = {{shard, nullptr}};
  mosaic::search::search_options options;
  options.k = 100;
  std::map<std::string, std::vector<std::string>> rankings;
  for (std::size_t q = 0; q < queries.size(); ++q) {
    if (!judgments.contains(queries[q].id)) continue;
    auto hits = mosaic::search::top_k(std::span(query_vectors).subspan(q * dimensions, dimensions), shards, options).value();
    auto& ranking = rankings[queries[q].id];
    for (const auto& hit : hits) ranking.push_back(passages[hit.item_id].id);
  }
  return score_rankings(rankings, judgments);
}

// {"query": id, "passages": [id, ...]} lines, best first: rankings made elsewhere (the end-to-end
// benchmark's `mosaic query` runs), scored here with the same code as the model's own vectors.
std::map<std::string, std::vector<std::string>> read_rankings(const std::string& path) {
  std::map<std::string, std::vector<std::string>> rankings;
  std::ifstream stream(path);
  std::string line;
  while (std::getline(stream, line)) {
    if (line.empty()) continue;
    const nlohmann::json record = nlohmann::json::parse(line);
    rankings[record.at("query").get<std::string>()] = record.at("passages").get<std::vector<std::string>>();
  }
  return rankings;
}

// {"_id": ..., "embedding": [...]} lines, as the reference benchmark writes them.
std::map<std::string, std::vector<float>> read_reference_vectors(const std::string& path) {
  std::map<std::string, std::vector<float>> vectors;
  std::ifstream stream(path);
  std::string line;
  while (std::getline(stream, line)) {
    if (line.empty()) continue;
    const nlohmann::json record = nlohmann::json::parse(line);
    vectors[record.at("_id").get<std::string>()] = record.at("embedding").get<std::vector<float>>();
  }
  return vectors;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: mosaic_model_benchmark DATA_DIR [--model-dir DIR] [--reference-vectors FILE] "
                         "[--rankings FILE [--rankings-only]] [--json]\n");
    return 2;
  }
  const std::string data_directory = argv[1];
  std::filesystem::path model_directory = mosaic::server::default_model_directory();
  std::string reference_path, rankings_path;
  bool json_output = false, rankings_only = false;
  for (int i = 2; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--model-dir" && i + 1 < argc) model_directory = argv[++i];
    else if (argument == "--reference-vectors" && i + 1 < argc) reference_path = argv[++i];
    else if (argument == "--rankings" && i + 1 < argc) rankings_path = argv[++i];
    else if (argument == "--rankings-only") rankings_only = true;
    else if (argument == "--json") json_output = true;
  }
  const auto passages = read_documents(data_directory + "/corpus.jsonl");
  const auto queries = read_documents(data_directory + "/queries.jsonl");
  const auto judgments = read_judgments(data_directory + "/test.tsv");
  if (passages.empty() || queries.empty()) {
    std::fprintf(stderr, "model benchmark: no data in %s\n", data_directory.c_str());
    return 1;
  }

  nlohmann::json rankings_report;
  if (!rankings_path.empty()) {
    const quality scored = score_rankings(read_rankings(rankings_path), judgments);
    rankings_report = {{"rankings_ndcg_at_10", scored.ndcg_at_10}, {"rankings_recall_at_100", scored.recall_at_100}};
    if (rankings_only) {
      std::printf("%s\n", rankings_report.dump().c_str());
      return 0;
    }
  }

  const auto load_start = std::chrono::steady_clock::now();
  auto model = mosaic::server::load_local_model(model_directory);
  if (!model) {
    std::fprintf(stderr, "model benchmark: %s\n", model.failure().message.c_str());
    return 1;
  }
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  const std::size_t dimensions = model->dimensions();

  // Timed: normalization + tokenization + forward pass, one text at a time, as the indexer does.
  auto embed_all = [&](const std::vector<document>& documents, std::vector<float>& vectors, std::size_t& tokens) {
    vectors.resize(documents.size() * dimensions);
    for (std::size_t i = 0; i < documents.size(); ++i) {
      auto normalized = mosaic::server::normalize_nfkc(documents[i].text).value();
      auto embedding = model->embed(normalized).value();
      tokens += std::min(embedding.token_count, model->max_tokens());
      std::copy(embedding.vector.begin(), embedding.vector.end(), vectors.begin() + static_cast<std::ptrdiff_t>(i * dimensions));
    }
  };
  std::vector<float> passage_vectors, query_vectors;
  std::size_t passage_tokens = 0, query_tokens = 0;
  const auto embed_start = std::chrono::steady_clock::now();
  embed_all(passages, passage_vectors, passage_tokens);
  const double embed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - embed_start).count();
  embed_all(queries, query_vectors, query_tokens);
  const quality native = evaluate(passages, passage_vectors, queries, query_vectors, dimensions, judgments);

  nlohmann::json report{{"passages", passages.size()},
                        {"queries", queries.size()},
                        {"mean_tokens_per_passage", static_cast<double>(passage_tokens) / static_cast<double>(passages.size())},
                        {"model_load_seconds", load_seconds},
                        {"native_texts_per_second", static_cast<double>(passages.size()) / embed_seconds},
                        {"native_ndcg_at_10", native.ndcg_at_10},
                        {"native_recall_at_100", native.recall_at_100}};
  report.update(rankings_report);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  report["native_peak_memory_megabytes"] = static_cast<double>(usage.ru_maxrss) / 1024.0;

  if (!reference_path.empty()) {
    const auto reference = read_reference_vectors(reference_path);
    std::vector<float> reference_passages(passages.size() * dimensions), reference_queries(queries.size() * dimensions);
    bool complete = true;
    auto fill = [&](const std::vector<document>& documents, std::vector<float>& vectors) {
      for (std::size_t i = 0; i < documents.size(); ++i) {
        const auto found = reference.find(documents[i].id);
        if (found == reference.end() || found->second.size() != dimensions) {
          complete = false;
          return;
        }
        std::copy(found->second.begin(), found->second.end(), vectors.begin() + static_cast<std::ptrdiff_t>(i * dimensions));
      }
    };
    fill(passages, reference_passages);
    fill(queries, reference_queries);
    if (complete) {
      const quality reference_quality = evaluate(passages, reference_passages, queries, reference_queries, dimensions, judgments);
      report["reference_ndcg_at_10"] = reference_quality.ndcg_at_10;
      report["reference_recall_at_100"] = reference_quality.recall_at_100;
      report["ndcg_at_10_difference"] = std::fabs(native.ndcg_at_10 - reference_quality.ndcg_at_10);
    } else {
      report["reference_error"] = "reference vectors do not cover every passage and query";
    }
  }
  if (json_output) {
    std::printf("%s\n", report.dump().c_str());
  } else {
    std::printf("%s\n", report.dump(2).c_str());
  }
  return 0;
}
