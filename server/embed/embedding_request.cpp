#include "embed/embedding_request.hpp"

#include <array>

namespace mosaic::server {
namespace {

struct task_names {
  embedding_task task;
  std::string_view api_name;    // Gemini's spelling
  std::string_view short_name;  // the lower-case name Mosaic's own API and command line use
};

constexpr std::array<task_names, 9> all_tasks = {{
    {embedding_task::unspecified, "TASK_TYPE_UNSPECIFIED", "unspecified"},
    {embedding_task::retrieval_query, "RETRIEVAL_QUERY", "retrieval_query"},
    {embedding_task::retrieval_document, "RETRIEVAL_DOCUMENT", "retrieval_document"},
    {embedding_task::semantic_similarity, "SEMANTIC_SIMILARITY", "semantic_similarity"},
    {embedding_task::classification, "CLASSIFICATION", "classification"},
    {embedding_task::clustering, "CLUSTERING", "clustering"},
    {embedding_task::question_answering, "QUESTION_ANSWERING", "question_answering"},
    {embedding_task::fact_verification, "FACT_VERIFICATION", "fact_verification"},
    {embedding_task::code_retrieval_query, "CODE_RETRIEVAL_QUERY", "code_retrieval_query"},
}};

}  // namespace

std::string_view embedding_task_api_name(embedding_task task) noexcept {
  for (const task_names& names : all_tasks) {
    if (names.task == task) return names.api_name;
  }
  return "TASK_TYPE_UNSPECIFIED";
}

result<embedding_task> parse_embedding_task(std::string_view name) {
  if (name == "query") return embedding_task::retrieval_query;
  if (name == "document") return embedding_task::retrieval_document;
  for (const task_names& names : all_tasks) {
    if (name == names.api_name || name == names.short_name) return names.task;
  }
  constexpr std::size_t shown_characters = 40;
  std::string shown(name.substr(0, shown_characters));
  if (name.size() > shown_characters) shown += "...";
  return make_error(error_code::invalid_argument,
                    "unknown task \"" + shown +
                        "\": expected query, document, or one of Gemini's task types (RETRIEVAL_QUERY, "
                        "RETRIEVAL_DOCUMENT, SEMANTIC_SIMILARITY, CLASSIFICATION, CLUSTERING, QUESTION_ANSWERING, "
                        "FACT_VERIFICATION, CODE_RETRIEVAL_QUERY, TASK_TYPE_UNSPECIFIED)");
}

}  // namespace mosaic::server
