"""Running a notebook: engine, kernels, sandbox, caps, environments, fork servers, probe I/O."""
