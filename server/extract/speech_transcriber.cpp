#include "extract/speech_transcriber.hpp"

#include <algorithm>
#include <limits>
#include <mutex>

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

namespace mosaic::extract {

std::vector<std::size_t> utterance_boundaries(std::span<const std::int16_t> samples, std::uint32_t sample_rate,
                                              std::uint32_t max_seconds) {
  std::vector<std::size_t> boundaries;
  const std::size_t frame = std::max<std::size_t>(sample_rate / 100, 1);  // 10 ms
  const std::size_t longest = std::max<std::size_t>(std::size_t{max_seconds} * sample_rate, frame * 20);
  // Energy per 10 ms frame, summed from the start, so any window's energy is one subtraction.
  const std::size_t frame_count = samples.size() / frame;
  std::vector<double> energy_before(frame_count + 1, 0.0);
  for (std::size_t index = 0; index < frame_count; ++index) {
    double energy = 0;
    for (std::size_t sample = index * frame; sample < (index + 1) * frame; ++sample) {
      energy += static_cast<double>(samples[sample]) * static_cast<double>(samples[sample]);
    }
    energy_before[index + 1] = energy_before[index] + energy;
  }
  constexpr std::size_t window_frames = 10;  // 100 ms around the cut
  std::size_t start = 0;
  while (samples.size() - start > longest) {
    const std::size_t first = (start + longest / 2) / frame, last = (start + longest) / frame;
    std::size_t best = last;
    double quietest = std::numeric_limits<double>::infinity();
    for (std::size_t cut = first; cut <= last && cut < frame_count; ++cut) {
      const std::size_t from = cut >= window_frames / 2 ? cut - window_frames / 2 : 0;
      const std::size_t to = std::min(frame_count, cut + window_frames / 2);
      const double energy = energy_before[to] - energy_before[from];
      if (energy < quietest) {
        quietest = energy;
        best = cut;
      }
    }
    const std::size_t end = std::min(best * frame, start + longest);
    boundaries.push_back(end);
    start = end;
  }
  boundaries.push_back(samples.size());
  return boundaries;
}

struct speech_transcriber::engine {
  cmd_ln_t* configuration = nullptr;
  ps_decoder_t* decoder = nullptr;
  ~engine() {
    if (decoder != nullptr) ps_free(decoder);
    if (configuration != nullptr) cmd_ln_free_r(configuration);
  }
};

namespace {

// PocketSphinx and its sphinxbase log every setting and every utterance on stderr; the index report
// says what matters instead. The log stream is process-wide state: it is switched off once, and no
// decoder is given a -logfn of its own, since each ps_init with one opens that file as the new
// process-wide stream and closes the old one, which another thread's decoder may be writing to (and
// two at once would close it twice).
void silence_sphinx_log() {
  static std::once_flag once;
  std::call_once(once, [] { err_set_logfp(nullptr); });
}

// Decoders are made one at a time: loading the model goes through sphinxbase's process-wide state
// (its log stream, above). Each indexing worker makes its own decoder once and then decodes
// side by side with the others, which PocketSphinx supports for separate decoders.
std::mutex& creation_mutex() {
  static std::mutex mutex;
  return mutex;
}

// "<s>", "</s>", "<sil>", "[NOISE]", "++BREATH++": what the model hears that is not a word.
bool is_filler(std::string_view word) {
  return word.empty() || word.front() == '<' || word.front() == '[' || word.front() == '+';
}

// The dictionary's second pronunciation of "read" is "read(2)": the word is "read".
std::string dictionary_word(std::string_view word) {
  const std::size_t parenthesis = word.find('(');
  return std::string(word.substr(0, parenthesis));
}

constexpr std::uint32_t milliseconds_per_frame = 10;  // PocketSphinx's default 100 frames a second
constexpr double quiet_energy = 32.8 * 32.8;             // mean square of -60 dBFS (32768 / 1000)

}  // namespace

speech_transcriber::speech_transcriber(std::unique_ptr<engine> loaded, std::uint32_t max_utterance_seconds)
    : engine_(std::move(loaded)), max_utterance_seconds_(max_utterance_seconds) {}
speech_transcriber::~speech_transcriber() = default;

result<std::unique_ptr<speech_transcriber>> speech_transcriber::create(const speech_transcriber_settings& settings) {
  silence_sphinx_log();
  const std::filesystem::path acoustic = settings.model_folder / "en-us";
  const std::filesystem::path language = settings.model_folder / "en-us.lm.bin";
  const std::filesystem::path dictionary = settings.model_folder / "cmudict-en-us.dict";
  std::error_code ignored;
  if (!std::filesystem::is_regular_file(acoustic / "mdef", ignored) || !std::filesystem::is_regular_file(language, ignored) ||
      !std::filesystem::is_regular_file(dictionary, ignored)) {
    return make_error(error_code::model_not_installed, "PocketSphinx's English model is missing from " +
                                                           settings.model_folder.string() +
                                                           ": install it with apt-get install pocketsphinx-en-us");
  }
  const std::lock_guard guard(creation_mutex());
  auto loaded = std::make_unique<engine>();
  loaded->configuration =
      cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", acoustic.c_str(), "-lm", language.c_str(), "-dict",
                  dictionary.c_str(), "-remove_silence", "no", "-bestpath", "yes", nullptr);
  if (loaded->configuration == nullptr) {
    return make_error(error_code::invalid_model, "PocketSphinx refused its settings for " + settings.model_folder.string());
  }
  loaded->decoder = ps_init(loaded->configuration);
  if (loaded->decoder == nullptr) {
    return make_error(error_code::invalid_model, "PocketSphinx could not load its model from " + settings.model_folder.string());
  }
  return std::unique_ptr<speech_transcriber>(
      new speech_transcriber(std::move(loaded), std::max<std::uint32_t>(settings.max_utterance_seconds, 1)));
}

