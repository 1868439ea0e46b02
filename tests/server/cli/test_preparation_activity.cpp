// The progress line's account of a slow step (server/cli/preparation_activity and index_progress):
// the step and the file, how far a recording is heard, and nothing between files.
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
  activity.begin(preparation_step::reading_video, "clips/demo.mp4");
  CHECK(activity.describe() == "reading video clips/demo.mp4");
  activity.change(preparation_step::transcribing);
  CHECK(activity.describe() == "transcribing clips/demo.mp4");
  activity.advance(130000, 300000);
  CHECK(activity.describe() == "transcribing clips/demo.mp4 (2:10 of 5:00)");
  activity.advance(3725000, 7200000);
  CHECK(activity.describe() == "transcribing clips/demo.mp4 (1:02:05 of 2:00:00)");
  // Past the end is shown as the end.
  activity.advance(9000, 5000);
  CHECK(activity.describe() == "transcribing clips/demo.mp4 (0:05 of 0:05)");
  activity.end();
  CHECK(activity.describe().empty());
  activity.begin(preparation_step::reading_pdf, "manual.pdf");
  CHECK(activity.describe() == "reading PDF manual.pdf");
  activity.begin(preparation_step::reading_text, "shot.png");
  CHECK(activity.describe() == "reading text in shot.png");
  activity.begin(preparation_step::none, "notes.txt");
  CHECK(activity.describe().empty());
}

TEST_CASE("the progress line ends with the activity when there is one", "[progress]") {
  progress_counts counts{10, 40, 2, 1, {}};
  CHECK(progress_reporter::describe(counts, 2.0) == "10/40 items, 5.0 items/s, ETA 0:06, 2 cache hits, 1 skipped");
  counts.activity = "transcribing call.wav (0:20 of 1:00)";
  CHECK(progress_reporter::describe(counts, 2.0) ==
        "10/40 items, 5.0 items/s, ETA 0:06, 2 cache hits, 1 skipped, transcribing call.wav (0:20 of 1:00)");
}
