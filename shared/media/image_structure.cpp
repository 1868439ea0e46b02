#include "media/image_structure.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/byte_reader.hpp"
#include "media/pnm_header.hpp"

namespace mosaic::media {
namespace {

constexpr std::array<std::uint32_t, 256> make_crc32_table() noexcept {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t index = 0; index < 256; ++index) {
    std::uint32_t value = index;
    for (int bit = 0; bit < 8; ++bit) value = (value & 1u) ? 0xEDB88320u ^ (value >> 1) : value >> 1;
    table[index] = value;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> crc32_table = make_crc32_table();

error invalid(std::string message) { return make_error(error_code::invalid_media, std::move(message)); }

std::string chunk_name(byte_span bytes, std::size_t offset) {
  std::string name;
  for (std::size_t index = 0; index < 4; ++index) {
    const std::uint8_t letter = bytes[offset + index];
    name.push_back((letter >= 0x20 && letter < 0x7F) ? static_cast<char>(letter) : '?');
  }
  return name;
}

// One bit per Huffman table a file can define: class 0 (DC) or 1 (AC), destination 0-3.
constexpr unsigned huffman_table_bit(unsigned table_class, unsigned destination) noexcept {
  return 1U << (table_class * 4 + destination);
}

// A DHT segment's body (after its length): one or more tables, each a class/destination byte, 16
// code counts and that many symbols. A baseline Huffman table has at most 256 symbols; stb (1.x as
// Debian ships it) builds its size list into a 257-byte array without checking the sum, so a table
// claiming more writes past that array: this check is what keeps such a file away from stb.
// Each table read sets its bit in `defined` (huffman_table_bit).
std::optional<std::string> huffman_tables_problem(byte_span body, std::size_t segment_offset, unsigned& defined) {
  std::size_t offset = 0;
  while (offset < body.size()) {
    const std::uint8_t table = body[offset];
    if ((table >> 4U) > 1 || (table & 0x0FU) > 3) {
      return "corrupt JPEG: Huffman table at byte " + std::to_string(segment_offset + offset) + " has class/destination " +
             std::to_string(table);
    }
    if (body.size() - offset < 17) return "corrupt JPEG: Huffman table at byte " + std::to_string(segment_offset + offset) + " is cut short";
    std::size_t symbols = 0;
    for (std::size_t length = 1; length <= 16; ++length) symbols += body[offset + length];
    if (symbols > 256) {
      return "corrupt JPEG: Huffman table at byte " + std::to_string(segment_offset + offset) + " declares " +
             std::to_string(symbols) + " codes (at most 256)";
    }
    offset += 17;
    if (body.size() - offset < symbols) {
      return "corrupt JPEG: Huffman table at byte " + std::to_string(segment_offset + offset - 17) +
             " has fewer symbols than its counts declare";
    }
    offset += symbols;
    defined |= huffman_table_bit(table >> 4U, table & 0x0FU);
  }
  return std::nullopt;
}

// An SOS segment's body: the components of the scan with the Huffman tables each uses, then the
// spectral selection and successive approximation. ITU T.81 requires every table a scan decodes with
// to be defined (DHT) before the scan. stb does not check it: it allocates its decoder state without
// clearing it, so a scan naming a table the file never defined decodes with whatever bytes that
// memory held, and indexes its symbol array with them (found by fuzz_embed_routes as an out-of-bounds
// read that came and went with what earlier inputs had left in the heap).
std::optional<std::string> scan_tables_problem(byte_span body, std::size_t segment_offset, unsigned defined, bool progressive) {
  const auto problem = [&](const std::string& what) {
    return "corrupt JPEG: the scan at byte " + std::to_string(segment_offset) + " " + what;
  };
  if (body.empty()) return problem("is cut short");
  const std::size_t components = body[0];
  if (components < 1 || components > 4 || body.size() != 1 + 2 * components + 3) {
    return problem("has a length that does not fit its " + std::to_string(components) + " components");
  }
  const std::uint8_t spectral_start = body[1 + 2 * components];
  const std::uint8_t approximation_high = body[3 + 2 * components] >> 4U;
  // A progressive file's DC scans decode with DC tables only (and a DC refinement with none); its AC
  // scans with AC tables only. A sequential scan uses both.
  const bool uses_dc = !progressive || (spectral_start == 0 && approximation_high == 0);
  const bool uses_ac = !progressive || spectral_start > 0;
  for (std::size_t component = 0; component < components; ++component) {
    const std::uint8_t tables = body[2 + 2 * component];
    const unsigned dc = tables >> 4U;
    const unsigned ac = tables & 0x0FU;
    if (uses_dc && (dc > 3 || (defined & huffman_table_bit(0, dc)) == 0)) {
      return problem("uses DC Huffman table " + std::to_string(dc) + ", which the file does not define before it");
    }
    if (uses_ac && (ac > 3 || (defined & huffman_table_bit(1, ac)) == 0)) {
      return problem("uses AC Huffman table " + std::to_string(ac) + ", which the file does not define before it");
    }
  }
  return std::nullopt;
}

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes) noexcept {
  std::uint32_t value = 0xFFFFFFFFu;
  for (const std::uint8_t byte : bytes) value = crc32_table[(value ^ byte) & 0xFFu] ^ (value >> 8);
  return value ^ 0xFFFFFFFFu;
}

status check_png_structure(std::span<const std::uint8_t> bytes) {
  constexpr std::array<std::uint8_t, 8> signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (bytes.size() < signature.size() || !std::equal(signature.begin(), signature.end(), bytes.begin())) {
    return invalid("not a PNG: the 8-byte signature is missing");
  }
  constexpr std::size_t chunk_overhead = 12;                  // length, type, CRC
  constexpr std::uint32_t maximum_chunk_length = 0x7FFFFFFFu;  // PNG's own limit, so readers can use int32
  std::size_t offset = signature.size();
  bool first_chunk = true;
  while (true) {
    if (bytes.size() - offset < chunk_overhead) {
      return invalid("truncated PNG: it ends at byte " + std::to_string(bytes.size()) + " before its IEND chunk");
    }
    const std::uint32_t length = read_big_endian_32(bytes, offset);
    const std::string name = chunk_name(bytes, offset + 4);
    if (length > maximum_chunk_length) {
      return invalid("PNG chunk " + name + " at byte " + std::to_string(offset) + " declares an impossible length");
    }
    if (bytes.size() - offset - chunk_overhead < length) {
      return invalid("truncated PNG: chunk " + name + " at byte " + std::to_string(offset) + " declares " +
                     std::to_string(length) + " bytes but only " +
                     std::to_string(bytes.size() - offset - chunk_overhead) + " remain");
    }
    if (first_chunk && (name != "IHDR" || length != 13)) {
      return invalid("PNG does not start with a 13-byte IHDR chunk (found " + name + ")");
    }
    first_chunk = false;
    const std::uint32_t stored_crc = read_big_endian_32(bytes, offset + 8 + length);
    if (crc32(bytes.subspan(offset + 4, std::size_t{length} + 4)) != stored_crc) {
      return invalid("PNG chunk " + name + " at byte " + std::to_string(offset) + " has a bad CRC (corrupt file)");
    }
    offset += chunk_overhead + length;  // stays within bytes.size(): checked above
    if (name == "IEND") return success{};
  }
}

status check_jpeg_structure(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 2 || bytes[0] != 0xFF || bytes[1] != 0xD8) return invalid("not a JPEG: the SOI marker is missing");
  const auto truncated = [&](std::string_view where) {
    return invalid("truncated JPEG: it ends at byte " + std::to_string(bytes.size()) + " " + std::string(where) +
                   ", before its end-of-image marker");
  };
  // Every 8x8 block of the full-resolution component starts with a Huffman-coded DC difference of
  // at least one bit, in baseline and progressive files alike (stb decodes neither arithmetic-coded
  // nor lossless JPEGs). A file whose entropy-coded data is shorter than one bit per block declares a
  // picture it does not hold; stb would still fill every declared pixel, which for a few hundred
  // bytes declaring 40 megapixels costs seconds (found by fuzz_media as a timeout).
  std::uint64_t declared_blocks = 0;
  std::uint64_t entropy_bytes = 0;
  unsigned defined_tables = 0;  // huffman_table_bit of every table defined so far
  bool progressive = false;
  std::size_t offset = 2;
  while (true) {
    // A marker is 0xFF (possibly repeated as fill) and a code.
    if (offset >= bytes.size()) return truncated("between segments");
    if (bytes[offset] != 0xFF) {
      return invalid("corrupt JPEG: expected a marker at byte " + std::to_string(offset));
    }
    while (offset < bytes.size() && bytes[offset] == 0xFF) ++offset;
    if (offset >= bytes.size()) return truncated("inside a marker");
    const std::uint8_t code = bytes[offset++];
    if (code == 0xD9) {  // EOI
      if (entropy_bytes * 8 < declared_blocks) {
        return invalid("corrupt JPEG: it declares " + std::to_string(declared_blocks) + " 8x8 blocks but holds " +
                       std::to_string(entropy_bytes) + " bytes of image data, less than one bit per block");
      }
      return success{};
    }
    if ((code >= 0xD0 && code <= 0xD7) || code == 0x01) continue;     // RSTn, TEM: no length
    if (code == 0xD8 || code == 0x00) {
      return invalid("corrupt JPEG: unexpected marker at byte " + std::to_string(offset - 2));
    }
    if (bytes.size() - offset < 2) return truncated("inside a segment length");
    const std::size_t length = read_big_endian_16(bytes, offset);  // includes its own two bytes
    if (length < 2) return invalid("corrupt JPEG: segment at byte " + std::to_string(offset) + " has length < 2");
    if (bytes.size() - offset < length) return truncated("inside a marker segment");
    if (code == 0xC4) {
      if (auto problem = huffman_tables_problem(bytes.subspan(offset + 2, length - 2), offset + 2, defined_tables)) {
        return invalid(*problem);
      }
    }
    if (code == 0xDA) {
      if (auto problem = scan_tables_problem(bytes.subspan(offset + 2, length - 2), offset - 2, defined_tables, progressive)) {
        return invalid(*problem);
      }
    }
    const bool huffman_frame = code == 0xC0 || code == 0xC1 || code == 0xC2;  // baseline, extended, progressive
    if (huffman_frame && length >= 8) {
      // SOFn: length, precision, height, width. A height of 0 (set later by a DNL marker) counts no blocks.
      const std::uint64_t height = read_big_endian_16(bytes, offset + 3);
      const std::uint64_t width = read_big_endian_16(bytes, offset + 5);
      declared_blocks = ((width + 7) / 8) * ((height + 7) / 8);
      progressive = code == 0xC2;
    }
    offset += length;
    if (code != 0xDA) continue;
    // After SOS comes entropy-coded data, where 0xFF is stuffed as FF 00 and restart markers are
    // FF D0..D7; any other FF xx is the next marker.
    const std::size_t entropy_start = offset;
    while (true) {
      if (bytes.size() - offset < 2) return truncated("inside entropy-coded data");
      if (bytes[offset] != 0xFF) {
        ++offset;
        continue;
      }
      const std::uint8_t next = bytes[offset + 1];
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        offset += 2;
      } else if (next == 0xFF) {
        ++offset;  // fill byte before a marker
      } else {
        break;  // offset is at the next marker's 0xFF
      }
    }
    entropy_bytes += offset - entropy_start;
  }
}

