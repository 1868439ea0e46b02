#pragma once
// Where the tests find the installed local model: MOSAIC_MODEL_DIR, else the folder CMake compiles in
// (MOSAIC_DEFAULT_MODEL_DIR) when make test configured the model cache; nullptr when neither is set.
#include <cstdlib>

inline const char* model_directory_setting() {
  const char* directory = std::getenv("MOSAIC_MODEL_DIR");
  if (directory != nullptr && *directory != '\0') return directory;
#ifdef MOSAIC_DEFAULT_MODEL_DIR
  return MOSAIC_DEFAULT_MODEL_DIR;
#else
  return nullptr;
#endif
}
