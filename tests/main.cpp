// tests/main.cpp — the Boost.Test module of the unit tests. Each tests/<name>.cpp holds one
// BOOST_AUTO_TEST_SUITE(<name>) and CTest runs it as its own test (`--run_test=<name>`).
#define BOOST_TEST_MODULE veritensor
#include <boost/test/unit_test.hpp>
