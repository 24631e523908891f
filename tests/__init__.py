"""Screen Genius test suites (a package so suites can share tests.fixtures)."""