// The most pixels B bytes of LZW data can decode to, for a minimum code size of M bits. Codes are at
// least M+1 bits wide, so there are at most 8B/(M+1) of them; the k-th code after a clear stands for a
// string of at most k+1 pixels (each code adds one table entry, one pixel longer than a known one),
// and no string is longer than the 4096-entry table allows. A loose bound: it only has to refuse files
// whose data cannot be the picture they declare.
std::uint64_t most_lzw_pixels(std::uint64_t data_bytes, unsigned minimum_code_size) noexcept {
  constexpr std::uint64_t longest_string = 4096;
  const std::uint64_t codes = data_bytes * 8 / (minimum_code_size + 1);
  const std::uint64_t growing = std::min(codes, longest_string);
  return growing * (growing + 1) / 2 + (codes - growing) * longest_string;
}

status check_gif_structure(std::span<const std::uint8_t> bytes) {
  constexpr std::size_t header_size = 6;
  constexpr std::size_t screen_descriptor_size = 7;
  // A screen this small is painted quickly whatever the data holds (about 2 s under ASan, milliseconds
  // natively), so only screens above it must be explained by image data: this keeps valid if unusual
  // files (a small first frame placed on a larger screen) working.
  constexpr std::uint64_t screen_pixels_always_allowed = std::uint64_t{1} << 22;
  if (bytes.size() < header_size + screen_descriptor_size || bytes[0] != 'G' || bytes[1] != 'I' || bytes[2] != 'F') {
    return invalid("not a GIF: no GIF87a/GIF89a header and screen descriptor");
  }
  const auto truncated = [&](std::string_view where) {
    return invalid("truncated GIF: it ends at byte " + std::to_string(bytes.size()) + " " + std::string(where));
  };
  const std::uint64_t screen_width = read_little_endian_16(bytes, 6);
  const std::uint64_t screen_height = read_little_endian_16(bytes, 8);
  const std::uint8_t screen_flags = bytes[10];
  std::size_t offset = header_size + screen_descriptor_size;
  if ((screen_flags & 0x80U) != 0) offset += 3 * (std::size_t{2} << (screen_flags & 0x07U));  // global colour table
  // Sub-blocks: a size byte and that many bytes, up to a zero size. Returns the data bytes, or nothing
  // when the blocks run past the end.
  const auto skip_sub_blocks = [&](std::size_t& at) -> std::optional<std::uint64_t> {
    std::uint64_t data = 0;
    while (true) {
      if (at >= bytes.size()) return std::nullopt;
      const std::size_t size = bytes[at++];
      if (size == 0) return data;
      if (bytes.size() - at < size) return std::nullopt;
      at += size;
      data += size;
    }
  };
  // The first image must be whole (it is what stb decodes); later images only add to what the file's
  // data could fill, read as far as they are well formed.
  std::uint64_t images = 0;
  std::uint64_t most_pixels = 0;
  while (true) {
    if (offset >= bytes.size()) {
      if (images == 0) return truncated("before its first image");
      break;
    }
    const std::uint8_t introducer = bytes[offset++];
    if (introducer == 0x3B) {
      if (images == 0) return invalid("corrupt GIF: it ends (trailer at byte " + std::to_string(offset - 1) + ") without an image");
      break;
    }
    if (introducer == 0x21) {  // extension: a label, then sub-blocks
      if (offset >= bytes.size() || (++offset, !skip_sub_blocks(offset))) {
        if (images == 0) return truncated("inside an extension");
        break;
      }
      continue;
    }
    if (introducer != 0x2C) {
      if (images == 0) return invalid("corrupt GIF: unknown block " + std::to_string(introducer) + " at byte " + std::to_string(offset - 1));
      break;
    }
    constexpr std::size_t image_descriptor_size = 9;
    if (bytes.size() - offset < image_descriptor_size + 1) {
      if (images == 0) return truncated("inside its first image descriptor");
      break;
    }
    const std::uint8_t image_flags = bytes[offset + 8];
    offset += image_descriptor_size;
    if ((image_flags & 0x80U) != 0) offset += 3 * (std::size_t{2} << (image_flags & 0x07U));  // local colour table
    if (offset >= bytes.size()) {
      if (images == 0) return truncated("inside its first image's colour table");
      break;
    }
    const unsigned minimum_code_size = bytes[offset++];
    if (minimum_code_size > 12) {  // stb's own limit
      if (images == 0) return invalid("corrupt GIF: LZW minimum code size " + std::to_string(minimum_code_size) + " (at most 12)");
      break;
    }
    const auto data_bytes = skip_sub_blocks(offset);
    if (!data_bytes) {
      if (images == 0) return truncated("inside its first image's data");
      break;
    }
    ++images;
    most_pixels += most_lzw_pixels(*data_bytes, minimum_code_size);
  }
  const std::uint64_t screen_pixels = screen_width * screen_height;
  if (screen_pixels > screen_pixels_always_allowed && screen_pixels > most_pixels) {
    return invalid("corrupt GIF: it declares a " + std::to_string(screen_width) + "x" + std::to_string(screen_height) +
                   " screen but the LZW data of its " + std::to_string(images) + (images == 1 ? " image" : " images") +
                   " can fill at most " + std::to_string(most_pixels) + " pixels");
  }
  return success{};
}

