// The connection cap, driven by explicit times: under the cap every connection is admitted; at the cap
// the one that has waited longest on its client gives way (idle and slow ones alike), a working one
// never does, and only when every slot is working is a new connection refused.
#include <catch2/catch.hpp>

#include <vector>

#include "http/connection_slots.hpp"

using mosaic::server::connection_slots;
using std::chrono::seconds;

namespace {

const connection_slots::clock::time_point start{std::chrono::hours(1000)};
using reason = connection_slots::close_reason;

// A close function that records which connection (by the caller's label) was asked to close, and why.
struct close_log {
  std::vector<std::pair<int, reason>> calls;
  connection_slots::close_if_waiting for_label(int label) {
    return [this, label](reason why) { calls.emplace_back(label, why); };
  }
};

}  // namespace

TEST_CASE("connection slots: under the cap every connection is admitted and none is closed", "[connection_slots]") {
  connection_slots slots(3);
  close_log log;
  for (int label = 0; label < 3; ++label) {
    const auto admission = slots.admit(log.for_label(label), start + seconds(label));
    CHECK(admission.admitted);
    CHECK_FALSE(admission.evicted);
  }
  CHECK(slots.open() == 3);
  CHECK(log.calls.empty());
}

TEST_CASE("connection slots: at the cap the longest-waiting connection gives way, oldest first", "[connection_slots]") {
  connection_slots slots(3);
  close_log log;
  std::vector<std::uint64_t> ids;
  for (int label = 0; label < 3; ++label) ids.push_back(slots.admit(log.for_label(label), start + seconds(label)).connection);
  // Connection 0 becomes active again (a new request is awaited from t = 10): connection 1 has now
  // waited longest.
  slots.working(ids[0]);
  slots.waiting(ids[0], start + seconds(10));
  auto admission = slots.admit(log.for_label(3), start + seconds(11));
  REQUIRE(admission.admitted);
  REQUIRE(admission.evicted);
  admission.evicted(reason::making_room);
  admission = slots.admit(log.for_label(4), start + seconds(12));
  REQUIRE(admission.evicted);
  admission.evicted(reason::making_room);
  REQUIRE(log.calls.size() == 2);
  CHECK(log.calls[0] == std::pair{1, reason::making_room});
  CHECK(log.calls[1] == std::pair{2, reason::making_room});
  CHECK(slots.open() == 3);
  // A connection that gave way is forgotten: its own release later changes nothing.
  slots.release(ids[1]);
  CHECK(slots.open() == 3);
}

TEST_CASE("connection slots: a working connection is never closed; all working refuses the newcomer", "[connection_slots]") {
  connection_slots slots(2);
  close_log log;
  const auto first = slots.admit(log.for_label(0), start).connection;
  const auto second = slots.admit(log.for_label(1), start + seconds(1)).connection;
  slots.working(first);
  // Only the second waits: it gives way although the first is older.
  auto admission = slots.admit(log.for_label(2), start + seconds(2));
  REQUIRE(admission.evicted);
  admission.evicted(reason::making_room);
  CHECK(log.calls.back().first == 1);
  slots.working(admission.connection);
  // Both slots are answering requests: refused, nothing closed.
  const auto refused = slots.admit(log.for_label(3), start + seconds(3));
  CHECK_FALSE(refused.admitted);
  CHECK_FALSE(refused.evicted);
  CHECK(log.calls.size() == 1);
  // A slot freed by a closed connection admits the next one without closing anything.
  slots.release(first);
  const auto after = slots.admit(log.for_label(4), start + seconds(4));
  CHECK(after.admitted);
  CHECK_FALSE(after.evicted);
  CHECK(slots.open() == 2);
  static_cast<void>(second);
}

TEST_CASE("connection slots: a stop reaches every waiting connection and no working one", "[connection_slots]") {
  connection_slots slots(10);
  close_log log;
  std::vector<std::uint64_t> ids;
  for (int label = 0; label < 5; ++label) ids.push_back(slots.admit(log.for_label(label), start + seconds(label)).connection);
  slots.working(ids[1]);
  slots.working(ids[3]);
  slots.release(ids[4]);
  for (const auto& close : slots.all_waiting()) close(reason::server_stopping);
  std::vector<int> closed;
  for (const auto& [label, why] : log.calls) {
    CHECK(why == reason::server_stopping);
    closed.push_back(label);
  }
  CHECK(closed == std::vector<int>{0, 2});
}

TEST_CASE("connection slots: a capacity of 0 is taken as 1", "[connection_slots]") {
  connection_slots slots(0);
  close_log log;
  CHECK(slots.capacity() == 1);
  CHECK(slots.admit(log.for_label(0), start).admitted);
  const auto second = slots.admit(log.for_label(1), start + seconds(1));
  CHECK(second.admitted);
  CHECK(second.evicted);
}
