"""Where the grader's own files are, named once (modules moved between folders keep them).

Every path the grader computes from its own location starts here: the package (linked
into kernel environments, hashed into fingerprints), the code that runs inside a kernel,
and the source tree that holds the shipped packs.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # the ``grader`` package folder
KERNEL_CODE = PACKAGE / "kernel"  # runs inside the student's kernel (or its launcher)
SOURCE_TREE = PACKAGE.parent  # a source checkout: reference/, templates/ beside the package
MEASURING_CODE = tuple(PACKAGE / name for name in (
    "evaluate/measure.py", "evaluate/workers.py", "evaluate/env_workers.py",
    "evaluate/denoise.py", "layers.py", "evaluate/images.py",
))  # the grader's code that measures models: a change re-measures stored runs
KERNEL_SIDE_CODE = (*sorted(KERNEL_CODE.glob("*.py")), PACKAGE / "execute" / "inject.py")
"""What kernels run or are handed: a change runs every notebook again."""
