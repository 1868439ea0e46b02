// The progress line's account of a slow step (server/cli/preparation_activity and index_progress):
// the step and the file, how far a recording is heard, and nothing between files; with several
// workers, the one that started first and how many more are busy.
#include <catch2/catch.hpp>
#include <string>

#include "cli/index_progress.hpp"
#include "cli/preparation_activity.hpp"

using mosaic::server::preparation_activity;
using mosaic::server::preparation_step;
using mosaic::server::progress_counts;
using mosaic::server::progress_reporter;

TEST_CASE("a slow step is named with its file, and a recording with how far it is heard", "[progress]") {
  preparation_activity activity;
  CHECK(activity.describe().empty());
  activity.begin(0, preparation_step::reading_video, "clips/demo.mp4");
  CHECK(activity.describe() == "reading video clips/demo.mp4");
  activity.change(0, preparation_step::transcribing);
  CHECK(activity.describe() == "transcribing clips/demo.mp4");
  activity.advance(0, 130000, 300000);
  CHECK(activity.describe() == "transcribing clips/demo.mp4 (2:10 of 5:00)");
  activity.advance(0, 3725000, 7200000);
  CHECK(activity.describe() == "transcribing clips/demo.mp4 (1:02:05 of 2:00:00)");
  // Past the end is shown as the end.
  activity.advance(0, 9000, 5000);
  CHECK(activity.describe() == "transcribing clips/demo.mp4 (0:05 of 0:05)");
  activity.end(0);
  CHECK(activity.describe().empty());
  activity.begin(0, preparation_step::reading_pdf, "manual.pdf");
  CHECK(activity.describe() == "reading PDF manual.pdf");
  activity.begin(0, preparation_step::reading_text, "shot.png");
  CHECK(activity.describe() == "reading text in shot.png");
  activity.begin(0, preparation_step::none, "notes.txt");
  CHECK(activity.describe().empty());
}

TEST_CASE("with several workers the line names the file started first and counts the others", "[progress]") {
  preparation_activity activity(3);
  activity.begin(1, preparation_step::transcribing, "calls/0413.wav");
  activity.advance(1, 130000, 300000);
  CHECK(activity.describe() == "transcribing calls/0413.wav (2:10 of 5:00)");
  activity.begin(0, preparation_step::reading_text, "shot.png");
  CHECK(activity.describe() == "transcribing calls/0413.wav (2:10 of 5:00) and 1 more file");
  activity.begin(2, preparation_step::reading_pdf, "manual.pdf");
  CHECK(activity.describe() == "transcribing calls/0413.wav (2:10 of 5:00) and 2 more files");
  // A worker between files or on a quick file (a text note) is not busy in a slow step.
  activity.begin(2, preparation_step::none, "notes.txt");
  CHECK(activity.describe() == "transcribing calls/0413.wav (2:10 of 5:00) and 1 more file");
  // The first one done, the next oldest is named; a changed step keeps its place in line.
  activity.end(1);
  CHECK(activity.describe() == "reading text in shot.png");
  activity.begin(1, preparation_step::reading_video, "clips/demo.mp4");
  activity.change(1, preparation_step::transcribing);
  CHECK(activity.describe() == "reading text in shot.png and 1 more file");
  activity.end(0);
  CHECK(activity.describe() == "transcribing clips/demo.mp4");
  activity.end(1);
  CHECK(activity.describe().empty());
  // A worker number outside the entries is a programming error, not a silent write elsewhere.
  CHECK_THROWS(activity.begin(3, preparation_step::reading_text, "x.png"));
}

TEST_CASE("the progress line ends with the activity when there is one", "[progress]") {
  progress_counts counts{10, 40, 2, 1, {}};
  CHECK(progress_reporter::describe(counts, 2.0) == "10/40 items, 5.0 items/s, ETA 0:06, 2 cache hits, 1 skipped");
  counts.activity = "transcribing call.wav (0:20 of 1:00)";
  CHECK(progress_reporter::describe(counts, 2.0) ==
        "10/40 items, 5.0 items/s, ETA 0:06, 2 cache hits, 1 skipped, transcribing call.wav (0:20 of 1:00)");
}
