"""Code that runs inside the student's kernel.

The modules here are ordinary, importable Python (the reference builder imports
:mod:`grader.kernel.probe_src` to describe reference models the same way); the
grader injects their *source* into the kernel with :func:`grader.execute.inject.code_cell`,
passing configuration as a JSON literal, never as pasted values.
"""
