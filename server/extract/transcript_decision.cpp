#include "extract/transcript_decision.hpp"
#include <algorithm>
#include <set>

namespace mosaic::extract {

result<transcribe_mode> parse_transcribe_mode(std::string_view text) {
  if (text == "auto") return transcribe_mode::automatic;
  if (text == "on") return transcribe_mode::on;
  if (text == "off") return transcribe_mode::off;
  return make_error(error_code::invalid_argument, "--transcribe must be auto, on or off, not '" + std::string(text) + "'");
}

std::string transcript_text(const std::vector<transcript_segment>& segments) {
  std::string text;
  for (const transcript_segment& segment : segments) {
    if (!text.empty()) text += '\n';
    text += segment.text;
  }
  return text;
}

transcript_verdict judge_spoken_words(const std::vector<spoken_word>& words, transcribe_mode mode,
                                      const transcript_cuts& cuts) {
  transcript_verdict verdict;
  if (mode == transcribe_mode::off) return verdict;
  double confidence_sum = 0;
  for (const spoken_word& word : words) confidence_sum += static_cast<double>(word.confidence);
  verdict.heard_words = words.size();
  if (!words.empty()) verdict.mean_confidence = static_cast<float>(confidence_sum / static_cast<double>(words.size()));
  const float word_cut = mode == transcribe_mode::on ? cuts.forced_word_confidence : cuts.word_confidence;
  std::vector<transcript_segment> segments;
  std::size_t segment_word_count = 0;
  std::uint32_t previous_end = 0;
  std::set<std::string_view> distinct;
  for (const spoken_word& word : words) {
    if (word.confidence < word_cut || word.text.empty()) continue;
    const bool new_segment = segments.empty() || segment_word_count >= cuts.segment_words ||
                             word.start_milliseconds >= previous_end + cuts.segment_pause_milliseconds;
    if (new_segment) {
      segments.push_back({word.start_milliseconds, word.end_milliseconds, {}});
      segment_word_count = 0;
    }
    transcript_segment& segment = segments.back();
    if (!segment.text.empty()) segment.text += ' ';
    segment.text += word.text;
    segment.end_milliseconds = std::max(segment.end_milliseconds, word.end_milliseconds);
    previous_end = word.end_milliseconds;
    ++segment_word_count;
    ++verdict.kept_words;
    distinct.insert(word.text);
  }
  verdict.distinct_kept_words = distinct.size();
  const bool varied = static_cast<float>(verdict.distinct_kept_words) >=
                      cuts.distinct_share * static_cast<float>(verdict.kept_words);
  const bool passes = mode == transcribe_mode::on || (verdict.kept_words >= cuts.minimum_words &&
                                                      verdict.mean_confidence >= cuts.mean_confidence && varied);
  if (!passes || verdict.kept_words == 0) {
    verdict.kept_words = 0;
    return verdict;
  }
  verdict.segments = std::move(segments);
  verdict.text = transcript_text(verdict.segments);
  return verdict;
}

std::vector<transcript_segment> segments_between(const std::vector<transcript_segment>& segments,
                                                 std::uint64_t start_milliseconds, std::uint64_t end_milliseconds) {
  std::vector<transcript_segment> inside;
  for (const transcript_segment& segment : segments) {
    // A segment belongs where it starts: a sentence across a cut is found in the part it began in.
    if (segment.start_milliseconds < start_milliseconds || segment.start_milliseconds >= end_milliseconds) continue;
    transcript_segment moved = segment;
    moved.start_milliseconds = static_cast<std::uint32_t>(segment.start_milliseconds - start_milliseconds);
    moved.end_milliseconds = static_cast<std::uint32_t>(segment.end_milliseconds - start_milliseconds);
    inside.push_back(std::move(moved));
  }
  return inside;
}

}  // namespace mosaic::extract
