"""The benchmarks measure and are run by `make bench`; the test suite never collects them."""

collect_ignore_glob = ["*.py"]
