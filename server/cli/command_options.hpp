#pragma once
// Every mosaic command's options in one table: what each command's parser accepts (options.hpp) and
// what the bash completion (completion_command.cpp) offers are the same list, so a new option is
// completed as soon as it is accepted.
#include <set>
#include <span>
#include <string_view>
#include <vector>

namespace mosaic::server {

struct command_option_table {
  std::string_view command;                 // "index", "query", ...
  std::set<std::string_view> valued;        // options that take a value
  std::set<std::string_view> flags;         // options that do not
};

// In the order `mosaic --help` lists the commands.
[[nodiscard]] const std::vector<command_option_table>& command_option_tables();
// The table of one command (which must be in the list).
[[nodiscard]] const command_option_table& command_options(std::string_view command);

// The values an option takes from a fixed set ("--layout": flat, partitioned, auto); empty when free.
[[nodiscard]] std::span<const std::string_view> option_choices(std::string_view option);
// Whether an option's value is a file or folder path (completed from the file system).
[[nodiscard]] bool option_takes_path(std::string_view option);

}  // namespace mosaic::server
