"""Company Settings tests use the shared signed-in clients of tests/conftest.py."""
