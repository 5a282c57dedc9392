"""One submission graded: its run, assessment, selection, answers; references; live checks."""
