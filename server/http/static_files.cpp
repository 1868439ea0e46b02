#include "http/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

#include "hash/xxhash64.hpp"
#include "index/manifest.hpp"

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;

int hex_value(char character) {
  if (character >= '0' && character <= '9') return character - '0';
  if (character >= 'a' && character <= 'f') return character - 'a' + 10;
  if (character >= 'A' && character <= 'F') return character - 'A' + 10;
  return -1;
}

struct byte_range {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

// Parses a single "bytes=first-last", "bytes=first-" or "bytes=-suffix" range. Returns false for a
// syntactically valid but unsatisfiable range; `ignored` is set for forms the server answers with the
// whole file (several ranges, other units), which RFC 9110 allows.
bool parse_range(std::string_view header, std::uint64_t size, byte_range& range, bool& ignored) {
  ignored = false;
  constexpr std::string_view prefix = "bytes=";
  if (header.substr(0, prefix.size()) != prefix || header.find(',') != std::string_view::npos) {
    ignored = true;
    return true;
  }
  const std::string_view spec = header.substr(prefix.size());
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) {
    ignored = true;
    return true;
  }
  auto parse_number = [](std::string_view text, std::uint64_t& value) {
    if (text.empty()) return false;
    const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), value);
    return failure == std::errc() && end == text.data() + text.size();
  };
  const std::string_view first_text = spec.substr(0, dash), last_text = spec.substr(dash + 1);
  std::uint64_t first = 0, last = 0;
  if (first_text.empty()) {  // suffix: the last N bytes
    // "bytes=-" or "bytes=-x" is malformed, answered with the whole file like the other malformed forms;
    // only a well-formed suffix can be unsatisfiable (length 0, or an empty file).
    if (!parse_number(last_text, last)) {
      ignored = true;
      return true;
    }
    if (last == 0 || size == 0) return false;
    range = {size - std::min(last, size), size - 1};
    return true;
  }
  if (!parse_number(first_text, first)) {
    ignored = true;
    return true;
  }
  if (last_text.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else if (!parse_number(last_text, last) || last < first) {
    ignored = true;
    return true;
  }
  if (first >= size) return false;
  range = {first, std::min(last, size - 1)};
  return true;
}

}  // namespace

result<std::string> decode_url_path(std::string_view target) {
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path.empty() || path.front() != '/') return make_error(error_code::invalid_argument, "the path must start with '/'");
  std::string decoded;
  decoded.reserve(path.size());
  for (std::size_t i = 1; i < path.size(); ++i) {
    if (path[i] == '%') {
      if (i + 2 >= path.size()) return make_error(error_code::invalid_argument, "a '%' escape is cut off");
      const int high = hex_value(path[i + 1]), low = hex_value(path[i + 2]);
      if (high < 0 || low < 0) return make_error(error_code::invalid_argument, "a '%' escape is not two hex digits");
      decoded.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      decoded.push_back(path[i]);
    }
  }
  // Checked after decoding, so %2e%2e and %2f tricks are caught too.
  if (decoded.empty() || decoded.back() == '/') decoded += "index.html";
  if (!index::is_safe_relative_path(decoded)) {
    return make_error(error_code::invalid_argument, "the path leaves the served folder or is malformed");
  }
  return decoded;
}

std::string_view mime_type_for(const fs::path& path) {
  const std::string extension = path.extension().string();
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".js" || extension == ".mjs") return "text/javascript; charset=utf-8";
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".json") return "application/json";
  if (extension == ".wasm") return "application/wasm";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".png") return "image/png";
  if (extension == ".jpg" || extension == ".jpeg") return "image/jpeg";
  if (extension == ".webp") return "image/webp";
  if (extension == ".ico") return "image/x-icon";
  if (extension == ".txt" || extension == ".md") return "text/plain; charset=utf-8";
  if (extension == ".wav") return "audio/wav";
  if (extension == ".mp3") return "audio/mpeg";
  if (extension == ".mp4") return "video/mp4";
  if (extension == ".mov") return "video/quicktime";
  if (extension == ".pdf") return "application/pdf";
  return "application/octet-stream";  // shards (.bin) and anything unknown
}

namespace {

// An open file, closed on every path out.
class open_file {
 public:
  explicit open_file(const fs::path& path) : descriptor_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~open_file() {
    if (descriptor_ >= 0) ::close(descriptor_);
  }
  open_file(const open_file&) = delete;
  open_file& operator=(const open_file&) = delete;
  [[nodiscard]] int descriptor() const noexcept { return descriptor_; }

