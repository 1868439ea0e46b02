#include "keywords/keyword_search.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "keywords/keyword_analysis.hpp"
#include "keywords/keyword_file_headers.hpp"

namespace mosaic::keywords {
namespace {

struct scored_item {
  item_reference reference = 0;
  double score = 0;
};

// Merges a term's contributions (sorted by reference) into the running sums (sorted by reference).
void merge_scores(std::vector<scored_item>& sums, const std::vector<scored_item>& term_scores,
                  std::vector<scored_item>& scratch) {
  scratch.clear();
  scratch.reserve(sums.size() + term_scores.size());
  std::size_t left = 0, right = 0;
  while (left < sums.size() || right < term_scores.size()) {
    if (right == term_scores.size() || (left < sums.size() && sums[left].reference < term_scores[right].reference)) {
      scratch.push_back(sums[left++]);
    } else if (left == sums.size() || term_scores[right].reference < sums[left].reference) {
      scratch.push_back(term_scores[right++]);
    } else {
      scratch.push_back({sums[left].reference, sums[left].score + term_scores[right].score});
      ++left;
      ++right;
    }
  }
  sums.swap(scratch);
}

// The posting of `reference` in `postings`, or nullopt.
std::optional<std::size_t> find_posting(const term_postings& postings, item_reference reference) {
  const auto found = std::lower_bound(postings.references.begin(), postings.references.end(), reference);
  if (found == postings.references.end() || *found != reference) return std::nullopt;
  return static_cast<std::size_t>(found - postings.references.begin());
}

// One term of the query, with its postings once fetched.
struct query_term {
  const term_file* file = nullptr;
  std::optional<std::size_t> index_in_file;
  term_postings postings;
  std::optional<term_positions> positions;  // decoded when a phrase first needs them

