#pragma once
// mosaic index, what the threads preparing files are doing now, for the progress line: reading text
// out of a long recording, a PDF or a video takes seconds to minutes, during which no batch finishes,
// so the line names the step and the file ("transcribing calls/0413.wav (2:10 of 5:00)"). Files are
// prepared on several workers at once (--concurrency): each writes its own entry, and the line names
// the one that started first (the file the others' items wait for) and how many more are busy
// ("transcribing calls/0413.wav (2:10 of 5:00) and 1 more file"), short enough for a terminal line.
// The workers write it, the progress ticker reads it. Thread-safe.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace mosaic::server {

enum class preparation_step {
  none,          // between files, or a file with no slow step (a text note)
  reading_text,  // OCR of an image
  transcribing,  // decoding and hearing a recording or a video's sound
  reading_pdf,   // a PDF's text layer and first page's picture
  reading_video, // a video's length, poster frame and segments
};

class preparation_activity {
 public:
  // Entries for `workers` workers, numbered from 0 (at least one).
  explicit preparation_activity(std::size_t workers = 1);

  // Worker `worker` starts a file (or, with `none`, is between files); its position is cleared.
  void begin(std::size_t worker, preparation_step step, std::string file);
  // The step changes within the same file (a video's sound is heard after its pictures were read).
  void change(std::size_t worker, preparation_step step);
  // How far the step is in the file, in milliseconds of sound: shown as "(2:10 of 5:00)".
  void advance(std::size_t worker, std::uint64_t done_milliseconds, std::uint64_t total_milliseconds);
  void end(std::size_t worker);

  // "transcribing calls/0413.wav (2:10 of 5:00)", "reading text in shot.png and 2 more files"; empty
  // when no worker is in a slow step.
  [[nodiscard]] std::string describe() const;

 private:
  struct entry {
    preparation_step step = preparation_step::none;
    std::string file;
    std::uint64_t done_milliseconds = 0;
    std::uint64_t total_milliseconds = 0;
    std::uint64_t started = 0;  // begin()'s sequence number: the lowest started first
  };
  mutable std::mutex mutex_;
  std::vector<entry> entries_;
  std::uint64_t begun_ = 0;
};

}  // namespace mosaic::server
