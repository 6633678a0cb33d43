"""Hidden checks, one module per exercise: test_<module>.py."""
