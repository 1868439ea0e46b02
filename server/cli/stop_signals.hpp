#pragma once
// SIGINT and SIGTERM as a stop request that a long-running command (mosaic index --watch) can wait
// on together with its other work: the handler only writes a byte to a pipe, whose read end is
// polled beside the command's own descriptors, and the command stops at a point where its output is
// whole. A second signal ends the process at once (the default action is restored by the first), for
// a user who does not want to wait; the site stays consistent either way, since the manifest is
// always written last.
#include "core/result.hpp"

namespace mosaic::server {

class stop_signals {
 public:
  // Installs the handlers; one set a process. They stay until exit.
  static result<stop_signals> install();

  // Readable once a stop was asked for.
  [[nodiscard]] int descriptor() const noexcept { return read_descriptor_; }
  [[nodiscard]] bool requested() const noexcept;
  // The signal that asked for the stop (SIGINT or SIGTERM), 0 while none has.
  [[nodiscard]] int signal_number() const noexcept;

 private:
  explicit stop_signals(int read_descriptor) : read_descriptor_(read_descriptor) {}
  int read_descriptor_ = -1;
};

}  // namespace mosaic::server
