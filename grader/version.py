"""The grader's version: part of every fingerprint, so a new version grades everything again."""

VERSION = "0.2.0"
