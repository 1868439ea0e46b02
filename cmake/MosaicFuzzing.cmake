# libFuzzer builds (MOSAIC_FUZZ=ON, tests/fuzz). Every Mosaic source in the tree is compiled with
# coverage instrumentation (-fsanitize=fuzzer-no-link) plus ASan and UBSan, so the fuzzer sees the
# branches of the parsers it drives and any out-of-bounds read, leak or undefined behaviour aborts the
# run. Only the fuzz targets themselves link libFuzzer's main (-fsanitize=fuzzer, in tests/fuzz).
# libFuzzer ships with clang (Debian: libclang-rt-14-dev), so this tree is clang only.
if(NOT MOSAIC_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "MOSAIC_FUZZ needs clang (libFuzzer): configure with CC=clang-14 CXX=clang++-14")
endif()
if(EMSCRIPTEN)
  message(FATAL_ERROR "MOSAIC_FUZZ is a native build")
endif()
if(MOSAIC_SANITIZE)
  message(FATAL_ERROR "MOSAIC_FUZZ already builds with ASan and UBSan: leave MOSAIC_SANITIZE off")
endif()
# Directory-wide, so libraries and executables alike carry the instrumentation; -fno-sanitize-recover
# turns every UBSan report into a crash libFuzzer records. -O1 -g keeps stacks readable at useful speed.
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                    -fno-omit-frame-pointer -O1 -g)
add_link_options(-fsanitize=address,undefined)
