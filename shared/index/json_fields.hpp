#pragma once
// Moved to core/json_fields.hpp (namespace mosaic::json_fields). Kept only for index/item_metadata.cpp,
// which another change is rewriting; delete this file once that file includes core/json_fields.hpp.
#include "core/json_fields.hpp"