result<std::vector<spoken_word>> speech_transcriber::transcribe(std::span<const std::int16_t> samples,
                                                                const std::function<void(std::uint64_t milliseconds)>& heard) {
  std::vector<spoken_word> words;
  ps_decoder_t* decoder = engine_->decoder;
  logmath_t* logarithms = ps_get_logmath(decoder);
  std::size_t start = 0;
  for (const std::size_t end : utterance_boundaries(samples, sample_rate, max_utterance_seconds_)) {
    if (heard) heard(std::uint64_t{start} * 1000 / sample_rate);
    // Under a tenth of a second holds no word, and PocketSphinx warns about it.
    if (end - start < sample_rate / 10) {
      start = end;
      continue;
    }
    // Near digital silence (under -60 dBFS RMS) PocketSphinx still "hears" words in the rounding noise.
    double energy = 0;
    for (std::size_t index = start; index < end; ++index) energy += static_cast<double>(samples[index]) * static_cast<double>(samples[index]);
    if (energy / static_cast<double>(end - start) < quiet_energy) {
      start = end;
      continue;
    }
    const auto start_milliseconds = static_cast<std::uint32_t>(std::uint64_t{start} * 1000 / sample_rate);
    if (ps_start_utt(decoder) < 0) return make_error(error_code::invalid_media, "PocketSphinx could not start an utterance");
    const int processed = ps_process_raw(decoder, samples.data() + start, end - start, FALSE, TRUE);
    if (ps_end_utt(decoder) < 0 || processed < 0) {
      return make_error(error_code::invalid_media, "PocketSphinx could not decode the sound");
    }
    std::int32_t score = 0;
    if (ps_get_hyp(decoder, &score) != nullptr) {
      for (ps_seg_t* segment = ps_seg_iter(decoder); segment != nullptr; segment = ps_seg_next(segment)) {
        const char* text = ps_seg_word(segment);
        if (text == nullptr || is_filler(text)) continue;
        int first_frame = 0, last_frame = 0;
        ps_seg_frames(segment, &first_frame, &last_frame);
        std::int32_t acoustic = 0, language = 0, backoff = 0;
        const std::int32_t posterior = ps_seg_prob(segment, &acoustic, &language, &backoff);
        spoken_word word;
        word.text = dictionary_word(text);
        word.start_milliseconds = start_milliseconds + static_cast<std::uint32_t>(std::max(first_frame, 0)) * milliseconds_per_frame;
        word.end_milliseconds =
            start_milliseconds + static_cast<std::uint32_t>(std::max(last_frame + 1, first_frame)) * milliseconds_per_frame;
        word.confidence = static_cast<float>(std::clamp(logmath_exp(logarithms, posterior), 0.0, 1.0));
        words.push_back(std::move(word));
      }
    }
    start = end;
  }
  if (heard) heard(std::uint64_t{samples.size()} * 1000 / sample_rate);
  return words;
}

}  // namespace mosaic::extract
