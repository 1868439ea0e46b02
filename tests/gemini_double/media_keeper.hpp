#pragma once
// --keep-media DIR: every inline media part the double embeds is also written to DIR as
// <sha256>.<extension>, so a test can check what really went upstream (how many PDF parts, their
// pages) with its own tools rather than trusting the client's account of it.
#include <filesystem>
#include <vector>

#include "core/result.hpp"
#include "embed_request.hpp"

namespace mosaic::gemini_double {

// Writes the inline media of `requests` into `directory` (made when missing); a file already there
// (the same bytes sent again) is left as it is. Errors: io_error with the path.
status keep_media(const std::filesystem::path& directory, const std::vector<embed_content_request>& requests);

}  // namespace mosaic::gemini_double
