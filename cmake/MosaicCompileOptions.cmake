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
    # -O1, as the fuzz tree and AddressSanitizer's own advice ("for reasonable performance"): at -O0 the
    # local model's kernels made the partitioned-index test pass its 600 s limit on a loaded 2-core machine.
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer -O1)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
    # GCC's manual: "sanitizers tend to increase the rate of false positive warnings, most notably
    # those around -Wmaybe-uninitialized". At -O1 with ASan, GCC 12 reports std::function members
    # inside libstdc++'s std::regex as maybe uninitialized; the plain build (-O2) keeps the warning.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
    endif()
  endif()
endfunction()
