#pragma once
// Small, valid MP3, MP4 and PDF files of a chosen length, built in memory for tests that need whole
// files of each kind (the route and input-preparation tests); the readers' own unit tests build the
// odd shapes they probe themselves.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace mosaic::testing {

// MPEG 1 Layer III frames at 128 kbit/s, 44.1 kHz, mono, silent payload: 417 bytes and 1152 samples
// (26.1 ms) each.
inline std::vector<std::uint8_t> mp3_of_frames(std::size_t frames) {
  constexpr std::size_t frame_length = 144 * 128000 / 44100;
  std::vector<std::uint8_t> stream(frames * frame_length, 0);
  for (std::size_t frame = 0; frame < frames; ++frame) {
    const std::size_t start = frame * frame_length;
    stream[start] = 0xFF;
    stream[start + 1] = 0xFB;  // sync, MPEG 1, Layer III, no CRC
    stream[start + 2] = 0x90;  // 128 kbit/s, 44.1 kHz, no padding
    stream[start + 3] = 0xC0;  // mono
  }
  return stream;
}

// An MP4 (ftyp + moov/mvhd) whose movie header says `seconds`; no tracks, which the length check
// does not need.
inline std::vector<std::uint8_t> mp4_of_seconds(std::uint32_t seconds) {
  const auto put = [](std::vector<std::uint8_t>& out, std::uint64_t value, std::size_t width) {
    for (std::size_t index = 0; index < width; ++index) out.push_back(static_cast<std::uint8_t>(value >> (8 * (width - 1 - index))));
  };
  const auto box = [&](const char* type, const std::vector<std::uint8_t>& body) {
    std::vector<std::uint8_t> out;
    put(out, body.size() + 8, 4);
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), body.begin(), body.end());
    return out;
  };
  std::vector<std::uint8_t> header{0, 0, 0, 0};  // version 0, no flags
  put(header, 0, 4);                             // creation time
  put(header, 0, 4);                             // modification time
  put(header, 1000, 4);                          // timescale: milliseconds
  put(header, std::uint64_t{seconds} * 1000, 4);
  header.resize(header.size() + 80, 0);  // rate, volume, matrix, next track id: not read
  std::vector<std::uint8_t> file = box("ftyp", {'i', 's', 'o', 'm', 0, 0, 2, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '1'});
  const std::vector<std::uint8_t> movie = box("moov", box("mvhd", header));
  file.insert(file.end(), movie.begin(), movie.end());
  return file;
}

// A PDF with `pages` page objects under one /Pages root.
inline std::vector<std::uint8_t> pdf_with_pages(std::size_t pages) {
  std::string pdf = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [";
  for (std::size_t page = 0; page < pages; ++page) pdf += std::to_string(3 + page) + " 0 R ";
  pdf += "] /Count " + std::to_string(pages) + " >>\nendobj\n";
  for (std::size_t page = 0; page < pages; ++page) {
    pdf += std::to_string(3 + page) + " 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n";
  }
  pdf += "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
  return {pdf.begin(), pdf.end()};
}

}  // namespace mosaic::testing
