"""The marking page: written answers marked by question, in the browser (``grader mark``)."""
