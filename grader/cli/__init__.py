"""The `grader` command: its sub-commands and what they print."""
