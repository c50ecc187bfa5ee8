#include "cli/prune_filter.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

TEST_SUITE("cli.prune_filter") {
  TEST_CASE("label filters parse") {
    cli::LabelFilter key = cli::LabelFilter::parse("label=tier");
    CHECK(key.key == "tier");
    CHECK_FALSE(key.has_value);
    CHECK_FALSE(key.negated);
    cli::LabelFilter pair = cli::LabelFilter::parse("label=tier=web=x");
    CHECK(pair.key == "tier");
    CHECK(pair.value == "web=x");
    CHECK(pair.has_value);
    cli::LabelFilter empty_value = cli::LabelFilter::parse("label!=tier=");
    CHECK(empty_value.negated);
    CHECK(empty_value.has_value);
    CHECK(empty_value.value.empty());
  }

  TEST_CASE("bad filters are refused, quoted") {
    for (const char* bad : {"label", "label=", "label!=", "label!==v", "name=x", "until=1h", ""}) {
      CAPTURE(bad);
      CHECK_THROWS_AS(cli::LabelFilter::parse(bad), util::Error);
    }
    CHECK_THROWS_WITH(cli::LabelFilter::parse("dangling=true"),
                      doctest::Contains("\"dangling=true\""));
  }

  TEST_CASE("matching: key, key and value, negation, all filters apply") {
    std::map<std::string, std::string> labels{{"tier", "web"}, {"keep", ""}};
    CHECK(cli::LabelFilter::parse("label=tier").matches(labels));
    CHECK(cli::LabelFilter::parse("label=tier=web").matches(labels));
    CHECK_FALSE(cli::LabelFilter::parse("label=tier=db").matches(labels));
    CHECK(cli::LabelFilter::parse("label=keep=").matches(labels));
    CHECK_FALSE(cli::LabelFilter::parse("label=other").matches(labels));
    CHECK_FALSE(cli::LabelFilter::parse("label!=keep").matches(labels));
    CHECK(cli::LabelFilter::parse("label!=tier=db").matches(labels));
    CHECK(cli::LabelFilter::parse("label!=other").matches({}));
    auto filters = cli::parse_label_filters({"label=tier", "label!=keep"});
    CHECK_FALSE(cli::matches_all(filters, labels));
    CHECK(cli::matches_all(filters, {{"tier", "db"}}));
    CHECK(cli::matches_all({}, {}));
  }
}
