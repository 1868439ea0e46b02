// mosaic completion bash: prints a bash completion script made from the commands' option tables
// (cli/command_options.hpp), so it offers exactly what the parsers accept. Install it with
//   mosaic completion bash > /etc/bash_completion.d/mosaic      (or: source <(mosaic completion bash))
// It completes the command, each command's options, the fixed values of --layout, --quant, --mode,
// --provider and --chunk-at, and file names for options that take a path and for FOLDER/SITE.
#include <cstdio>
#include <string>

#include "cli/command_failure.hpp"
#include "cli/command_options.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"

namespace mosaic::server {
namespace {

constexpr const char* completion_usage = R"(usage: mosaic completion bash
  Prints a bash completion script for mosaic. Install it for every shell:
    mosaic completion bash > /etc/bash_completion.d/mosaic
  or load it into the current one:
    source <(mosaic completion bash)
)";

std::string joined(const std::set<std::string_view>& words) {
  std::string text;
  for (const std::string_view word : words) {
    if (!text.empty()) text += ' ';
    text += word;
  }
  return text;
}

std::string bash_script() {
  std::string commands = "--help --version";
  std::string option_cases;
  std::set<std::string_view> every_valued;
  for (const command_option_table& table : command_option_tables()) {
    commands += " " + std::string(table.command);
    option_cases += "    " + std::string(table.command) + ") valued=\"" + joined(table.valued) + "\"; flags=\"" +
                    joined(table.flags) + "\" ;;\n";
    every_valued.insert(table.valued.begin(), table.valued.end());
  }
  std::string choice_cases;
  std::set<std::string_view> path_options;
  for (const std::string_view option : every_valued) {
    const auto choices = option_choices(option);
    if (!choices.empty()) {
      std::string words;
      for (const std::string_view choice : choices) words += (words.empty() ? "" : " ") + std::string(choice);
      choice_cases += "    " + std::string(option) + ") COMPREPLY=($(compgen -W \"" + words + "\" -- \"$current\")); return ;;\n";
    }
    if (option_takes_path(option)) path_options.insert(option);
  }
  return "# bash completion for mosaic, made by `mosaic completion bash` from the option tables it parses with.\n"
         "_mosaic() {\n"
         "  local current=\"${COMP_WORDS[COMP_CWORD]}\" previous=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
         "  COMPREPLY=()\n"
         "  if [[ $COMP_CWORD -eq 1 ]]; then\n"
         "    COMPREPLY=($(compgen -W \"" + commands + "\" -- \"$current\"))\n"
         "    return\n"
         "  fi\n"
         "  local valued=\"\" flags=\"\"\n"
         "  case \"${COMP_WORDS[1]}\" in\n" + option_cases +
         "    --version) flags=\"--json\" ;;\n"
         "    *) return ;;\n"
         "  esac\n"
         "  if [[ \"${COMP_WORDS[1]}\" == completion && $COMP_CWORD -eq 2 && \"$current\" != -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"bash\" -- \"$current\"))\n"
         "    return\n"
         "  fi\n"
         "  case \"$previous\" in\n" + choice_cases +
         "  esac\n"
         "  if [[ \" $valued \" == *\" $previous \"* ]]; then\n"
         "    case \" " + joined(path_options) + " \" in\n"
         "      *\" $previous \"*) COMPREPLY=($(compgen -f -- \"$current\")) ;;\n"
         "    esac\n"
         "    return\n"
         "  fi\n"
         "  if [[ \"$current\" == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$valued $flags\" -- \"$current\"))\n"
         "    return\n"
         "  fi\n"
         "  COMPREPLY=($(compgen -f -- \"$current\"))\n"
         "}\n"
         "complete -o filenames -F _mosaic mosaic\n";
}

}  // namespace

int run_completion_command(std::span<const std::string_view> arguments) {
  parsed_options options(arguments, command_options("completion").valued, command_options("completion").flags);
  if (options.has("--help")) {
    std::fputs(completion_usage, stdout);
    return 0;
  }
  if (options.error()) return report_usage_failure("completion", *options.error(), completion_usage);
  if (options.positional().size() != 1 || options.positional()[0] != "bash") {
    return report_usage_failure("completion", "give the shell: bash (the only one supported)", completion_usage);
  }
  std::fputs(bash_script().c_str(), stdout);
  return 0;
}

}  // namespace mosaic::server
