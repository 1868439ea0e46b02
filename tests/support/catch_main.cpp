// The Catch2 runner: one translation unit defines main so test files compile quickly.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