  const term_positions& positions_of() {
    if (!positions) positions = file->positions(*index_in_file, postings);
    return *positions;
  }
};

// Whether the terms at `phrase` (indexes into `terms`) occur at consecutive positions in one field of
// the item whose posting in each term is `posting_of[i]`.
bool phrase_occurs(std::vector<query_term>& terms, const std::vector<std::size_t>& phrase,
                   const std::vector<std::size_t>& posting_of, std::size_t field_count) {
  for (std::size_t field = 0; field < field_count; ++field) {
    bool in_every_term = true;
    for (std::size_t at = 0; at < phrase.size() && in_every_term; ++at) {
      in_every_term = terms[phrase[at]].postings.term_frequency(posting_of[at], field) > 0;
    }
    if (!in_every_term) continue;
    const auto starts = terms[phrase[0]].positions_of().of(posting_of[0], field);
    for (std::uint32_t start : starts) {
      bool consecutive = true;
      for (std::size_t at = 1; at < phrase.size() && consecutive; ++at) {
        const auto positions = terms[phrase[at]].positions_of().of(posting_of[at], field);
        consecutive = std::binary_search(positions.begin(), positions.end(), std::uint64_t{start} + at);
      }
      if (consecutive) return true;
    }
  }
  return false;
}

// Whether every phrase occurs in the item `reference` (phrases are indexes into `terms`).
bool phrases_occur(std::vector<query_term>& terms, const std::vector<std::vector<std::size_t>>& phrases,
                   item_reference reference, std::size_t field_count, std::vector<std::size_t>& posting_of) {
  for (const std::vector<std::size_t>& phrase : phrases) {
    posting_of.resize(phrase.size());
    for (std::size_t at = 0; at < phrase.size(); ++at) {
      const auto posting = find_posting(terms[phrase[at]].postings, reference);
      if (!posting) return false;
      posting_of[at] = *posting;
    }
    if (!phrase_occurs(terms, phrase, posting_of, field_count)) return false;
  }
  return true;
}

}  // namespace

result<std::vector<keyword_hit>> search_keywords(const keyword_query& query, const keyword_directory& directory,
                                                 std::span<const term_file* const> files, std::size_t k,
                                                 const std::function<bool(item_reference)>& accept,
                                                 const bm25_parameters& parameters) {
  if (!is_known_analysis(directory.analysis)) {
    return make_error(error_code::unsupported_version,
                      "the keyword index was made with text analysis " + std::to_string(directory.analysis) +
                          ", which this version of Mosaic does not know; update Mosaic to search it by keyword");
  }
  if (!std::isfinite(parameters.k1) || parameters.k1 < 0 || !std::isfinite(parameters.b) || parameters.b < 0 ||
      parameters.b > 1) {
    return make_error(error_code::invalid_argument, "BM25 needs a finite k1 >= 0 and b between 0 and 1");
  }
  for (float weight : parameters.field_weights) {
    if (!std::isfinite(weight) || weight < 0) {
      return make_error(error_code::invalid_argument, "BM25F field weights must be finite and >= 0");
    }
  }

  const std::vector<std::string> term_texts = terms_to_fetch(query);
  std::vector<query_term> terms(term_texts.size());
  for (std::size_t index = 0; index < term_texts.size(); ++index) {
    const std::string& text = term_texts[index];
    const auto file_index = directory.term_file_for(text);
    if (!file_index) continue;
    const std::string& wanted_hash = directory.term_files[*file_index].hash;
    const auto loaded = std::find_if(files.begin(), files.end(), [&](const term_file* file) {
      // The field count check keeps a file decoded against another directory from being read with
      // this one's fields (its postings have that directory's shape).
      return file != nullptr && file->file_index() == *file_index && file->hash() == wanted_hash &&
             file->field_count() == directory.fields.size();
    });
    if (loaded == files.end()) {
      return make_error(error_code::invalid_argument, "the term '" + text + "' lies in term file " +
                                                          std::to_string(*file_index) + " (terms/" + wanted_hash +
                                                          ".bin), which was not given");
    }
    terms[index].file = *loaded;
    terms[index].index_in_file = (*loaded)->find_term(text);
    if (terms[index].index_in_file) terms[index].postings = (*loaded)->postings(*terms[index].index_in_file);
  }

  // BM25F (docs/format.md): tf' = Σ_f w_f · tf_f / (1 − b + b · len_f / avglen_f),
  // score = Σ_t idf_t · tf' (k1 + 1) / (tf' + k1), idf = ln(1 + (N − df + 0.5) / (df + 0.5)).
  const std::size_t field_count = directory.fields.size();
  const auto k1 = static_cast<double>(parameters.k1), b = static_cast<double>(parameters.b);
  const auto item_count = static_cast<double>(directory.item_count);
  // Per field: its weight and b / avglen, so a posting's length normalization is one multiply-add.
  std::vector<double> weights(field_count, 1.0), length_factors(field_count, 0.0);
  for (std::size_t field = 0; field < field_count; ++field) {
    if (field < parameters.field_weights.size()) weights[field] = static_cast<double>(parameters.field_weights[field]);
    const auto average = static_cast<double>(directory.fields[field].average_length);
    length_factors[field] = average > 0 ? b / average : 0.0;  // no average (a hostile directory): no normalization
  }
  const double fixed_part = 1.0 - b;
  std::vector<scored_item> sums, term_scores, scratch;
  for (const query_term& term : terms) {
    if (term.postings.size() == 0) continue;
    const auto frequency = static_cast<double>(term.postings.size());
    // A directory that counts fewer items than a term's postings is inconsistent; idf stays >= 0.
    const double idf = std::log(1.0 + std::max(0.0, item_count - frequency + 0.5) / (frequency + 0.5));
    term_scores.resize(term.postings.size());
    for (std::size_t posting = 0; posting < term.postings.size(); ++posting) {
      double weighted_frequency = 0;
      for (std::size_t field = 0; field < field_count; ++field) {
        const std::uint32_t field_frequency = term.postings.term_frequency(posting, field);
        if (field_frequency == 0) continue;
        const double normalization =
            length_factors[field] > 0 ? fixed_part + length_factors[field] * term.postings.field_length(posting, field) : 1.0;
        weighted_frequency += weights[field] * field_frequency / normalization;
      }
      const double saturated = weighted_frequency > 0 ? weighted_frequency * (k1 + 1) / (weighted_frequency + k1) : 0;
      term_scores[posting] = {term.postings.references[posting], idf * saturated};
    }
    if (sums.empty()) {
      sums.swap(term_scores);
    } else {
      merge_scores(sums, term_scores, scratch);
    }
  }

  std::vector<std::vector<std::size_t>> phrases;
  for (const auto& phrase : query.phrases) {
    if (phrase.empty()) continue;
    std::vector<std::size_t> phrase_terms;
    for (const std::string& text : phrase) {
      phrase_terms.push_back(
          static_cast<std::size_t>(std::find(term_texts.begin(), term_texts.end(), text) - term_texts.begin()));
    }
    phrases.push_back(std::move(phrase_terms));
  }

  if (accept) {
    sums.erase(std::remove_if(sums.begin(), sums.end(), [&](const scored_item& item) { return !accept(item.reference); }),
               sums.end());
  }
  const auto better = [](const scored_item& left, const scored_item& right) {
    if (left.score != right.score) return left.score > right.score;
    return left.reference < right.reference;
  };
  std::vector<scored_item> best;
  if (phrases.empty()) {
    const std::size_t kept = std::min(k, sums.size());
    std::partial_sort(sums.begin(), sums.begin() + static_cast<std::ptrdiff_t>(kept), sums.end(), better);
    best.assign(sums.begin(), sums.begin() + static_cast<std::ptrdiff_t>(kept));
  } else {
    // Phrases are checked best-first until k items pass: a phrase of common words is checked on a few
    // items rather than on every item holding its words (positions are decoded only when first needed).
    const auto worse = [&](const scored_item& left, const scored_item& right) { return better(right, left); };
    std::make_heap(sums.begin(), sums.end(), worse);
    std::vector<std::size_t> posting_of;
    for (auto end = sums.end(); end != sums.begin() && best.size() < k; --end) {
      std::pop_heap(sums.begin(), end, worse);
      const scored_item& candidate = *(end - 1);
      if (phrases_occur(terms, phrases, candidate.reference, field_count, posting_of)) best.push_back(candidate);
    }
  }

  std::vector<keyword_hit> hits;
  hits.reserve(best.size());
  for (const scored_item& item : best) {
    keyword_hit hit;
    hit.reference = item.reference;
    hit.score = static_cast<float>(item.score);
    for (std::size_t index = 0; index < terms.size(); ++index) {
      if (find_posting(terms[index].postings, hit.reference)) hit.matched_terms.push_back(term_texts[index]);
    }
    hits.push_back(std::move(hit));
  }
  return hits;
}

}  // namespace mosaic::keywords
