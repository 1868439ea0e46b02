#pragma once
// mosaic index, what the thread preparing files is doing now, for the progress line: reading text
// out of a long recording, a PDF or a video takes seconds to minutes, during which no batch finishes,
// so the line names the step and the file ("transcribing calls/0413.wav (2:10 of 5:00)"). The
// preparer writes it, the progress ticker reads it. Thread-safe.
#include <cstdint>
#include <mutex>
#include <string>

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
  // A file starts (or, with `none`, the preparer is between files); its position is cleared.
  void begin(preparation_step step, std::string file);
  // The step changes within the same file (a video's sound is heard after its pictures were read).
  void change(preparation_step step);
  // How far the step is in the file, in milliseconds of sound: shown as "(2:10 of 5:00)".
  void advance(std::uint64_t done_milliseconds, std::uint64_t total_milliseconds);
  void end();

  // "transcribing calls/0413.wav (2:10 of 5:00)", "reading text in shot.png"; empty between files.
  [[nodiscard]] std::string describe() const;

 private:
  mutable std::mutex mutex_;
  preparation_step step_ = preparation_step::none;
  std::string file_;
  std::uint64_t done_milliseconds_ = 0;
  std::uint64_t total_milliseconds_ = 0;
};

}  // namespace mosaic::server
