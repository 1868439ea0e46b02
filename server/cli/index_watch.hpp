#pragma once
// mosaic index --watch: index once, then follow the folder (folder_watcher) and index again after
// each batch of changes, through the same pass as a single run (so the embedding cache and the site
// writer's reuse of unchanged files make a re-run cost what changed). Stops cleanly on SIGINT or
// SIGTERM between passes; a signal during a pass lets that pass finish its generation first.
#include <functional>

#include "cli/folder_watcher.hpp"

namespace mosaic::server {

// `index_once` runs one indexing pass and returns its exit code (0: a generation was written or kept).
// A failed pass is reported by the pass itself and leaves the previous generation in place; watching
// goes on. Returns the process exit code: 0 after a clean stop, 1 when watching itself failed.
int watch_and_index(folder_watch_settings settings, const std::function<int()>& index_once);

}  // namespace mosaic::server