 private:
  int descriptor_;
};

// Reads `length` bytes at `offset` with pread, whatever the kernel hands back per call; false when
// the file ends early or a read fails (it was truncated under us).
bool read_exactly(int descriptor, std::uint64_t offset, std::size_t length, std::string& out) {
  out.resize(length);
  std::size_t done = 0;
  while (done < length) {
    const ssize_t got = ::pread(descriptor, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    done += static_cast<std::size_t>(got);
  }
  return true;
}

// Strong ETags are XXH64 of the content. Hashing a shard on every request costs as much as sending
// it, so digests are remembered per (device, inode, size, modification time): any rewrite, including
// an atomic rename over the file, changes that identity. Bounded; cleared when full.
class etag_cache {
 public:
  struct identity {
    std::uint64_t device, inode, size;
    std::int64_t modified_seconds, modified_nanoseconds;
    bool operator<(const identity& other) const {
      return std::tie(device, inode, size, modified_seconds, modified_nanoseconds) <
             std::tie(other.device, other.inode, other.size, other.modified_seconds, other.modified_nanoseconds);
    }
  };
  std::optional<std::uint64_t> find(const identity& key) {
    std::lock_guard lock(mutex_);
    const auto found = digests_.find(key);
    if (found == digests_.end()) return std::nullopt;
    return found->second;
  }
  void store(const identity& key, std::uint64_t digest) {
    std::lock_guard lock(mutex_);
    if (digests_.size() >= 8192) digests_.clear();
    digests_[key] = digest;
  }

 private:
  std::mutex mutex_;
  std::map<identity, std::uint64_t> digests_;
};

etag_cache& shared_etag_cache() {
  static etag_cache cache;
  return cache;
}

// If-None-Match and Range for a response whose etag and full_size are set. True when that is the
// whole answer (304, 416); otherwise `first` and content_length say which bytes to send.
bool answered_by_conditions(const static_request& request, static_response& response, std::uint64_t& first) {
  const std::uint64_t size = response.full_size;
  if (!request.if_none_match.empty() &&
      (request.if_none_match == "*" || request.if_none_match.find(response.etag) != std::string_view::npos)) {
    response.status = 304;
    return true;
  }
  first = 0;
  std::uint64_t length = size;
  if (!request.range.empty()) {
    byte_range range;
    bool ignored = false;
    if (!parse_range(request.range, size, range, ignored)) {
      response.status = 416;
      response.content_range = "bytes */" + std::to_string(size);
      return true;
    }
    if (!ignored) {
      response.status = 206;
      response.content_range = "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" + std::to_string(size);
      first = range.first;
      length = range.last - range.first + 1;
    }
  }
  response.content_length = length;
  return false;
}

static_response not_found() {
  static_response response;
  response.status = 404;
  response.content_type = "text/plain; charset=utf-8";
  response.body = "not found\n";
  response.content_length = response.body.size();
  return response;
}

}  // namespace

static_response serve_static_file(const fs::path& root, const static_request& request) {
  static_response response;
  std::error_code failure;
  const fs::path canonical_root = fs::canonical(root, failure);
  const fs::path file = fs::canonical(root / request.relative_path, failure);
  // A symlink inside the folder must not lead outside it.
  const auto [root_end, file_position] =
      std::mismatch(canonical_root.begin(), canonical_root.end(), file.begin(), file.end());
  if (failure || root_end != canonical_root.end()) return not_found();
  const open_file opened(file);
  struct stat status {};
  if (opened.descriptor() < 0 || ::fstat(opened.descriptor(), &status) != 0 || !S_ISREG(status.st_mode)) return not_found();
  const auto size = static_cast<std::uint64_t>(status.st_size);
  response.full_size = size;
  response.content_type = std::string(mime_type_for(file));
  response.cache_control = request.policy == cache_policy::immutable ? "public, max-age=31536000, immutable" : "no-cache";

  // The whole content is read at most once: for the digest when it is not known yet, and then kept
  // for the answer.
  std::optional<std::string> content;
  const etag_cache::identity identity{static_cast<std::uint64_t>(status.st_dev), static_cast<std::uint64_t>(status.st_ino), size,
                                      static_cast<std::int64_t>(status.st_mtim.tv_sec),
                                      static_cast<std::int64_t>(status.st_mtim.tv_nsec)};
  std::optional<std::uint64_t> digest = shared_etag_cache().find(identity);
  if (!digest) {
    content.emplace();
    if (!read_exactly(opened.descriptor(), 0, static_cast<std::size_t>(size), *content)) return not_found();
    digest = hash::xxhash64({reinterpret_cast<const std::uint8_t*>(content->data()), content->size()});
    shared_etag_cache().store(identity, *digest);
  }
  char etag[19];
  std::snprintf(etag, sizeof etag, "%016llx", static_cast<unsigned long long>(*digest));
  response.etag = "\"" + std::string(etag) + "\"";

  std::uint64_t first = 0;
  if (answered_by_conditions(request, response, first)) return response;
  const std::uint64_t length = response.content_length;
  if (request.head) return response;
  if (content) {
    response.body = first == 0 && length == size ? std::move(*content)
                                                 : content->substr(static_cast<std::size_t>(first), static_cast<std::size_t>(length));
  } else if (!read_exactly(opened.descriptor(), first, static_cast<std::size_t>(length), response.body)) {
    return not_found();
  }
  return response;
}

static_response serve_static_content(std::string_view content, std::string_view content_type, std::string etag,
                                     const static_request& request) {
  static_response response;
  response.full_size = content.size();
  response.content_type = std::string(content_type);
  response.cache_control = request.policy == cache_policy::immutable ? "public, max-age=31536000, immutable" : "no-cache";
  response.etag = std::move(etag);
  std::uint64_t first = 0;
  if (answered_by_conditions(request, response, first)) return response;
  if (!request.head) response.body = std::string(content.substr(static_cast<std::size_t>(first), static_cast<std::size_t>(response.content_length)));
  return response;
}

}  // namespace mosaic::server
