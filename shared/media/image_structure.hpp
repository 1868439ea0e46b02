#pragma once
// Structural checks that run before an image reaches stb_image. stb does not verify PNG CRCs, and it
// reads past the end of a truncated JPEG or BMP as zeros, "successfully" decoding a damaged picture.
// Hostile or damaged files are refused here with the cause, so only whole, intact files are decoded.
#include <cstdint>
#include <span>

#include "core/result.hpp"

namespace mosaic::media {

// The signature, then chunks that each fit in the bytes with a correct CRC-32, IHDR first (13 bytes),
// up to IEND. Bytes after IEND are ignored.
status check_png_structure(std::span<const std::uint8_t> bytes);

// SOI, then marker segments that each fit in the bytes (Huffman tables of at most 256 codes: stb trusts
// that), entropy-coded data after each SOS, up to EOI, and at least one bit of that data for every 8x8
// block the frame declares. Bytes after EOI are ignored.
status check_jpeg_structure(std::span<const std::uint8_t> bytes);

// The header, the screen descriptor and colour table, extension blocks that fit, the first image (the
// one stb decodes) whole, and a logical screen (which stb paints in full) that the LZW data of the
// file's images could fill, for screens over 4 megapixels: a few bytes declaring a screen of millions
// of pixels are refused before stb allocates and paints it.
status check_gif_structure(std::span<const std::uint8_t> bytes);

// Uncompressed BMPs (BI_RGB, BI_BITFIELDS) only, the two kinds stb decodes (others: unsupported_media),
// with every pixel row the header promises present.
status check_bmp_structure(std::span<const std::uint8_t> bytes);

// Binary PGM (P5) and PPM (P6): a header of three decimal numbers (width, height, maximum value; "#"
// comments allowed between them, as stb reads them) whose values are in range, and every pixel byte the
// header promises after it. stb adds up the digits in an int without a bound (UB for a long number), so
// a number of more than 8 digits is refused before stb reads it.
status check_pnm_structure(std::span<const std::uint8_t> bytes);

// CRC-32 as PNG and zlib define it (reflected polynomial 0xEDB88320).
std::uint32_t crc32(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace mosaic::media
