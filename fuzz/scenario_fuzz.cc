// Fuzz target: the scenario-file parser (sim/scenario.h) on arbitrary text.
//
// Oracle: scenario_from_json never crashes, throws or hangs on any input; a refusal is
// InvalidArgument with a message (naming the field); whatever parses is stable: printing it
// and parsing the print gives the same Scenario, and printing that gives the same text (so a
// replay of a saved scenario runs exactly what was saved).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "sim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tierkv;
  using namespace tierkv::sim;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = scenario_from_json(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == StatusCode::kInvalidArgument,
               "refusal is not InvalidArgument: " + parsed.status().to_string());
    FUZZ_CHECK(!parsed.status().message().empty(), "refusal without a message");
    return 0;
  }
  const std::string printed = scenario_to_json(*parsed);
  auto reparsed = scenario_from_json(printed);
  FUZZ_CHECK(reparsed.ok(), "printed scenario does not parse: " + reparsed.status().to_string() +
                                "\n" + printed);
  FUZZ_CHECK(*reparsed == *parsed, "print/parse changed the scenario:\n" + printed);
  FUZZ_CHECK(scenario_to_json(*reparsed) == printed, "printing is not stable");
  return 0;
}