status check_bmp_structure(std::span<const std::uint8_t> bytes) {
  constexpr std::size_t file_header_size = 14;
  if (bytes.size() < file_header_size + 4 || bytes[0] != 'B' || bytes[1] != 'M') return invalid("not a BMP: no BM header");
  const std::uint32_t pixel_offset = read_little_endian_32(bytes, 10);
  const std::uint32_t dib_header_size = read_little_endian_32(bytes, 14);
  if (bytes.size() - file_header_size < dib_header_size || dib_header_size < 12) {
    return invalid("truncated BMP: its " + std::to_string(dib_header_size) + "-byte info header does not fit");
  }
  std::uint64_t width = 0;
  std::uint64_t height = 0;
  std::uint32_t bits_per_pixel = 0;
  std::uint32_t compression = 0;
  if (dib_header_size == 12) {  // OS/2 core header: 16-bit unsigned sizes
    width = read_little_endian_16(bytes, 18);
    height = read_little_endian_16(bytes, 20);
    bits_per_pixel = read_little_endian_16(bytes, 24);
  } else {
    if (dib_header_size < 20) return invalid("corrupt BMP: info header of " + std::to_string(dib_header_size) + " bytes");
    // Signed 32-bit sizes: a negative height means top-down rows.
    const auto signed_width = static_cast<std::int32_t>(read_little_endian_32(bytes, 18));
    const auto signed_height = static_cast<std::int32_t>(read_little_endian_32(bytes, 22));
    width = signed_width < 0 ? 0 : static_cast<std::uint64_t>(signed_width);
    height = static_cast<std::uint64_t>(signed_height < 0 ? -std::int64_t{signed_height} : std::int64_t{signed_height});
    bits_per_pixel = read_little_endian_16(bytes, 28);
    compression = read_little_endian_32(bytes, 30);
  }
  if (width == 0 || height == 0) return invalid("corrupt BMP: zero or negative width or height");
  constexpr std::uint32_t uncompressed = 0;
  constexpr std::uint32_t bit_fields = 3;
  // stb decodes only these two, and reads the field as a signed int: a value of 2^31 or more is negative
  // there, passes its "4 or more is unsupported" test and was decoded as uncompressed pixels that the
  // file does not hold (found by fuzz_media: 69 bytes declaring 12101x4105 pixels).
  if (compression != uncompressed && compression != bit_fields) {
    return make_error(error_code::unsupported_media,
                      "BMP compression " + std::to_string(compression) +
                          " is not supported (only uncompressed and bit-field BMPs are: RLE, JPEG and PNG inside BMP are not)");
  }
  const std::uint64_t row_bytes = (width * bits_per_pixel + 31) / 32 * 4;
  const std::uint64_t required = std::uint64_t{pixel_offset} + row_bytes * height;
  if (bytes.size() < required) {
    return invalid("truncated BMP: its pixels need " + std::to_string(required) + " bytes but the file has " +
                   std::to_string(bytes.size()));
  }
  return success{};
}

