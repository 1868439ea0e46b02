# The one place that decides warnings and sanitizers for every Mosaic target.
function(mosaic_set_compile_options target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  # GCC 12 at -O3 reports -Wrestrict overlaps inside libstdc++'s std::string operator+ that cannot
  # happen (GCC bugs 105329/105651); it fired on ordinary string concatenation in Release builds only.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
     AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(MOSAIC_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(MOSAIC_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# The portable core (the local model's kernels, search, media parsing) is compiled at -O1 in the
# sanitizer build, as AddressSanitizer advises "for reasonable performance": at -O0 a test indexing
# 3,000 notes with the local model passed its 600 s limit on a loaded 2-core machine. Only the core:
# at -O1 the Beast- and Catch2-heavy server and test files take twice as long to compile (81 s and
# 164 s for test_request_handler.cpp), which would cost the whole CI run more than the tests gain.
function(mosaic_optimize_under_sanitizers target)
  if(MOSAIC_SANITIZE)
    target_compile_options(${target} PRIVATE -O1)
  endif()
endfunction()
