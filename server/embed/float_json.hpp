#pragma once
// Vectors written as JSON arrays of floats, fast: every embedding answer carries hundreds of numbers,
// and a general JSON library spends most of a cached answer's time formatting them. Each float is
// written as the shortest decimal that reads back as the same float ("0.1", not
// "0.10000000149011612"), with std::to_chars.
#include <span>
#include <string>

namespace mosaic::server {

// Appends one float; JSON has no NaN or infinity, so a non-finite value (never expected: vectors
// are validated as finite) is written as 0.
void append_json_float(std::string& output, float value);

// Appends "[v0,v1,...]".
void append_json_float_array(std::string& output, std::span<const float> values);

}  // namespace mosaic::server