status check_pnm_structure(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 3 || bytes[0] != 'P' || (bytes[1] != '5' && bytes[1] != '6')) {
    return invalid("not a binary PGM or PPM: no P5 or P6 header");
  }
  const std::uint64_t channels = bytes[1] == '6' ? 3 : 1;
  // 1 << 24 is stb's own largest width or height (STBI_MAX_DIMENSIONS); 8 digits hold it.
  constexpr std::uint64_t largest_side = std::uint64_t{1} << 24;
  constexpr std::size_t most_digits = 8;
  constexpr std::array<std::string_view, 3> names = {"width", "height", "maximum value"};
  std::array<std::uint64_t, 3> values{};
  std::size_t offset = 2;
  for (std::size_t field = 0; field < values.size(); ++field) {
    offset = skip_pnm_spaces(bytes, offset);
    const std::size_t first_digit = offset;
    while (offset < bytes.size() && bytes[offset] >= '0' && bytes[offset] <= '9') {
      if (offset - first_digit == most_digits) {
        return invalid("corrupt PNM: its " + std::string(names[field]) + " has more than " + std::to_string(most_digits) +
                       " digits");
      }
      values[field] = values[field] * 10 + (bytes[offset] - '0');
      ++offset;
    }
    if (offset == first_digit) {
      return invalid(offset >= bytes.size() ? "truncated PNM: the header ends before its " + std::string(names[field])
                                            : "corrupt PNM: no number where its " + std::string(names[field]) + " belongs");
    }
    // A number is followed by one whitespace byte (after the maximum value, exactly one, then the pixels).
    if (offset >= bytes.size()) return invalid("truncated PNM: the header ends after its " + std::string(names[field]));
    if (!is_pnm_space(bytes[offset])) {
      return invalid("corrupt PNM: its " + std::string(names[field]) + " is followed by a byte that is not a space");
    }
  }
  const auto [width, height, maximum] = values;
  if (width == 0 || height == 0) return invalid("corrupt PNM: zero width or height");
  if (width > largest_side || height > largest_side) {
    return invalid("corrupt PNM: " + std::to_string(width) + "x" + std::to_string(height) + " is over " +
                   std::to_string(largest_side) + " pixels a side");
  }
  if (maximum == 0 || maximum > 65535) {
    return invalid("corrupt PNM: maximum value " + std::to_string(maximum) + " (1 to 65535)");
  }
  const std::uint64_t sample_bytes = maximum > 255 ? 2 : 1;
  const std::uint64_t required = width * height * channels * sample_bytes;  // at most 2^48 * 6: no overflow
  const std::uint64_t available = bytes.size() - (offset + 1);
  if (available < required) {
    return invalid("truncated PNM: its pixels need " + std::to_string(required) + " bytes but " + std::to_string(available) +
                   " follow the header");
  }
  return success{};
}

}  // namespace mosaic::media
