#include "media_keeper.hpp"

#include <fstream>
#include <string>
#include <system_error>

#include "hash/sha256.hpp"

namespace mosaic::gemini_double {
namespace {

std::string extension_for(const std::string& mime_type) {
  if (mime_type == "application/pdf") return "pdf";
  if (mime_type == "image/png") return "png";
  if (mime_type == "image/jpeg") return "jpg";
  if (mime_type == "audio/wav" || mime_type == "audio/x-wav") return "wav";
  if (mime_type == "audio/mpeg" || mime_type == "audio/mp3") return "mp3";
  if (mime_type == "video/mp4") return "mp4";
  if (mime_type == "video/quicktime") return "mov";
  return "bin";
}

}  // namespace

status keep_media(const std::filesystem::path& directory, const std::vector<embed_content_request>& requests) {
  std::error_code failure;
  std::filesystem::create_directories(directory, failure);
  if (failure) return make_error(error_code::io_error, "cannot create " + directory.string() + ": " + failure.message());
  for (const embed_content_request& request : requests) {
    for (const content_part& part : request.parts) {
      if (part.kind != part_kind::inline_data) continue;
      const auto path = directory / (hash::sha256_hex(part.data) + "." + extension_for(part.mime_type));
      if (std::filesystem::exists(path, failure)) continue;
      // Written under a temporary name first: a test listing the folder never sees half a file.
      const auto partial = std::filesystem::path(path.string() + ".partial");
      {
        std::ofstream output(partial, std::ios::binary);
        output.write(reinterpret_cast<const char*>(part.data.data()), static_cast<std::streamsize>(part.data.size()));
        if (!output) return make_error(error_code::io_error, "cannot write " + partial.string());
      }
      std::filesystem::rename(partial, path, failure);
      if (failure) return make_error(error_code::io_error, "cannot write " + path.string() + ": " + failure.message());
    }
  }
  return success{};
}

}  // namespace mosaic::gemini_double
