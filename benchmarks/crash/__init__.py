"""The crash harness's benchmark mode: 100 killed-and-rerun trials per job."""
