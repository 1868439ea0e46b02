#pragma once
// Files that editors and downloaders write beside a document while it is being saved: vim's swap
// files (.NAME.swp, .swo, .swx) and its write test "4913", backups ending in "~", Emacs's lock and
// autosave files (.#NAME, #NAME#), and partial downloads or atomic-save temporaries (.tmp,
// .part, .crdownload, .kate-swp). They are never part of a collection: the indexer skips them and
// `mosaic index --watch` does not start a new generation for them, so a save shows up once, as the
// finished file under its own name.
#include <string_view>

namespace mosaic::server {

// `file_name` is the last path component only.
[[nodiscard]] bool is_editor_temporary_file(std::string_view file_name) noexcept;

}  // namespace mosaic::server
