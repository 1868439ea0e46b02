#pragma once
// A gate in front of the answers to embedding calls, so a test decides when upstream calls finish
// (--hold-calls, POST /_double/hold, POST /_double/release). While the gate is closed an embedding
// call is read, counted, embedded (or given its injected fault) as usual, but its answer waits;
// releasing sends every waiting answer, oldest first, and opens the gate. A test can thereby keep a
// client's calls in flight for exactly as long as it needs (to fill a proxy's call slots, say) and
// let them go when it chooses, instead of racing the client with latencies.
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace mosaic::gemini_double {

class call_gate {
 public:
  explicit call_gate(bool closed) : closed_(closed) {}

  // Closed: keeps `resume` to be called by release() and returns true. Open: returns false, and the
  // caller answers at once. Thread-safe, like everything here.
  bool hold(std::function<void()> resume);
  // Opens the gate and calls every held `resume` (outside the lock), oldest first; returns how many.
  std::size_t release();
  // Closes the gate: answers from now on wait for the next release.
  void close();
  // Forgets the held answers without sending them: the server is stopping and their connections go
  // with it (called before the io context they live on is destroyed).
  void abandon();

  [[nodiscard]] std::size_t held() const;
  [[nodiscard]] bool closed() const;

 private:
  mutable std::mutex mutex_;
  bool closed_;
  std::vector<std::function<void()>> held_;
};

}  // namespace mosaic::gemini_double
