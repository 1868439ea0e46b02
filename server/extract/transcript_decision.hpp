#pragma once
// Which of the words PocketSphinx heard are kept as a recording's transcript, and whether any are,
// grouped into segments with their times (so a result can play from the matched words). Music and
// noise make PocketSphinx "hear" words too, but with a low posterior probability each, while speech
// gives most words a high one. The cuts below were measured (README, "Text from speech").
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "extract/speech_transcriber.hpp"

namespace mosaic::extract {

// --transcribe: auto transcribes every recording and keeps the transcript only when it passes the
// cuts below; on keeps every word heard above a floor; off never runs the recognizer.
enum class transcribe_mode : std::uint8_t { off, automatic, on };
result<transcribe_mode> parse_transcribe_mode(std::string_view text);

struct transcript_cuts {
  // A word is kept when its posterior probability is at least this (0..1).
  float word_confidence = 0.3f;
  // With --transcribe on, a word is kept at this much: only the lattice's near-impossible words go.
  float forced_word_confidence = 0.05f;
  // --transcribe auto keeps a recording's transcript only when at least this many words were kept, the
  // mean posterior over all words heard is at least `mean_confidence`, and at least `distinct_share`
  // of the kept words are different words: music makes PocketSphinx hear one short word over and over
  // ("are are are are", posterior 0.9), speech rarely repeats itself.
  std::size_t minimum_words = 2;
  float mean_confidence = 0.3f;
  float distinct_share = 0.6f;
  // A segment ends at a pause of this long, or after this many words.
  std::uint32_t segment_pause_milliseconds = 700;
  std::size_t segment_words = 12;
};

struct transcript_segment {
  std::uint32_t start_milliseconds = 0;
  std::uint32_t end_milliseconds = 0;
  std::string text;  // the segment's kept words, spaces between them
};

struct transcript_verdict {
  std::vector<transcript_segment> segments;  // empty: no transcript kept
  std::string text;                          // the segments' texts, a newline between segments
  std::size_t kept_words = 0;
  std::size_t distinct_kept_words = 0;
  std::size_t heard_words = 0;
  float mean_confidence = 0;                 // over the words heard; 0 when none
};

transcript_verdict judge_spoken_words(const std::vector<spoken_word>& words, transcribe_mode mode,
                                      const transcript_cuts& cuts = {});

// The transcript's segments inside [start, end) milliseconds, with times made relative to `start`:
// the part of a recording's transcript that belongs to one of its cut items (a WAV's 80 s segment).
std::vector<transcript_segment> segments_between(const std::vector<transcript_segment>& segments,
                                                 std::uint64_t start_milliseconds, std::uint64_t end_milliseconds);
std::string transcript_text(const std::vector<transcript_segment>& segments);

}  // namespace mosaic::extract
