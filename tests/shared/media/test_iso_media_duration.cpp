// MP4/MOV length from moov/mvhd: both header versions, 64-bit and to-the-end box sizes, and hostile
// box trees (sizes past their parent, missing boxes, timescale 0, fragmented files) refused.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "media/iso_media_duration.hpp"

using namespace mosaic;
using namespace mosaic::media;

namespace {

using bytes = std::vector<std::uint8_t>;

void put_big_endian(bytes& out, std::uint64_t value, std::size_t width) {
  for (std::size_t index = 0; index < width; ++index) out.push_back(static_cast<std::uint8_t>(value >> (8 * (width - 1 - index))));
}

bytes make_box(const char* type, const bytes& body) {
  bytes box;
  put_big_endian(box, body.size() + 8, 4);
  box.insert(box.end(), type, type + 4);
  box.insert(box.end(), body.begin(), body.end());
  return box;
}

bytes movie_header(std::uint8_t version, std::uint32_t timescale, std::uint64_t duration) {
  bytes body = {version, 0, 0, 0};
  const std::size_t width = version == 1 ? 8 : 4;
  put_big_endian(body, 0, width);  // creation time
  put_big_endian(body, 0, width);  // modification time
  put_big_endian(body, timescale, 4);
  put_big_endian(body, duration, width);
  body.resize(body.size() + 80, 0);  // rate, volume, matrix, next track id: not read
  return make_box("mvhd", body);
}

bytes joined(std::initializer_list<bytes> parts) {
  bytes all;
  for (const bytes& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

const bytes file_type = make_box("ftyp", {'i', 's', 'o', 'm', 0, 0, 2, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '1'});

}  // namespace

TEST_CASE("an MP4's duration is the movie header's duration over its timescale", "[iso-media]") {
  // 150.5 s at 1000 units a second, after an mdat box, with a track box before mvhd.
  const bytes file = joined({file_type, make_box("mdat", bytes(5000, 7)),
                             make_box("moov", joined({make_box("trak", bytes(40, 1)), movie_header(0, 1000, 150500)}))});
  auto duration = iso_media_duration_milliseconds(file);
  REQUIRE(duration);
  CHECK(*duration == 150500);

  // Version 1: 64-bit fields; a 90 kHz timescale.
  auto long_form = iso_media_duration_milliseconds(joined({file_type, make_box("moov", movie_header(1, 90000, 90000ull * 61))}));
  REQUIRE(long_form);
  CHECK(*long_form == 61000);
}

TEST_CASE("64-bit and to-the-end box sizes are followed", "[iso-media]") {
  bytes large_mdat = {0, 0, 0, 1, 'm', 'd', 'a', 't'};
  put_big_endian(large_mdat, 16 + 100, 8);
  large_mdat.resize(large_mdat.size() + 100, 0);
  bytes to_the_end = {0, 0, 0, 0, 'm', 'o', 'o', 'v'};
  const bytes header = movie_header(0, 600, 600 * 30);
  to_the_end.insert(to_the_end.end(), header.begin(), header.end());
  auto duration = iso_media_duration_milliseconds(joined({file_type, large_mdat, to_the_end}));
  REQUIRE(duration);
  CHECK(*duration == 30000);
}

TEST_CASE("hostile MP4 box trees are refused with their cause", "[iso-media]") {
  const bytes good = joined({file_type, make_box("moov", movie_header(0, 1000, 5000))});
  SECTION("a box larger than the file") {
    bytes broken = joined({file_type, make_box("mdat", bytes(100, 0)), make_box("moov", movie_header(0, 1000, 5000))});
    broken[file_type.size() + 3] = 0xFF;  // mdat now claims 255 + ... bytes past the end
    broken[file_type.size() + 2] = 0xFF;
    auto refused = iso_media_duration_milliseconds(broken);
    REQUIRE_FALSE(refused);
    CHECK(refused.failure().code == error_code::invalid_media);
    CHECK(refused.failure().message.find("declares") != std::string::npos);
  }
  SECTION("a box smaller than its own header") {
    bytes broken = good;
    broken[3] = 4;
    CHECK_FALSE(iso_media_duration_milliseconds(broken));
  }
  SECTION("no movie box, or no movie header in it") {
    auto no_moov = iso_media_duration_milliseconds(joined({file_type, make_box("mdat", bytes(10, 0))}));
    REQUIRE_FALSE(no_moov);
    CHECK(no_moov.failure().message.find("moov") != std::string::npos);
    auto no_mvhd = iso_media_duration_milliseconds(joined({file_type, make_box("moov", make_box("trak", {}))}));
    REQUIRE_FALSE(no_mvhd);
    CHECK(no_mvhd.failure().message.find("mvhd") != std::string::npos);
  }
  SECTION("a timescale of 0, a short header, an unknown version") {
    CHECK_FALSE(iso_media_duration_milliseconds(joined({file_type, make_box("moov", movie_header(0, 0, 5000))})));
    CHECK_FALSE(iso_media_duration_milliseconds(joined({file_type, make_box("moov", make_box("mvhd", {0, 0, 0, 0, 1}))})));
    auto version = iso_media_duration_milliseconds(joined({file_type, make_box("moov", movie_header(2, 1000, 1))}));
    REQUIRE_FALSE(version);
    CHECK(version.failure().code == error_code::unsupported_media);
  }
  SECTION("a fragmented file whose header has no length") {
    auto fragmented = iso_media_duration_milliseconds(
        joined({file_type, make_box("moov", joined({movie_header(0, 1000, 0), make_box("mvex", {})}))}));
    REQUIRE_FALSE(fragmented);
    CHECK(fragmented.failure().code == error_code::unsupported_media);
    CHECK(fragmented.failure().message.find("fragmented") != std::string::npos);
  }
  SECTION("every truncation is answered without reading past the end") {
    for (std::size_t size = 0; size < good.size(); ++size) {
      const bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(size));
      CHECK_FALSE(iso_media_duration_milliseconds(cut));
    }
  }
}
